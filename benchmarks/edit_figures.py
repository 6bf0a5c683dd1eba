"""Before/after figures of the editing features (docs/EDITING.md, "Before and after").

On the held-out Dance-with-Melody song DANCE_C_7 (--seconds from --start, as in
tests/test_constraints.py), each edit is built the way ``dancegen generate`` builds it
(``dancegen.constraints``), the dance is generated with ``generate_motion(..., constraint=...)`` (as
``dancegen generate`` does), and one PNG per edit kind is written
to --out:

    edit_keyframes.png   three poses of the real dance pinned at their times
    edit_inbetween.png   the real dance's first and last 1.5 s pinned, the middle generated
    edit_keep_lower.png  the real dance's lower body (and root path) pinned, the upper body generated
    edit_continue.png    the real dance's first 3 s pinned, continued by the model
    edit_path.png        the root's floor path pinned (a figure of eight), seen from above, and the result
    edit_path_topdown.png  requested path against the generated root trajectory

Each sheet: top row the constraint (the real dance where it is the source), bottom row the
edited result, at the same time points; pinned joints / frames in green, real frames that are
not pinned in grey. Figures come from the stick-figure renderer (``dancegen.render.skeleton``)
with its follow camera; the path result uses its fixed camera so that the travel shows.

Printed per edit:
  - the result against its constraint in metres (``constraints.constraint_report``, what
    ``dancegen generate`` prints): pinned joints against the given poses, root path against the
    given one;
  - the seam, where generated frames meet pinned ones (``edit_seams.seam``, the measure of
    tests/test_constraints.py): the fastest step within 0.3 s of a border that touches a generated
    frame, against the faster of the two joined motions' own 99th percentiles.

``--plain`` makes them with pinning only (``GenerationSettings(edit_draft=False)``), the sampler
before the seam fix, for comparison.

Usage: OMP_NUM_THREADS=1 python benchmarks/edit_figures.py [--checkpoint default] [--out docs/img] [--seconds 8] [--plain]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
SONG = "DANCE_C_7"

# ---- look ----------------------------------------------------------------------------------------
WIDTH = 900
LABEL_W = 36  # left column with the row names
PANEL_H = 184  # rendered square side; panels are cropped to the sheet's column width
TITLE_H = 30
FOOTER_H = 22
SHEET_BG = (14, 15, 20)
TEXT = (226, 229, 238)
DIM_TEXT = (150, 156, 172)
PINNED = np.array([96.0, 222.0, 112.0])  # pinned joints / frames (the dancer's right a little darker)
UNUSED = np.array([128.0, 132.0, 144.0])  # real frames shown for reference only
GEN_LEFT, GEN_RIGHT = (255, 138, 60), (64, 168, 255)  # the renderer's own colours: generated
RIGHT_SHADE = np.array([0.62, 0.78, 0.78])  # right side of a re-coloured figure
GAP = 3  # px between panels


def _font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    try:
        from matplotlib import font_manager

        path = font_manager.findfont("DejaVu Sans:bold" if bold else "DejaVu Sans", fallback_to_default=True)
        return ImageFont.truetype(path, size)
    except Exception:  # noqa: BLE001 - any font is better than none
        return ImageFont.load_default()


# ---- rendering (the project's stick-figure renderer, re-coloured per part) ---------------------


def _renderers(motions, size: int, mode: str = "follow"):
    """One SkeletonRenderer per motion, all at the same camera distance (so the rows share a scale)."""
    from dancegen.render.camera import framing_camera
    from dancegen.render.skeleton import SkeletonRenderer

    cams = [framing_camera(m.common(), size, mode, fps=m.fps) for m in motions]
    dist = max(float(np.linalg.norm(c.positions[0] - c.targets[0])) for c in cams)
    out = []
    for m, c in zip(motions, cams):
        back = -c.rotation[2]
        c = dataclasses.replace(c, positions=c.targets + dist * back)
        out.append(SkeletonRenderer(m, size, camera=c))
    return out


def _tint(renderer, t: int, joints: np.ndarray, rgb: np.ndarray) -> None:
    """Draw the common joints ``joints`` (18,) bool of frame t, and bones between two of them, in ``rgb``
    (keeping the renderer's depth shading)."""
    from dancegen.motion.skeleton import COMMON_BONES, COMMON_JOINTS

    g = renderer.geom
    idx = {n: i for i, n in enumerate(COMMON_JOINTS)}

    def recolour(current: np.ndarray, name: str) -> np.ndarray:
        k = current.astype(float).max() / 255.0 / 0.9  # the renderer's depth shading, roughly, around 1
        base = rgb * RIGHT_SHADE if name.startswith("right") else rgb  # keep left and right apart
        return np.clip(base * min(max(k, 0.75), 1.2), 0, 255).astype(np.uint8)

    for b, (a, c) in enumerate(COMMON_BONES):
        if joints[idx[a]] and joints[idx[c]]:
            g.bone_colour[t, b] = recolour(g.bone_colour[t, b], c if c.startswith(("left", "right")) else a)
    for j in np.flatnonzero(joints):
        g.joint_colour[t, j] = recolour(g.joint_colour[t, j], COMMON_JOINTS[j])
        g.dot_colour[t, j] = np.clip(g.joint_colour[t, j] * 0.45 + 255 * 0.55, 0, 255).astype(np.uint8)


def _panel(renderer, t: int, parts: dict[str, np.ndarray], width: int, centre: float | None = None,
           floor_path: np.ndarray | None = None) -> Image.Image:
    """Frame t, parts {"pinned"/"unused": joint mask} re-coloured, cropped to ``width`` around the
    figure (or around ``centre``, px). ``floor_path`` (N, 2) world x, z: drawn on the floor under the
    figure (fixed camera only), brighter up to frame t."""
    g = renderer.geom
    saved = (g.bone_colour[t].copy(), g.joint_colour[t].copy(), g.dot_colour[t].copy())
    for name, mask in parts.items():
        if mask is not None and mask.any():
            _tint(renderer, t, mask, PINNED if name == "pinned" else UNUSED)
    if floor_path is None:
        img = renderer.render_image(t)
    else:  # the renderer's own steps, with the path drawn between the floor and the figure
        if not renderer._static_grid:
            raise ValueError("a floor path needs the fixed camera")
        img = renderer._background(int(renderer._levels[t])).copy()
        _draw_floor_path(img, renderer, floor_path, t)
        renderer._draw_shadow(img, t)
        renderer._draw_figure(img, t)
    g.bone_colour[t], g.joint_colour[t], g.dot_colour[t] = saved
    size = img.width
    if centre is None:
        x0, _, x1, _ = g.box[t].tolist()
        centre = (x0 + x1) / 2 if x1 > x0 else size / 2
    left = int(round(min(max(centre - width / 2, 0), size - width)))
    return img.crop((left, 0, left + width, size))


def _draw_floor_path(img: Image.Image, renderer, path_xz: np.ndarray, t: int, ss: int = 3) -> None:
    """The path (N, 2) on the renderer's floor: dim ahead of frame t, bright up to it."""
    floor = np.stack([path_xz[:, 0], np.full(len(path_xz), renderer.camera.floor_y), path_xz[:, 1]], axis=1)
    uv, _ = renderer.camera[t].project(floor)
    pts = [tuple(p) for p in (uv * ss).tolist()]
    for part, colour, w in ((pts, UNUSED * 0.8, 2), (pts[: t + 1], PINNED, 3)):
        mask = Image.new("L", (img.width * ss, img.height * ss), 0)
        ImageDraw.Draw(mask).line(part, fill=255, width=w * ss, joint="curve")
        solid = Image.new("RGB", img.size, tuple(int(v) for v in colour))
        img.paste(solid, (0, 0), mask.reduce(ss))


def _label(img: Image.Image, xy, text: str, font, fill=TEXT, anchor: str = "la") -> None:
    draw = ImageDraw.Draw(img)
    draw.text((xy[0] + 1, xy[1] + 1), text, font=font, fill=(0, 0, 0), anchor=anchor)
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)


