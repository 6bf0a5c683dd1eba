"""Seams of the edits: how fast the dance moves where generated frames meet pinned ones (docs/EDITING.md).

Each edit is built the way ``dancegen generate`` builds it (``dancegen.constraints``) from clips of
the held-out Dance-with-Melody songs and generated with ``generate_motion(..., constraint=...)``
for several seeds. Per run:

  seam       the fastest mean joint speed (m/s, mean over joints of one frame-to-frame step) over
             the steps within --window s of a border that touch a generated frame (steps between
             two pinned frames are the given motion's own);
  reference  the faster of the two motions the border joins: the 99th percentile of the generated
             part's own steps farther than --window s from every border, and of the pinned
             motion's own steps (where it has any: not for single keyframes), or the pinned
             motion's fastest step within --window s of a border (a continuation may go on at the
             speed its start ends with);
  ok         seam <= reference;
  error      the result against its constraint in metres (``constraints.constraint_report``:
             pinned joints, root path);
  moves      the mean joint speed of the generated part (m/s), and the same frames of the
             unconstrained dance (same song, seed), so that a fix that freezes the dance shows;
  time       seconds per generation (CPU, OMP_NUM_THREADS as set; --repeat N: median of N runs).

Cases: ``continue`` (the clip's first seconds pinned, the rest generated), ``inbetween`` (first
and last 1.5 s pinned), ``keyframes`` (three poses at 1/8, 1/2 and 7/8 of the clip), ``keep_lower``
(the lower body over the whole clip: no border in time, so no seam; printed: the 99th percentile
of the result's steps against those of the unconstrained dance and of the real clip), ``path`` (a
root path over the first half of the clip: only the root's floor velocity is pinned, the pose is
free on both sides, so the measure is the root's floor acceleration (m/s^2) instead of the joint
speed).

``--compare`` runs every case twice: with pinning only (``GenerationSettings(edit_draft=False)``,
the sampler before the seam fix, bit for bit) and with the fix (the default), and prints both.
``--plot PNG`` draws the joint speed around the join of the first continuation clip instead
(docs/img/edit_seam.png).

Usage: OMP_NUM_THREADS=1 python benchmarks/edit_seams.py [--checkpoint default] [--seeds 3]
       [--kinds continue inbetween ...] [--songs DANCE_C_7 ...] [--compare] [--rows] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("continue", "inbetween", "keyframes", "keep_lower", "path")
#: (song, start s, clip s, pinned s) of the continuation cases; the other kinds use the first two
#: numbers and 8 s. The first is the clip of the docs' figures and tests/test_constraints.py; the
#: 19-s one continues the first 4 s of DANCE_W_1 for 15 s.
CLIPS = (
    ("DANCE_C_7", 10.0, 8.0, 3.0),
    ("DANCE_W_1", 0.0, 19.0, 4.0),
    ("DANCE_R_5", 10.0, 8.0, 3.0),
    ("DANCE_W_16", 10.0, 8.0, 3.0),
    ("DANCE_W_18", 20.0, 10.0, 3.33),
    ("DANCE_W_23", 0.0, 19.0, 4.0),
    ("DANCE_C_7", 50.0, 15.0, 2.57),
    ("DANCE_R_5", 50.0, 15.0, 2.57),
)


def speeds(joints: np.ndarray, fps: float) -> np.ndarray:
    """Mean joint speed (m/s) of each frame-to-frame step, (T-1,)."""
    return np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(-1) * fps


def root_accelerations(joints: np.ndarray, spec, fps: float) -> np.ndarray:
    """The root's floor acceleration (m/s^2) at each step after the first, padded to (T-1,)."""
    vel = np.diff(spec.root_position(joints)[:, [0, 2]], axis=0) * fps
    acc = np.linalg.norm(np.diff(vel, axis=0), axis=-1) * fps
    return np.r_[acc[:1], acc]


def seam(joints: np.ndarray, pinned: np.ndarray, fps: float, window_s: float = 0.3, s: np.ndarray | None = None) -> dict:
    """Seam measure of joints (T, J, 3) whose frames ``pinned`` (T,) bool were given (module doc);
    ``s`` (T-1,): measure these per-step values instead of the mean joint speed."""
    s = speeds(joints, fps) if s is None else s
    k = int(round(window_s * fps))
    step_pinned = pinned[1:] & pinned[:-1]
    step_free = ~pinned[1:] & ~pinned[:-1]
    near = np.zeros(len(s), bool)
    edges = np.flatnonzero(pinned[1:] != pinned[:-1])  # step b joins frames b and b + 1
    for b in edges:
        near[max(0, b - k) : b + k + 1] = True
    inside = step_free & ~near
    ref_free = float(np.percentile(s[inside], 99)) if inside.any() else 0.0
    ref_pinned = float(np.percentile(s[step_pinned], 99)) if step_pinned.any() else 0.0
    ref_local = float(s[near & step_pinned].max()) if (near & step_pinned).any() else 0.0
    at = near & ~step_pinned
    worst = int(np.flatnonzero(at)[np.argmax(s[at])]) if at.any() else -1
    return {
        "borders": int(len(edges)),
        "seam": float(s[worst]) if worst >= 0 else float("nan"),
        "seam_at": (worst + 0.5) / fps if worst >= 0 else float("nan"),
        "reference": max(ref_free, ref_pinned, ref_local),
        "inside_p99": ref_free,
        "pinned_p99": max(ref_pinned, ref_local),
        "inside_max": float(s[inside].max()) if inside.any() else 0.0,
        "moves": float(s[step_free].mean()) if step_free.any() else 0.0,
    }


