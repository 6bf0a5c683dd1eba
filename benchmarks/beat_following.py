"""Beat following: does a model put its accents where its beat input says?

For each Dance-with-Melody test song (first --seconds s), a dance is generated and its kinematic
beats (Bailando motion beats) are compared with the music's beats and with the same beats shifted
by half the median beat interval. Printed per model: the share of music beats with a motion beat
within +-3 frames (100 ms) for the true and the shifted beats, and Bailando's BAS (30 fps). A model
that follows its beat input hits the true beats far more often than the shifted ones; one that
ignores them hits both about equally.

Usage: python benchmarks/beat_following.py [--checkpoint default RUN/best] [--seconds 30] [--prepared prep/dwm.val.npz]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", nargs="+", default=["default"])
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--prepared", default=None, help="a prepared test .npz instead of --data-root")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.metrics.beats import bailando_bas
    from dancegen.models.conditioning import motion_beats, music_beats
    from dancegen.train import PreparedData, prepare_data

    t0 = time.perf_counter()
    test = PreparedData.load(args.prepared) if args.prepared else prepare_data(
        "dance_with_melody", args.data_root, "test", progress=False)
    n = int(args.seconds * test.fps)
    print(f"\nBeat following on {len(test.names)} test songs (first {args.seconds:g} s, seed {args.seed})\n")
    print("| model | hits on the music's beats | hits on beats shifted by half a beat | BAS (Bailando, 30 fps) |")
    print("|---|---:|---:|---:|")
    for name in args.checkpoint:
        ckpt = load_checkpoint(name)
        model = ckpt.build_model()
        hits, shifted, bas = [], [], []
        for music in test.music:
            song = music[:n]
            beats = music_beats(song).astype(float)
            joints = generate_motion(ckpt, song, GenerationSettings(seed=args.seed), model=model).joints
            accents = motion_beats(joints) + 0.5
            half = float(np.median(np.diff(beats))) / 2
            for target, out in ((beats, hits), (beats + half, shifted)):
                out.append(float(np.mean(np.abs(target[:, None] - accents[None]).min(1) <= 3)))
            bas.append(bailando_bas(beats.astype(np.int64), joints))
        print(f"| {name} | {np.mean(hits):.0%} | {np.mean(shifted):.0%} | {np.mean(bas):.3f} |")
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