def _vertical(text: str, font, height: int) -> Image.Image:
    img = Image.new("RGB", (height, LABEL_W), SHEET_BG)
    _label(img, (height // 2, LABEL_W // 2), text, font, TEXT, "mm")
    return img.rotate(90, expand=True)


def _sheet(title: str, subtitle: str, rows: list[tuple[str, list[Image.Image]]], times: list[float],
           tags: list[list[tuple[str, tuple]]], legend: list[tuple[str, tuple]]) -> Image.Image:
    """Title, then rows of panels (label, panels) with a time label on the top row and a state tag on each."""
    n = len(times)
    col = (WIDTH - LABEL_W) // n
    heights = [max(p.height for p in panels) for _, panels in rows]
    sheet = Image.new("RGB", (WIDTH, TITLE_H + sum(heights) + 4 * (len(rows) - 1) + FOOTER_H), SHEET_BG)
    f_title, f_small, f_tag = _font(15, bold=True), _font(12), _font(11)
    _label(sheet, (8, TITLE_H // 2), title, f_title, TEXT, "lm")
    _label(sheet, (WIDTH - 8, TITLE_H // 2), subtitle, f_small, DIM_TEXT, "rm")
    y = TITLE_H
    for r, ((name, panels), h) in enumerate(zip(rows, heights)):
        sheet.paste(_vertical(name, f_small, h), (0, y))
        for i, p in enumerate(panels):
            x = LABEL_W + i * col
            sheet.paste(p, (x + (col - p.width) // 2, y))  # panels are GAP narrower than the column
            if r == 0 or len(rows) == 1:
                _label(sheet, (x + 6, y + 5), f"{times[i]:.1f} s", f_small)
            text, colour = tags[r][i]
            if text:
                _label(sheet, (x + col - 6, y + h - 6), text, f_tag, colour, "rd")
        y += h + 4
    x = LABEL_W + 4
    draw = ImageDraw.Draw(sheet)
    for text, colour in legend:
        if colour == "generated":  # the renderer's left / right colours
            draw.rounded_rectangle((x, y + 6, x + 10, y + 16), 2, fill=GEN_LEFT)
            draw.rectangle((x + 5, y + 6, x + 10, y + 16), fill=GEN_RIGHT)
        else:
            draw.rounded_rectangle((x, y + 6, x + 10, y + 16), 2, fill=colour)
        _label(sheet, (x + 15, y + 11), text, f_tag, DIM_TEXT, "lm")
        x += 30 + int(draw.textlength(text, font=f_tag))
    return sheet


def _save(img: Image.Image, path: Path, colours: int = 256) -> int:
    """Quantised (octree: keeps the figures' colours), optimised PNG; returns its size in bytes."""
    q = img.quantize(colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    q.save(buf, "PNG", optimize=True)
    path.write_bytes(buf.getvalue())
    return len(buf.getvalue())


# ---- measures ------------------------------------------------------------------------------------


def _speed(joints: np.ndarray, fps: float) -> np.ndarray:
    """Mean joint speed (m/s) between consecutive frames, (T-1,)."""
    return np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(-1) * fps


# ---- the edits -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"))
    ap.add_argument("--seconds", type=float, default=8.0, help="length of the clip (at least 6 s)")
    ap.add_argument("--start", type=float, default=10.0, help="where the clip starts in the song (s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", nargs="*", default=None, choices=["keyframes", "inbetween", "keep_lower", "continue", "path"],
                    help="make only these figures")
    ap.add_argument("--plain", action="store_true", help="pinning only, without the seam fix (for comparison)")
    args = ap.parse_args()
    if args.seconds < 6:
        sys.exit("--seconds must be at least 6 (the in-betweening pins 1.5 s at each end)")

    from dancegen import constraints as C
    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.motion import Motion
    from edit_seams import seam as seam_of
    from dancegen.motion.skeleton import COMMON_JOINTS, get_skeleton
    from dancegen.train import prepare_data

    t_start = time.perf_counter()
    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")
    data = prepare_data("dance_with_melody", args.data_root, "test", progress=False, names=[SONG])
    ckpt = load_checkpoint(args.checkpoint)
    fps, spec = ckpt.config.fps, get_skeleton(ckpt.config.skeleton)
    if data.fps != fps or data.skeleton != spec.name:
        sys.exit(f"{args.checkpoint}: dances on {spec.name} at {fps} fps, the data is {data.skeleton} at {data.fps}")
    a = int(round(args.start * fps))
    n = int(round(args.seconds * fps))
    if a + n > len(data.music[0]):
        sys.exit(f"{SONG} is {len(data.music[0]) / fps:.1f} s long: --start + --seconds must fit")
    music = data.music[0][a : a + n]
    real = Motion(data.joints[0][a : a + n], fps, spec.name)
    model = ckpt.build_model()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lower18 = np.array([name in C.LOWER_COMMON for name in COMMON_JOINTS])
    whole = np.ones(len(COMMON_JOINTS), bool)
    dur = n / fps

    real_p99 = float(np.percentile(_speed(real.joints, fps), 99))
    print(f"{SONG} {args.start:g}-{args.start + args.seconds:g} s; the real clip's joint speed: 99th percentile "
          f"{real_p99:.2f} m/s")

    def generate(c):
        """The edited dance (as generate_motion makes it) and the time it took."""
        t0 = time.perf_counter()
        settings = GenerationSettings(seed=args.seed, edit_draft=not args.plain)
        motion = generate_motion(ckpt, music, settings, model=model, constraint=c)
        return motion, None, time.perf_counter() - t0

    def report(name: str, c, m, feats, secs: float) -> str:
        rep = C.constraint_report(m.joints, c, spec, fps)
        pinned = c.mask.any(axis=1)
        seam = seam_of(m.joints, pinned, fps) if pinned.any() and not pinned.all() else None
        seam_txt = (f"seam {seam['seam']:.2f} m/s at {seam['seam_at']:.2f} s, the joined motions' own "
                    f"{seam['reference']:.2f} m/s" if seam else "seams: none (no generated frame meets a pinned one)")
        print(f"{name:11s} {len(c.constrained_frames):3d} frames constrained; {rep.summary()}; {seam_txt}  [{secs:.1f} s]")
        err = max(rep.joints_max, rep.path_max)
        return "pinned values exact" if err < 1e-4 else f"pinned values within {err * 1000:.1f} mm"

    def frames_at(times) -> list[int]:
        return [min(n - 1, int(round(t * fps))) for t in times]

    made: list[Path] = []
    want = set(args.only) if args.only else {"keyframes", "inbetween", "keep_lower", "continue", "path"}
    legend_all = [("pinned", tuple(int(v) for v in PINNED)), ("generated", "generated"),
                  ("real dance, not pinned", tuple(int(v) for v in UNUSED))]

    def contact(name: str, title: str, times, top, bottom, top_parts, bottom_parts, top_tags, bottom_tags,
                subtitle: str, legend=None, mode: str = "follow", rows=("constraint", "result")) -> None:
        idx = frames_at(times)
        col = (WIDTH - LABEL_W) // len(times)
        r_top, r_bot = _renderers([top, bottom], PANEL_H, mode)
        panels_top = [_panel(r_top, t, p, col - GAP) for t, p in zip(idx, top_parts)]
        panels_bot = [_panel(r_bot, t, p, col - GAP) for t, p in zip(idx, bottom_parts)]
        img = _sheet(title, subtitle, [(rows[0], panels_top), (rows[1], panels_bot)], list(times),
                     [top_tags, bottom_tags], legend or legend_all)
        path = out / f"edit_{name}.png"
        size = _save(img, path)
        made.append(path)
        print(f"  -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({size / 1024:.0f} KB)")

    green, grey, orange = tuple(int(v) for v in PINNED), tuple(int(v) for v in UNUSED), (255, 160, 90)

    # keyframes: three real poses at 1/8, 1/2 and 7/8 of the clip
    if "keyframes" in want:
        key_t = np.round(np.array([0.125, 0.5, 0.875]) * dur * 2) / 2
        poses = Motion(real.joints[frames_at(key_t)], fps, spec.name)
        c = C.keyframes(poses, key_t, n, spec, fps)
        m, feats, secs = generate(c)
        sub = report("keyframes", c, m, feats, secs)
        times = sorted([*key_t, *(key_t[:-1] + key_t[1:]) / 2])
        is_key = [any(abs(t - k) < 1e-6 for k in key_t) for t in times]
        contact("keyframes", f"Keyframes: {len(key_t)} poses pinned, everything between generated", times, real, m,
                [{"pinned" if k else "unused": whole} for k in is_key],
                [{"pinned": whole if k else None} for k in is_key],
                [("keyframe", green) if k else ("not pinned", grey) for k in is_key],
                [("pinned", green) if k else ("generated", orange) for k in is_key], sub)

    # in-betweening: the real dance's first and last 1.5 s pinned
    if "inbetween" in want:
        k = int(round(1.5 * fps))
        ma, mb = Motion(real.joints[:k], fps, spec.name), Motion(real.joints[-k:], fps, spec.name)
        c = C.inbetween(ma, mb, n, spec, fps)
        m, feats, secs = generate(c)
        sub = report("inbetween", c, m, feats, secs)
        gap = dur - 3.0
        times = [0.5, 1.4, 1.5 + gap / 4, 1.5 + gap / 2, 1.5 + 3 * gap / 4, dur - 0.5]
        pinned = [bool(c.mask[i].any()) for i in frames_at(times)]
        contact("inbetween", "In-betweening: first and last 1.5 s pinned, the transition generated", times, real, m,
                [{"pinned" if p else "unused": whole} for p in pinned],
                [{"pinned": whole if p else None} for p in pinned],
                [("motion A" if p and t < dur / 2 else "motion B" if p else "not pinned", green if p else grey)
                 for p, t in zip(pinned, times)],
                [("pinned", green) if p else ("generated", orange) for p in pinned], sub)

    # keep the lower body of the real dance, generate the upper body
    if "keep_lower" in want:
        c = C.keep_part(real, "lower", n, spec, fps)
        m, feats, secs = generate(c)
        sub = report("keep lower", c, m, feats, secs)
        times = list(np.linspace(0.5, dur - 0.5, 6))
        contact("keep_lower", "Keep lower body: legs and root path pinned, the upper body generated", times, real, m,
                [{"pinned": lower18, "unused": ~lower18}] * 6, [{"pinned": lower18}] * 6,
                [("real dance", green)] * 6, [("new upper body", orange)] * 6, sub)

    # continuation: the real dance's first 3 s pinned
    if "continue" in want:
        k = int(round(3.0 * fps))
        c = C.continuation(Motion(real.joints[:k], fps, spec.name), n, spec, fps)
        m, feats, secs = generate(c)
        sub = report("continue", c, m, feats, secs)
        rest = dur - 3.0
        times = [1.0, 2.9, 3.2, 3.0 + 3 * rest / 8, 3.0 + 5 * rest / 8, dur - 0.3]  # 3.2 s: just after the join
        pinned = [bool(c.mask[i].any()) for i in frames_at(times)]
        contact("continue", "Continuation: the first 3 s pinned, the model dances on", times, real, m,
                [{"pinned" if p else "unused": whole} for p in pinned],
                [{"pinned": whole if p else None} for p in pinned],
                [("start motion", green) if p else ("real, not used", grey) for p in pinned],
                [("pinned", green) if p else ("continued", orange) for p in pinned], sub)

    # root path: a figure of eight on the floor
    if "path" in want:
        tt = np.arange(n) / fps
        path = np.stack([0.55 * np.sin(2 * np.pi * tt / dur), 0.3 * np.sin(4 * np.pi * tt / dur)], axis=1)
        c = C.root_path(path, n, spec, fps)
        m, feats, secs = generate(c)
        root = spec.root_position(m.joints)[:, [0, 2]]
        root = root - root[0]
        dev = np.linalg.norm(root - (path - path[0]), axis=1)
        report("path", c, m, feats, secs)
        print(f"{'':11s} root (pelvis) off the path by {dev.mean() * 100:.2f} cm mean, {dev.max() * 100:.2f} cm max")
        times = list(np.linspace(0.5, dur - 0.5, 6))
        idx = frames_at(times)
        col = (WIDTH - LABEL_W) // len(times)
        maps = [_map(path, i, col - GAP, PANEL_H) for i in idx]
        # one fixed camera and one crop for all frames, so the travel shows; smaller if it is too wide
        (r_bot,) = _renderers([m], PANEL_H, "fixed")
        boxes = r_bot.geom.box[idx]
        spread = boxes[:, 2].max() - boxes[:, 0].min() + 8
        if spread > col - GAP:
            (r_bot,) = _renderers([m], int(PANEL_H * (col - GAP) / spread), "fixed")
            boxes = r_bot.geom.box[idx]
        centre = (boxes[:, 0].min() + boxes[:, 2].max()) / 2
        floor_path = path - path[0] + spec.root_position(m.joints[:1])[0, [0, 2]]
        panels = [_panel(r_bot, t, {}, col - GAP, centre, floor_path) for t in idx]
        img = _sheet("Root path: a figure of eight pinned, the dance generated",
                     f"root within {max(dev.max() * 100, 0.1):.1f} cm of the path",
                     [("path (from above)", maps), ("result", panels)], times,
                     [[("requested", green)] * 6, [("", orange)] * 6],
                     [("requested path (travelled part bright)", green), ("position at this time", (255, 255, 255)),
                      ("generated dance (one fixed camera)", "generated")])
        p = out / "edit_path.png"
        size = _save(img, p)
        made.append(p)
        print(f"  -> {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p} ({size / 1024:.0f} KB)")
        p = out / "edit_path_topdown.png"
        size = _topdown(path - path[0], root, times, fps, p)
        made.append(p)
        print(f"  -> {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p} ({size / 1024:.0f} KB)")

    print(f"{len(made)} images in {time.perf_counter() - t_start:.0f} s")


def _map(path: np.ndarray, t: int, width: int, height: int) -> Image.Image:
    """The requested path from above (x right, z towards the viewer = down, like the cameras), dot at frame t."""
    ss = 3
    img = Image.new("RGB", (width * ss, height * ss), (24, 27, 36))
    draw = ImageDraw.Draw(img)
    p = path - path[0]
    lo, hi = p.min(0) - 0.25, p.max(0) + 0.25
    scale = min(width * ss / (hi[0] - lo[0]), (height - 26) * ss / (hi[1] - lo[1]))
    off = np.array([width * ss, (height + 6) * ss]) / 2 - scale * (lo + hi) / 2

    def px(q):
        return tuple((off + scale * np.asarray(q)).tolist())

    for g in np.arange(np.ceil(lo[0] * 2) / 2, hi[0], 0.5):
        draw.line((*px((g, lo[1])), *px((g, hi[1]))), fill=(44, 48, 62), width=ss)
    for g in np.arange(np.ceil(lo[1] * 2) / 2, hi[1], 0.5):
        draw.line((*px((lo[0], g)), *px((hi[0], g))), fill=(44, 48, 62), width=ss)
    pts = [px(q) for q in p]
    draw.line(pts, fill=tuple(int(v) for v in UNUSED), width=2 * ss, joint="curve")
    draw.line(pts[: t + 1], fill=tuple(int(v) for v in PINNED), width=3 * ss, joint="curve")
    x, y = pts[t]
    r = 5 * ss
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255), outline=(20, 20, 20), width=ss)
    x0, y0 = pts[0]
    draw.rectangle((x0 - 3 * ss, y0 - 3 * ss, x0 + 3 * ss, y0 + 3 * ss), outline=(200, 200, 200), width=ss)
    return img.reduce(ss)


def _topdown(path: np.ndarray, root: np.ndarray, times, fps: float, dest: Path) -> int:
    """Requested path against the generated root trajectory, from above; returns the PNG size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.9), dpi=150)
    fig.patch.set_facecolor("white")
    ax.plot(path[:, 0], path[:, 1], color="#3fae4f", lw=5, alpha=0.55, label="requested path")
    ax.plot(root[:, 0], root[:, 1], color="#d9622b", lw=1.6, label="generated root (pelvis)")
    ax.plot([0], [0], "s", color="k", ms=5, label="start")
    for t in times:
        i = min(len(root) - 1, int(round(t * fps)))
        ax.plot(*root[i], "o", color="#d9622b", ms=4)
        ax.annotate(f"{t:.1f} s", root[i], textcoords="offset points", xytext=(5, 4), fontsize=8)
    ax.set_aspect("equal")
    ax.invert_yaxis()  # z towards the camera points down, as in the rendered frames
    ax.set_xlabel("x (m)")
    ax.set_ylabel("z (m), towards the camera ↓")
    ax.set_title("Root path from above: requested vs generated", fontsize=10, pad=24)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return _save(img, dest, colours=128)


if __name__ == "__main__":
    main()
