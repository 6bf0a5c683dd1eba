"""Where the generated jitter sits: at the model's token borders (docs/MODEL_CARD.md, "Velocity fusion").

For each Dance-with-Melody test song (first --seconds s, features as ``dancegen evaluate --seconds``
extracts them) a dance is generated with --checkpoint and decoded both ways: positions only
(``--velocity-weight 0``) and fused with the model's joint-velocity outputs (the checkpoint's
weight, or --velocity-weight). Printed per song and over all songs:

- acceleration (m/s^2, mean over joints of |second difference| x fps^2) by the position of its
  centre frame in a token (frames_per_token frames): the second differences centred on a token's
  last or first frame span a border, the others do not;
- positions-only decode: mean |frame-to-frame velocity of the positions - the predicted joint
  velocity| (m/s) at frames that start a token (the step crosses a border) and at the others.

Usage: python benchmarks/token_borders.py [--checkpoint default] [--seed 0] [--seconds 30]
       [--velocity-weight W] [--data-root ../shared/data/dance_with_melody]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATASET = "dance_with_melody"


def accel_by_phase(joints: np.ndarray, fps: float, period: int) -> list[float]:
    """Mean acceleration (m/s^2) of joints (T, J, 3) by centre frame modulo ``period`` (phase 0 first)."""
    acc = np.linalg.norm(np.diff(joints, 2, axis=0) * fps * fps, axis=-1).mean(axis=1)  # centred on frames 1..T-2
    centre = np.arange(1, joints.shape[0] - 1) % period
    return [float(acc[centre == p].mean()) for p in range(period)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--velocity-weight", type=float, default=None, metavar="W",
                    help="weight of the fused decode (default: the checkpoint's)")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / DATASET))
    args = ap.parse_args()
    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")

    from dancegen.checkpoint import load_checkpoint
    from dancegen.datasets import load_dataset
    from dancegen.evaluate import dataset_clip
    from dancegen.generate import GenerationSettings, generate_features
    from dancegen.motion.representation import FeatureLayout, decode, fuse_velocities
    from dancegen.motion.skeleton import get_skeleton

    ckpt = load_checkpoint(args.checkpoint)
    cfg = ckpt.config
    fps, period = cfg.fps, cfg.frames_per_token
    joints_n = get_skeleton(cfg.skeleton).num_joints
    weight = cfg.velocity_weight if args.velocity_weight is None else args.velocity_weight
    if not weight > 0:
        sys.exit("--velocity-weight must be above 0 here (the fused decode is compared with positions only)")
    timing = {s.name: (s.audio_start, s.audio_end) for s in load_dataset(DATASET, args.data_root, "all", fps=fps)}
    songs = sorted(load_dataset(DATASET, args.data_root, "test", fps=fps), key=lambda s: s.name)
    model = ckpt.build_model()
    phases = ", ".join(f"phase {p}" for p in range(period))
    print(f"{args.checkpoint}: {period} frames per token, seed {args.seed}, first {args.seconds:g} s, fused weight "
          f"{weight:g}\n")
    print(f"| song | accel by token phase ({phases}), positions only | fused | velocity mismatch at "
          "token starts / elsewhere, m/s |")
    print("|---|---|---|---|")
    rows = []
    for s in songs:
        _, music = dataset_clip(s, timing.get(s.name, (s.audio_start, s.audio_end)), fps, args.seconds)
        feats = generate_features(ckpt, music, GenerationSettings(seed=args.seed), model)
        pos = decode(feats, joints_n, fps)
        vel = feats[:, FeatureLayout(joints_n).joint_vel].reshape(pos.shape)
        fused = fuse_velocities(pos, vel, fps, weight)
        miss = np.linalg.norm(np.diff(pos, axis=0) * fps - vel[1:], axis=-1).mean(axis=1)  # step into frame t
        starts = (np.arange(1, pos.shape[0]) % period) == 0
        row = (accel_by_phase(pos, fps, period), accel_by_phase(fused, fps, period),
               float(miss[starts].mean()), float(miss[~starts].mean()))  # fmt: skip
        rows.append(row)
        a, f, m0, m1 = row
        print(f"| {s.name} | {' / '.join(f'{x:.1f}' for x in a)} | {' / '.join(f'{x:.1f}' for x in f)} | "
              f"{m0:.2f} / {m1:.2f} |")
    a, f = np.mean([r[0] for r in rows], axis=0), np.mean([r[1] for r in rows], axis=0)
    m0, m1 = np.mean([r[2] for r in rows]), np.mean([r[3] for r in rows])
    print(f"| **mean** | {' / '.join(f'{x:.1f}' for x in a)} | {' / '.join(f'{x:.1f}' for x in f)} | "
          f"{m0:.2f} / {m1:.2f} |")


if __name__ == "__main__":
    main()
