"""A fast, anti-aliased stick-figure renderer for a Motion.

Every frame is drawn with PIL at ``supersample`` times the output size and box-filtered down, which
anti-aliases the edges. What does not change from frame to frame is computed once per video: the
background gradient with a soft floor light, the floor-grid fade mask (screen-static for the follow
camera, whose offset from its target is constant), the shadow sprite, and for the fixed camera the
whole floor. All per-frame geometry (projection, draw order, widths, colours) is computed up front
with numpy, so the per-frame loop only issues draw calls.

Look: dark blue-grey gradient, a perspective floor grid fading with distance from the dancer, a soft
shadow under the pelvis, limbs as thick rounded strokes (left side warm orange, right side cool blue,
centre light grey), shaded by depth, joints as lighter dots, a head circle; an optional decaying
brightening of the background at every beat.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from dancegen.motion.motion import Motion
from dancegen.motion.skeleton import COMMON_BONES, COMMON_JOINTS
from dancegen.render.camera import CameraPath, framing_camera

# ---- style -------------------------------------------------------------------------------------

BG_TOP = np.array([34.0, 38.0, 52.0])
BG_BOTTOM = np.array([9.0, 10.0, 14.0])
FLOOR_LIGHT = np.array([22.0, 24.0, 30.0])  # added under the dancer, fading with floor distance
FLASH = np.array([26.0, 24.0, 40.0])  # background brightening at a beat (times the envelope)
GRID_COLOUR = (150, 162, 190)
GRID_ALPHA = 0.5  # at the dancer's feet
SHADOW_ALPHA = 0.6
COLOUR_LEFT = np.array([255.0, 138.0, 60.0])
COLOUR_RIGHT = np.array([64.0, 168.0, 255.0])
COLOUR_CENTRE = np.array([228.0, 230.0, 238.0])
HEAD_OUTLINE = (70, 74, 90)

GRID_SPACING = 0.5  # m
GRID_RADIUS = 6.0  # m, grid lines drawn within this distance of the camera target
FLOOR_FADE = 3.2  # m, Gaussian fade radius of the grid and the floor light
SHADOW_RADIUS = 0.42  # m
HEAD_RADIUS = 0.11  # m
BEAT_DECAY = 0.16  # s, time constant of the beat flash
FLASH_LEVELS = 16  # quantisation of the flash envelope (backgrounds are cached per level)

_J = {name: i for i, name in enumerate(COMMON_JOINTS)}
_BONES = np.array([(_J[a], _J[b]) for a, b in COMMON_BONES])
_BONE_LIST = _BONES.tolist()


def _side(name: str) -> str:
    return "left" if name.startswith("left") else "right" if name.startswith("right") else "centre"


def _bone_radius(a: str, b: str) -> float:
    """Stroke half-width (m) of a bone."""
    pair = {a.split("_")[-1], b.split("_")[-1]}
    if pair <= {"pelvis", "spine", "neck"}:
        return 0.06
    if "head" in pair:
        return 0.045
    if "shoulder" in pair and "neck" in pair:
        return 0.045
    if "hip" in pair and "pelvis" in pair:
        return 0.05
    if pair == {"hip", "knee"}:
        return 0.055
    if pair == {"knee", "ankle"}:
        return 0.047
    if pair == {"shoulder", "elbow"}:
        return 0.042
    if pair == {"elbow", "wrist"}:
        return 0.036
    return 0.034  # feet


_BONE_RADIUS = np.array([_bone_radius(a, b) for a, b in COMMON_BONES])
_SIDE_COLOUR = {"left": COLOUR_LEFT, "right": COLOUR_RIGHT, "centre": COLOUR_CENTRE}
_BONE_COLOUR = np.array([_SIDE_COLOUR[_side(b)] if _side(b) != "centre" else _SIDE_COLOUR[_side(a)]
                         for a, b in COMMON_BONES])  # fmt: skip
_JOINT_COLOUR = np.array([_SIDE_COLOUR[_side(n)] for n in COMMON_JOINTS])
# A joint's disc is as wide as the widest bone at that joint (it rounds the bones' ends).
_JOINT_RADIUS = np.array(
    [max(r for (a, b), r in zip(COMMON_BONES, _BONE_RADIUS) if n in (a, b)) for n in COMMON_JOINTS]
)


def beat_envelope(num_frames: int, fps: float, beat_times: np.ndarray | None) -> np.ndarray:
    """Flash strength (num_frames,) in [0, 1]: 1 on the frame nearest a beat, decaying exponentially."""
    env = np.zeros(num_frames)
    if beat_times is None or num_frames == 0:
        return env
    beats = np.sort(np.asarray(beat_times, np.float64).ravel())
    beats = beats[np.isfinite(beats)]
    if beats.size == 0:
        return env
    t = np.arange(num_frames) / fps
    # The beat counts from the frame nearest to it (half a frame early).
    idx = np.searchsorted(beats, t + 0.5 / fps, side="right") - 1
    has = idx >= 0
    dt = np.maximum(t - beats[np.maximum(idx, 0)], 0.0)
    env[has] = np.exp(-dt[has] / BEAT_DECAY)
    return env


@dataclass
class _Geometry:
    """Per-frame drawing data for all frames; pixel quantities are supersampled."""

    uv: np.ndarray  # (T, 18, 2) supersampled pixels
    order: np.ndarray  # (T, P) primitive indices, far to near; P = bones + joints + head
    bone_width: np.ndarray  # (T, B) stroke widths (px)
    bone_colour: np.ndarray  # (T, B, 3) uint8
    joint_radius: np.ndarray  # (T, 18) disc radius (px)
    joint_colour: np.ndarray  # (T, 18, 3) uint8
    dot_colour: np.ndarray  # (T, 18, 3) uint8
    head_radius: np.ndarray  # (T,) px
    ok_joint: np.ndarray  # (T, 18) bool, finite and in front of the camera
    box: np.ndarray  # (T, 4) int figure bounding box x0, y0, x1, y1 in output pixels (x1 == x0: none)
    shadow_box: np.ndarray  # (T, 4) x0, y0, x1, y1 in output pixels
    shadow_alpha: np.ndarray  # (T,) in [0, 1]


class SkeletonRenderer:
    """Renders frames of one motion; construct once per video, then iterate ``frames()``.

    Per frame: copy the cached background (gradient, floor light, beat-flash level; for a static
    camera also the grid), composite the floor grid (drawn supersampled into a mask, box-filtered,
    faded), paste the soft shadow, then draw the figure supersampled inside its bounding box only
    (the box is enlarged by pixel repetition, drawn on and box-filtered back, which leaves the
    pixels the figure does not touch exactly as they were).
    """

    def __init__(
        self,
        motion: Motion,
        size: int = 512,
        camera_mode: str = "follow",
        beat_times: np.ndarray | None = None,
        supersample: int = 2,
        camera: CameraPath | None = None,
    ) -> None:
        if size < 16:
            raise ValueError(f"image size must be at least 16 pixels, got {size}")
        if supersample < 1:
            raise ValueError(f"supersample must be >= 1, got {supersample}")
        self.size = int(size)
        self.ss = int(supersample)
        self.joints = motion.common().astype(np.float64)  # (T, 18, 3)
        self.num_frames = self.joints.shape[0]
        self.camera = camera if camera is not None else framing_camera(
            self.joints, self.size, camera_mode, fps=motion.fps
        )
        if len(self.camera) != self.num_frames:
            raise ValueError(f"camera has {len(self.camera)} frames, motion {self.num_frames}")
        if self.camera.size != self.size:
            raise ValueError(f"camera is for {self.camera.size} px images, not {self.size}")
        self.cam_big = self.camera.scaled(self.ss)
        self.envelope = beat_envelope(self.num_frames, motion.fps, beat_times)
        self._levels = np.round(self.envelope * (FLASH_LEVELS - 1)).astype(int)
        self._bg_cache: dict[int, Image.Image] = {}
        if self.num_frames:
            self._build_static()
            self.geom = self._build_geometry()

    # ---- static layers ---------------------------------------------------------------------------

    def _floor_fade(self) -> np.ndarray:
        """(size, size) floor fade in [0, 1]: a Gaussian of the floor distance from frame 0's target.

        Screen-static for the follow camera (its offset from the target never changes).
        """
        n = self.size
        step = 4 if n >= 128 else 1  # the fade is smooth: evaluate coarsely and upsample
        coarse = -(-n // step)
        c = (np.arange(coarse) + 0.5) * step
        uu, vv = np.meshgrid(c, c)
        hit = self.camera[0].unproject_to_floor(np.stack([uu, vv], -1), self.camera.floor_y)
        tgt = self.camera.targets[0]
        with np.errstate(invalid="ignore"):
            r2 = (hit[..., 0] - tgt[0]) ** 2 + (hit[..., 2] - tgt[2]) ** 2
            fade = np.exp(-r2 / self._fade_radius**2)
        fade = np.where(np.isfinite(fade), fade, 0.0)
        img = Image.fromarray((fade * 255 + 0.5).astype(np.uint8))
        if step > 1:
            img = img.resize((coarse * step, coarse * step), Image.BILINEAR).crop((0, 0, n, n))
        return np.asarray(img, np.float64) / 255.0

    def _build_static(self) -> None:
        n = self.size
        # Floor extent: the follow camera's defaults, widened to the floor area the dancer uses.
        cam = self.camera
        dist = float(np.linalg.norm(cam.positions[0] - cam.targets[0]))
        pel = self.joints[:, _J["pelvis"]]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            reach = np.nanmax(np.hypot(pel[:, 0] - cam.targets[:, 0], pel[:, 2] - cam.targets[:, 2]))
        reach = float(reach) if np.isfinite(reach) else 0.0
        self._fade_radius = max(FLOOR_FADE, reach + 1.5)
        self._grid_spacing = GRID_SPACING if dist <= 10.0 else 2 * GRID_SPACING
        grid_radius = max(GRID_RADIUS, 2.0 * self._fade_radius)
        fade = self._floor_fade()
        grad = np.linspace(0.0, 1.0, n)[:, None, None]
        base = BG_TOP * (1 - grad) + BG_BOTTOM * grad
        light = fade[..., None] ** 1.5
        bg = base + FLOOR_LIGHT * light
        flash = bg + FLASH * (0.3 + 0.7 * light)
        self._bg0 = Image.fromarray(np.clip(bg + 0.5, 0, 255).astype(np.uint8))
        self._bg1 = Image.fromarray(np.clip(flash + 0.5, 0, 255).astype(np.uint8))
        # The grid is only composited inside the box where its fade is not zero (below the horizon).
        grid_fade = Image.fromarray(np.clip(fade * GRID_ALPHA * 255 + 0.5, 0, 255).astype(np.uint8))
        self._grid_box = grid_fade.getbbox()
        self._grid_width = max(1, int(round(self.ss * max(1.0, n / 512))))
        if self._grid_box is not None:
            x0, y0, x1, y1 = self._grid_box
            self._grid_fade = grid_fade.crop(self._grid_box)
            self._grid_solid = Image.new("RGB", (x1 - x0, y1 - y0), GRID_COLOUR)
            segs, _, valid = self.cam_big.floor_grid(self._grid_spacing, grid_radius)
            segs = segs - np.array([x0, y0]) * self.ss  # into the box's supersampled pixels
            self._grid_segs = segs.reshape(segs.shape[0], segs.shape[1], 4).astype(np.float32)
            self._grid_valid = valid
        self._static_grid = self.camera.mode == "fixed" or np.ptp(self.camera.positions, axis=0).max() < 1e-9
        if self._static_grid:
            self._bg0 = self._with_grid(self._bg0, 0)
            self._bg1 = self._with_grid(self._bg1, 0)
        # Soft shadow sprite: a Gaussian blob cut off smoothly at the ellipse edge.
        m = 128
        x = (np.arange(m) + 0.5) / m * 2 - 1
        r2 = x[None, :] ** 2 + x[:, None] ** 2
        blob = np.exp(-r2 / 0.28) * np.clip((1 - r2) / 0.35, 0, 1)
        self._shadow = Image.fromarray((blob / blob.max() * 255).astype(np.uint8))
        self._shadow_luts = [[int(v * k / 15 + 0.5) for v in range(256)] for k in range(16)]

    def _with_grid(self, img: Image.Image, t: int) -> Image.Image:
        """A copy of ``img`` with frame ``t``'s floor grid (lines anti-aliased, faded with distance)."""
        out = img.copy()
        if self._grid_box is None:
            return out
        x0, y0, x1, y1 = self._grid_box
        ss = self.ss
        mask = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
        draw = ImageDraw.Draw(mask)
        w = self._grid_width
        for seg in self._grid_segs[t][self._grid_valid[t]].tolist():
            draw.line(seg, fill=255, width=w)
        if ss > 1:
            mask = mask.reduce(ss)
        mask = ImageChops.multiply(mask, self._grid_fade)
        out.paste(Image.composite(self._grid_solid, img.crop(self._grid_box), mask), (x0, y0))
        return out

    def _background(self, level: int) -> Image.Image:
        bg = self._bg_cache.get(level)
        if bg is None:
            bg = self._bg0 if level == 0 else Image.blend(self._bg0, self._bg1, level / (FLASH_LEVELS - 1))
            self._bg_cache[level] = bg
        return bg

    # ---- per-frame geometry (vectorised over frames) ----------------------------------------------

    def _build_geometry(self) -> _Geometry:
        cam = self.cam_big
        T = self.num_frames
        uv, depth = cam.project(self.joints)
        ok = np.isfinite(uv).all(axis=2) & (depth > 0.1)
        safe_depth = np.where(ok, depth, np.inf)
        scale = cam.focal / safe_depth  # supersampled px per metre at each joint, (T, 18)
        a, b = _BONES[:, 0], _BONES[:, 1]
        bone_depth = 0.5 * (depth[:, a] + depth[:, b])
        bone_scale = 0.5 * (scale[:, a] + scale[:, b])
        bone_width = 2 * _BONE_RADIUS[None, :] * bone_scale
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(np.where(ok, depth, np.nan), axis=1)
        root_depth = np.where(ok[:, _J["pelvis"]], depth[:, _J["pelvis"]], med)

        def shade(colour: np.ndarray, d: np.ndarray) -> np.ndarray:
            # Nearer than the pelvis: brighter; farther: darker (a simple depth cue), +-20%.
            k = 1.0 - 0.2 * np.clip((d - root_depth[:, None]) / 0.6, -1.0, 1.0)
            k = np.where(np.isfinite(k), k, 1.0)
            return np.clip(colour[None, :, :] * k[..., None], 0, 255).astype(np.uint8)

        bone_colour = shade(_BONE_COLOUR, bone_depth)
        joint_colour = shade(_JOINT_COLOUR, depth)
        dot_colour = shade(_JOINT_COLOUR * 0.45 + 255 * 0.55, depth)
        joint_radius = _JOINT_RADIUS[None, :] * scale
        head_radius = HEAD_RADIUS * scale[:, _J["head"]]

        # Draw order: bones at their mean depth; joints a little nearer than they are, so a joint's
        # dot lands on the bones that meet there; the head last among things at its depth.
        prim_depth = np.concatenate([bone_depth, depth - 0.15, depth[:, _J["head"]][:, None] - 0.05], axis=1)
        prim_depth = np.where(np.isfinite(prim_depth), prim_depth, -np.inf)
        order = np.argsort(-prim_depth, axis=1, kind="stable")

        # Figure bounding box in output pixels (joints +- the widest thing drawn around them).
        reach = np.maximum(joint_radius, 0.0)
        reach[:, _J["head"]] = np.maximum(reach[:, _J["head"]], head_radius)
        reach = np.where(ok, reach + 2 * self.ss, np.nan)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanmin(np.where(ok[..., None], uv - reach[..., None], np.nan), axis=1) / self.ss
            hi = np.nanmax(np.where(ok[..., None], uv + reach[..., None], np.nan), axis=1) / self.ss
        any_ok = ok.any(axis=1)
        lo = np.where(any_ok[:, None], lo, 0.0)
        hi = np.where(any_ok[:, None], hi, 0.0)
        box = np.concatenate([np.floor(lo), np.ceil(hi)], axis=1)
        box = np.clip(box, 0, self.size).astype(int)

        # Shadow: an ellipse on the floor under the pelvis, fainter as the pelvis rises.
        pel = self.joints[:, _J["pelvis"]]
        pel = np.where(np.isfinite(pel), pel, self.camera.targets)
        fy = self.camera.floor_y
        r = SHADOW_RADIUS
        offs = np.array([[-r, 0, 0], [r, 0, 0], [0, 0, -r], [0, 0, r]])
        ground = np.stack([pel[:, 0], np.full(T, fy), pel[:, 2]], axis=1)
        suv, _ = self.camera.project(ground[:, None, :] + offs[None])
        shadow_box = np.stack([suv[:, 0, 0], suv[:, 2, 1], suv[:, 1, 0], suv[:, 3, 1]], axis=1)
        height = pel[:, 1] - fy
        rest = np.nanmedian(height) if np.isfinite(height).any() else 0.9
        shadow_alpha = SHADOW_ALPHA * np.clip(1.0 - (height - rest) / 1.2, 0.25, 1.0)
        return _Geometry(
            uv=uv, order=order, bone_width=bone_width, bone_colour=bone_colour,
            joint_radius=joint_radius, joint_colour=joint_colour, dot_colour=dot_colour,
            head_radius=head_radius, ok_joint=ok, box=box, shadow_box=shadow_box,
            shadow_alpha=shadow_alpha,
        )  # fmt: skip

    # ---- drawing ---------------------------------------------------------------------------------

    def render_image(self, t: int) -> Image.Image:
        """Frame ``t`` as a PIL RGB image, (size, size)."""
        img = self._background(int(self._levels[t]))
        img = img.copy() if self._static_grid else self._with_grid(img, t)
        self._draw_shadow(img, t)
        self._draw_figure(img, t)
        return img

    def _draw_figure(self, img: Image.Image, t: int) -> None:
        g = self.geom
        x0, y0, x1, y1 = g.box[t].tolist()
        if x1 <= x0 or y1 <= y0:
            return
        ss = self.ss
        crop = img.crop((x0, y0, x1, y1))
        if ss > 1:
            crop = crop.resize(((x1 - x0) * ss, (y1 - y0) * ss), Image.NEAREST)
        draw = ImageDraw.Draw(crop)
        uv = (g.uv[t] - (x0 * ss, y0 * ss)).tolist()
        ok = g.ok_joint[t].tolist()
        nb, nj = len(_BONES), len(COMMON_JOINTS)
        bw, bc = g.bone_width[t].tolist(), g.bone_colour[t].tolist()
        jr, jc, dc = g.joint_radius[t].tolist(), g.joint_colour[t].tolist(), g.dot_colour[t].tolist()
        bones = _BONE_LIST
        head = _J["head"]
        for p in g.order[t].tolist():
            if p < nb:
                a, b = bones[p]
                if ok[a] and ok[b]:
                    draw.line((*uv[a], *uv[b]), fill=tuple(bc[p]), width=max(1, int(round(bw[p]))))
            elif p < nb + nj:
                j = p - nb
                if ok[j] and j != head:  # the head joint is drawn as the head circle
                    x, y = uv[j]
                    r = jr[j]
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(jc[j]))
                    r *= 0.55
                    draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(dc[j]))
            elif ok[head]:
                x, y = uv[head]
                r = float(g.head_radius[t])
                ow = max(1, int(round(r * 0.12)))
                draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(jc[head]), outline=HEAD_OUTLINE, width=ow)
        if ss > 1:
            crop = crop.reduce(ss)
        img.paste(crop, (x0, y0))

    def _draw_shadow(self, img: Image.Image, t: int) -> None:
        x0, y0, x1, y1 = self.geom.shadow_box[t].tolist()
        if not np.isfinite([x0, y0, x1, y1]).all():
            return
        w, h = int(round(x1 - x0)), int(round(y1 - y0))
        if w < 2 or h < 2 or w > 4 * self.size or h > 4 * self.size:
            return
        sprite = self._shadow.resize((w, h), Image.BILINEAR)
        level = int(round(float(self.geom.shadow_alpha[t]) * 15))
        sprite = sprite.point(self._shadow_luts[level])
        left, top = int(round(x0)), int(round(y0))
        img.paste((0, 0, 0), (left, top, left + w, top + h), sprite)

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame as a new, read-only (size, size, 3) uint8 RGB array."""
        for t in range(self.num_frames):
            yield np.asarray(self.render_image(t))


def render_frames(
    motion: Motion,
    size: int = 512,
    camera_mode: str = "follow",
    beat_times: np.ndarray | None = None,
    *,
    supersample: int = 2,
) -> Iterator[np.ndarray]:
    """Render ``motion`` as a stick figure: yields one (size, size, 3) uint8 RGB frame per motion frame.

    Each frame is a new read-only array (copy it to draw on it).

    ``camera_mode`` ``"follow"`` or ``"fixed"`` (see ``dancegen.render.camera``); ``beat_times`` in
    seconds (from the motion's start) make the background flash on each beat. ``supersample`` is the
    anti-aliasing factor (drawn that many times larger, then box-filtered down). The set-up (camera,
    geometry for all frames) runs now, so bad arguments raise here; frames are drawn lazily.
    """
    return SkeletonRenderer(motion, size, camera_mode, beat_times, supersample).frames()