def build(kind: str, joints: np.ndarray, n: int, pin_s: float, spec, fps: float):
    from dancegen import constraints as C
    from dancegen.motion import Motion

    m = lambda a, b: Motion(joints[a:b], fps, spec.name)  # noqa: E731
    if kind == "continue":
        return C.continuation(m(0, int(round(pin_s * fps))), n, spec, fps)
    if kind == "inbetween":
        k = int(round(1.5 * fps))
        return C.inbetween(m(0, k), m(n - k, n), n, spec, fps)
    if kind == "keyframes":
        times = np.round(np.array([0.125, 0.5, 0.875]) * n / fps * 2) / 2
        return C.keyframes(Motion(joints[np.round(times * fps).astype(int)], fps, spec.name), times, n, spec, fps)
    if kind == "keep_lower":
        return C.keep_part(m(0, n), "lower", n, spec, fps)
    if kind == "path":
        t = np.arange(n // 2) / fps
        path = np.stack([0.4 * np.sin(2 * np.pi * t / t[-1]), 0.25 * t], axis=1)
        return C.root_path(path, n, spec, fps)
    raise ValueError(kind)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    ap.add_argument("--songs", nargs="*", default=None, help="only clips of these songs")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--window", type=float, default=0.3, help="seconds either side of a border")
    ap.add_argument("--compare", action="store_true", help="also run with pinning only (edit_draft=False)")
    ap.add_argument("--rows", action="store_true", help="print every run, not only the summaries")
    ap.add_argument("--repeat", type=int, default=1, help="time each generation as the median of this many runs")
    ap.add_argument("--plot", default=None, metavar="PNG",
                    help="only draw the joint speed around the join of the first continuation clip (DANCE_C_7 from 10 s, "
                         "3 s pinned), pinning only against the fix, for --plot-seed")
    ap.add_argument("--plot-seed", type=int, default=1)
    args = ap.parse_args()

    from dancegen import constraints as C
    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.motion.skeleton import get_skeleton
    from dancegen.train import prepare_data

    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")
    clips = [c for c in CLIPS if args.songs is None or c[0] in args.songs]
    data = prepare_data("dance_with_melody", args.data_root, "test", progress=False, names=sorted({c[0] for c in clips}))
    songs = dict(zip(data.names, zip(data.music, data.joints)))
    ckpt = load_checkpoint(args.checkpoint)
    fps, spec = ckpt.config.fps, get_skeleton(ckpt.config.skeleton)
    model = ckpt.build_model()
    if args.plot:
        name, start, secs, pin = CLIPS[0]
        a, n = int(round(start * fps)), int(round(secs * fps))
        music, joints = songs[name][0][a : a + n], songs[name][1][a : a + n]
        c = build("continue", joints, n, pin, spec, fps)
        curves = {}
        for label, draft in (("pinning only", False), ("with the fix", True)):
            out = generate_motion(ckpt, music, GenerationSettings(seed=args.plot_seed, edit_draft=draft), model=model,
                                  constraint=c).joints
            curves[label] = speeds(out, fps)
        _plot(curves, speeds(joints, fps), c.mask.any(axis=1), fps, f"{name} from {start:g} s, first {pin:g} s pinned, "
              f"seed {args.plot_seed}", args.plot)
        print(f"wrote {args.plot}")
        return
    print(f"checkpoint {ckpt.path}; window +-{args.window:g} s; seeds 0..{args.seeds - 1}")
    variants = [("pinning only", False), ("with the fix", True)] if args.compare else [("with the fix", True)]

    for kind in args.kinds:
        cases = []
        for name, start, secs, pin in clips:
            if kind != "continue" and (secs != 8.0 or any(c[0] == name for c in cases)):
                continue  # the other kinds: one 8-s clip per song
            a, n = int(round(start * fps)), int(round(secs * fps))
            music, joints = songs[name]
            if a + n > len(music):
                continue
            cases.append((name, start, music[a : a + n], joints[a : a + n], build(kind, joints[a : a + n], n, pin, spec, fps)))
        free_moves = {}
        for label, draft in variants:
            rows = []
            for name, start, music, joints, c in cases:
                for seed in range(args.seeds):
                    settings = GenerationSettings(seed=seed, edit_draft=draft)
                    times = []
                    for _ in range(max(1, args.repeat)):
                        t0 = time.perf_counter()
                        out = generate_motion(ckpt, music, settings, model=model, constraint=c).joints
                        times.append(time.perf_counter() - t0)
                    secs = float(np.median(times))
                    pinned = c.mask.any(axis=1)
                    key = (name, start, seed)
                    if key not in free_moves:
                        free_moves[key] = generate_motion(ckpt, music, GenerationSettings(seed=seed), model=model).joints
                    free = free_moves[key]
                    if kind == "path":
                        r = seam(out, pinned, fps, args.window, s=root_accelerations(out, spec, fps))
                        r["moves"] = seam(out, np.zeros_like(pinned), fps)["moves"]
                        r["free"] = seam(free, np.zeros_like(pinned), fps)["moves"]
                    elif kind == "keep_lower":  # no border: the whole result against the unconstrained dance
                        r = seam(out, np.zeros_like(pinned), fps, args.window)
                        r_free = seam(free, np.zeros_like(pinned), fps, args.window)
                        real_p99 = float(np.percentile(speeds(joints, fps), 99))
                        r.update(borders=0, seam=r["inside_p99"], seam_at=float("nan"), free=r_free["moves"],
                                 free_p99=r_free["inside_p99"], reference=max(r_free["inside_p99"], real_p99),
                                 pinned_p99=real_p99)
                    else:
                        r = seam(out, pinned, fps, args.window)
                        r["free"] = seam(free, pinned, fps, args.window)["moves"]
                    rep = C.constraint_report(out, c, spec, fps)
                    rows.append({"case": f"{name}@{start:g}s", "seed": seed, **r, "joints_max": rep.joints_max,
                                 "path_max": rep.path_max, "free_moves": r["free"], "secs": secs})
            with_borders = [r for r in rows if r["borders"]]
            ok = sum(r["seam"] <= r["reference"] for r in with_borders)
            unit = "m/s^2 root acceleration" if kind == "path" else "m/s"
            print(f"\n{kind} ({label}): {len(rows)} runs", end="")
            if kind == "keep_lower":
                print(f"; no border in time. 99th pct. of the steps: result {np.mean([r['seam'] for r in rows]):.2f}, "
                      f"unconstrained {np.mean([r['free_p99'] for r in rows]):.2f}, real clip "
                      f"{np.mean([r['pinned_p99'] for r in rows]):.2f} m/s (means over runs)", end="")
            elif with_borders:
                seams = np.array([r["seam"] for r in with_borders])
                print(f"; seam <= reference in {ok}/{len(with_borders)}; seam mean {seams.mean():.2f}, max "
                      f"{seams.max():.2f} {unit}; reference mean {np.mean([r['reference'] for r in with_borders]):.2f}", end="")
            print(f"\n  generated part: 99th pct. mean {np.mean([r['inside_p99'] for r in rows]):.2f}, fastest step "
                  f"{max(r['inside_max'] for r in rows):.2f} {unit}; moves {np.mean([r['moves'] for r in rows]):.3f} m/s "
                  f"(unconstrained {np.mean([r['free_moves'] for r in rows]):.3f}); pinned joints within "
                  f"{max(r['joints_max'] for r in rows) * 1000:.3f} mm, root path within "
                  f"{max(r['path_max'] for r in rows) * 100:.2f} cm; {np.mean([r['secs'] for r in rows]):.2f} s per run")
            if args.rows:
                for r in rows:
                    flag = "" if not r["borders"] or r["seam"] <= r["reference"] else "  SEAM"
                    if kind == "keep_lower":
                        print(f"    {r['case']:16s} seed {r['seed']}: 99th pct. {r['seam']:4.2f} m/s (unconstrained "
                              f"{r['free_p99']:4.2f}, real {r['pinned_p99']:4.2f}), fastest step {r['inside_max']:4.2f}")
                        continue
                    print(f"    {r['case']:16s} seed {r['seed']}: seam {r['seam']:5.2f} {unit.split()[0]} at {r['seam_at']:5.2f} s, "
                          f"reference {r['reference']:4.2f} (inside {r['inside_p99']:4.2f}, pinned "
                          f"{r['pinned_p99']:4.2f}), fastest inside {r['inside_max']:5.2f}{flag}")


def _plot(curves: dict, real: np.ndarray, pinned: np.ndarray, fps: float, title: str, dest: str) -> None:
    """Mean joint speed around the join: each curve (T-1,), the real dance dotted, the pinned part shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    border = int(np.flatnonzero(pinned).max()) + 1
    lo, hi = max(0, border - int(1.5 * fps)), min(len(real), border + int(2.5 * fps))
    t = (np.arange(len(real)) + 0.5) / fps
    fig, ax = plt.subplots(figsize=(7.0, 3.0), dpi=130)
    ax.axvspan(t[lo], border / fps, color="#3fae4f", alpha=0.15, label="pinned (the given start)")
    ax.plot(t[lo:hi], real[lo:hi], ":", color="0.45", lw=1.2, label="the real dance (not pinned after the join)")
    for (label, s), colour in zip(curves.items(), ("#d9622b", "#2b6cd9")):
        ax.plot(t[lo:hi], s[lo:hi], color=colour, lw=1.6, label=label)
    ax.axvline(border / fps, color="0.3", lw=0.8)
    ax.set_xlabel("time in the clip (s)")
    ax.set_ylabel("mean joint speed (m/s)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(dest)
    plt.close(fig)


if __name__ == "__main__":
    main()
