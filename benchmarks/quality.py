"""Motion-quality check of a checkpoint on the Dance-with-Melody test split; prints one table.

For each held-out song, the real dance (GT) and a generated dance for the same music (same length,
first --seconds seconds) are measured with simple physical statistics, in the same run:
- mean joint speed (m/s) and mean joint acceleration magnitude (m/s^2) over all joints and frames;
- foot skate: mean horizontal speed (m/s) of foot joints while they are within 5 cm of the floor;
- validation loss of the checkpoint on the test windows (the trainer's fixed-noise loss for the
  checkpoint's model family; diffusion and GAN losses are not comparable with each other).
The field's metrics (FID_k, FID_g, diversity, BAS, PFC) come with the evaluation suite.

Usage: python benchmarks/quality.py [--checkpoint default] [--data-root ../shared/data/dance_with_melody]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def motion_stats(joints: np.ndarray, feet: list[int], fps: float) -> tuple[float, float, float]:
    """(mean joint speed m/s, mean joint acceleration m/s^2, foot skate m/s) of joints (T, J, 3)."""
    vel = np.diff(joints, axis=0) * fps
    acc = np.diff(joints, 2, axis=0) * fps * fps
    foot = joints[1:, feet]
    low = foot[..., 1] < 0.05 + np.percentile(joints[..., 1].min(axis=1), 5)
    hspeed = np.linalg.norm(vel[:, feet][..., [0, 2]], axis=-1)
    skate = float(hspeed[low].mean()) if low.any() else 0.0
    return float(np.linalg.norm(vel, axis=-1).mean()), float(np.linalg.norm(acc, axis=-1).mean()), skate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each song excerpt")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from dancegen.checkpoint import load_checkpoint
    from dancegen.config import TrainConfig
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.motion.skeleton import get_skeleton
    from dancegen.train import OBJECTIVES, make_training_windows, prepare_data

    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")
    ckpt = load_checkpoint(args.checkpoint)
    model = ckpt.build_model()
    spec = get_skeleton(ckpt.config.skeleton)
    data = prepare_data("dance_with_melody", args.data_root, "test", progress=False)
    n = int(args.seconds * ckpt.config.fps)
    rows = []
    for name, music, joints in zip(data.names, data.music, data.joints):
        gen = generate_motion(ckpt, music[:n], GenerationSettings(seed=args.seed), model=model)
        rows.append((name, motion_stats(joints[:n], list(spec.feet), data.fps), motion_stats(gen.joints, list(spec.feet), data.fps)))

    cfg = ckpt.config
    motion_w, music_w, style_w = make_training_windows(data, cfg.window, cfg.window // 2, cfg=cfg)
    objective = OBJECTIVES[cfg.family](cfg, TrainConfig(), ckpt.normalizer)
    with torch.no_grad():
        val_loss = float(objective.validation_loss(model, torch.from_numpy(ckpt.normalizer.normalize(motion_w)),
                                                   torch.from_numpy(music_w), torch.Generator().manual_seed(1234),
                                                   torch.from_numpy(style_w)))

    print(f"\nQuality of '{args.checkpoint}' on the Dance-with-Melody test split ({len(rows)} songs, "
          f"first {args.seconds:g} s each, seed {args.seed})\n")
    print("| song | GT speed | gen speed | GT accel | gen accel | GT foot skate | gen foot skate |")
    print("|------|---------:|----------:|---------:|----------:|--------------:|---------------:|")
    for name, gt, gen in rows:
        print(f"| {name} | {gt[0]:.3f} | {gen[0]:.3f} | {gt[1]:.2f} | {gen[1]:.2f} | {gt[2]:.3f} | {gen[2]:.3f} |")
    gt_mean = np.mean([r[1] for r in rows], axis=0)
    gen_mean = np.mean([r[2] for r in rows], axis=0)
    print(f"| **mean** | {gt_mean[0]:.3f} | {gen_mean[0]:.3f} | {gt_mean[1]:.2f} | {gen_mean[1]:.2f} | "
          f"{gt_mean[2]:.3f} | {gen_mean[2]:.3f} |")
    print("\nunits: speed m/s, acceleration m/s^2, foot skate m/s (horizontal foot speed within 5 cm of the floor)")
    print(f"validation loss (test windows, fixed noise; the trainer's loss of this model family): {val_loss:.4f}")


if __name__ == "__main__":
    main()
