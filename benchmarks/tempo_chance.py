"""Chance level of the tempo-following error: real dances paired with other, independent real dances.

Each of the 35 Dance-with-Melody dances (first --seconds s, 30 fps) is taken as the "unstretched"
dance and every other one as the "stretched" one; the share of pairs whose octave-tolerant error
against 0.8 and 1.25 is below 10 % is what a dance unrelated to its music would score per song,
for the autocorrelation-matched tempo ratio (metrics.music.tempo_ratio, the definition of tempo
following) and for the ratio of two movement tempi (the definition before 2026-11-28).
Definitions: docs/METRICS.md, "Music responsiveness".

Usage: python benchmarks/tempo_chance.py [--data-root DIR] [--seconds 30]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")

    from dancegen.datasets import load_dataset
    from dancegen.metrics.music import STRETCHES, movement_tempo, tempo_ratio, tempo_ratio_error

    fps = 30
    seqs = [s for split in ("train", "test") for s in load_dataset("dance_with_melody", args.data_root, split, fps=fps)]
    joints = [s.motion.joints[: int(args.seconds * fps)] for s in seqs]
    bpm = [movement_tempo(j, fps) for j in joints]
    print(f"Chance level of tempo following: {len(seqs)} real dances, first {args.seconds:g} s, every ordered pair "
          f"of different dances; share of pairs with an error below 10 %\n")
    print("| pairs | n | matched ratio 0.8x | matched ratio 1.25x | BPM ratio 0.8x | BPM ratio 1.25x |")
    print("|---|---:|---:|---:|---:|---:|")
    for same in (True, False):
        hits = {(kind, r): [] for kind in ("match", "bpm") for r in STRETCHES}
        for i, a in enumerate(joints):
            for k, b in enumerate(joints):
                if i == k or (same and seqs[i].style != seqs[k].style):
                    continue
                ratio = tempo_ratio(a, fps, b, fps)[0]
                for r in STRETCHES:
                    hits[("match", r)].append(tempo_ratio_error(ratio, r) < 10)
                    hits[("bpm", r)].append(tempo_ratio_error(bpm[k] / bpm[i], r) < 10)
        n = len(hits[("match", STRETCHES[0])])
        cells = [f"{100 * np.mean(hits[(kind, r)]):.0f} %" for kind in ("match", "bpm") for r in STRETCHES]
        print(f"| {'same style' if same else 'any two dances'} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
