"""How often tempo following passes by chance: real dances paired with other real dances, and a
model's dance for a song paired with its own dance for the same, unstretched song from another seed.

1. Each of the 35 Dance-with-Melody dances (first --seconds s, 30 fps) is taken as the "unstretched"
   dance and every other one as the "stretched" one: the share of pairs whose octave-tolerant error
   against 0.8 and 1.25 is below 10 %, and the probability that the mean over six such pairs (the
   benchmark's six songs) is below 10 %, for the autocorrelation-matched tempo ratio
   (metrics.music.tempo_ratio, the definition of tempo following) and for the ratio of two movement
   tempi (the definition before 2026-11-28). A pair without a matched ratio is scored as ratio 1,
   as tempo following scores it.
2. With --checkpoint: for each held-out song, the model's dance (seed 0) against its dance for the
   same song with seed 1, as if the second were the dance for the stretched song. A dance that
   ignores the tempo looks like this pair (ratio about 1): it must fail.

Definitions: docs/METRICS.md, "Music responsiveness".

Usage: python benchmarks/tempo_chance.py [--checkpoint default] [--setting key=value ...]
       [--data-root DIR] [--seconds 30]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOL_PCT = 10.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--checkpoint", default=None, help="also pair a model's dances for the same song (seeds 0, 1)")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="a GenerationSettings field for the model's dances (repeatable)")
    args = ap.parse_args()
    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")

    from dancegen.datasets import load_dataset
    from dancegen.metrics.music import STRETCHES, movement_tempo, tempo_ratio, tempo_ratio_error

    fps = 30
    seqs = [s for split in ("train", "test") for s in load_dataset("dance_with_melody", args.data_root, split, fps=fps)]
    joints = [s.motion.joints[: int(args.seconds * fps)] for s in seqs]
    bpm = [movement_tempo(j, fps) for j in joints]
    rng = np.random.default_rng(0)
    print(f"Chance level of tempo following: {len(seqs)} real dances, first {args.seconds:g} s, every ordered pair "
          f"of different dances; share of pairs with an error below {TOL_PCT:g} % (no ratio: outside), and the "
          f"probability that the mean error of six random pairs is below it (20,000 draws)\n")
    print("| pairs | n | matched 0.8x | matched 1.25x | matched, mean of 6, 0.8x / 1.25x | BPM ratio 0.8x | "
          "BPM ratio 1.25x | BPM ratio, mean of 6, 0.8x / 1.25x |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for same in (True, False):
        errs: dict[tuple[str, float], list[float]] = {(kind, r): [] for kind in ("match", "bpm") for r in STRETCHES}
        for i, a in enumerate(joints):
            for k, b in enumerate(joints):
                if i == k or (same and seqs[i].style != seqs[k].style):
                    continue
                ratio = tempo_ratio(a, fps, b, fps)[0]
                scored = ratio if np.isfinite(ratio) else 1.0  # no ratio: scored as tempo_following does
                for r in STRETCHES:
                    errs[("match", r)].append(tempo_ratio_error(scored, r))
                    errs[("bpm", r)].append(tempo_ratio_error(bpm[k] / bpm[i], r))
        n = len(errs[("match", STRETCHES[0])])
        cells = []
        for kind in ("match", "bpm"):
            means = []
            for r in STRETCHES:
                e = np.asarray(errs[(kind, r)])
                cells.append(f"{100 * np.mean(e < TOL_PCT):.0f} %")  # NaN (a BPM ratio without a tempo) is outside
                fin = e[np.isfinite(e)]
                draws = rng.choice(fin, size=(20_000, 6)).mean(axis=1)
                means.append(f"{100 * np.mean(draws < TOL_PCT):.1f} %")
            cells.append(" / ".join(means))
        print(f"| {'same style' if same else 'any two dances'} | {n} | " + " | ".join(cells) + " |")

    if args.checkpoint:
        from dancegen.audio import extract_features
        from dancegen.checkpoint import load_checkpoint
        from dancegen.generate import GenerationSettings, generate_motion, settings_from_pairs

        extra = settings_from_pairs(args.setting)
        ck = load_checkpoint(args.checkpoint)
        model = ck.build_model()
        print(f"\nModel {args.checkpoint} ({', '.join(f'{k}={v}' for k, v in extra.items()) or 'defaults'}): its dance "
              f"for each held-out song (seed 0) against its dance for the same unstretched song with seed 1")
        print("\n| song | matched ratio (match) | error vs 0.8x | error vs 1.25x | BPM ratio | error vs 0.8x | error vs 1.25x |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        passed = {(kind, r): 0 for kind in ("match", "bpm") for r in STRETCHES}
        tests = [s for s in seqs if s.name in {t.name for t in load_dataset("dance_with_melody", args.data_root, "test", fps=fps)}]
        for s in tests:
            end = min(s.audio_end, s.audio_start + args.seconds)
            music = extract_features(s.audio_path, fps=fps, start=s.audio_start, end=end).features
            a, b = (generate_motion(ck, music, GenerationSettings(seed=seed, **extra), model=model).joints for seed in (0, 1))
            ratio, match = tempo_ratio(a, fps, b, fps)
            bpm_ratio = movement_tempo(b, fps) / movement_tempo(a, fps)
            scored = ratio if np.isfinite(ratio) else 1.0
            e = {(kind, r): tempo_ratio_error(x, r) for kind, x in (("match", scored), ("bpm", bpm_ratio)) for r in STRETCHES}
            for key, v in e.items():
                passed[key] += bool(v < TOL_PCT)
            print(f"| {s.name} | {ratio:.2f} ({match:.2f}) | {e[('match', 0.8)]:.0f} % | {e[('match', 1.25)]:.0f} % | "
                  f"{bpm_ratio:.2f} | {e[('bpm', 0.8)]:.0f} % | {e[('bpm', 1.25)]:.0f} % |")
        print(f"\nsongs within {TOL_PCT:g} % (should be few): matched " + " / ".join(
            f"{passed[('match', r)]} of {len(tests)} at {r:g}x" for r in STRETCHES) + "; BPM ratio " + " / ".join(
            f"{passed[('bpm', r)]} of {len(tests)} at {r:g}x" for r in STRETCHES))


if __name__ == "__main__":
    main()
