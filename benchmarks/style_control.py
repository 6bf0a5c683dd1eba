"""Style control check: does a style-conditioned model dance the style it is asked for?

A style classifier (``dancegen.metrics.style``: shrunk LDA on kinetic features of 10-s segments)
is fitted on the real Dance-with-Melody TRAIN dances and checked on the real TEST dances. Then,
for each test song and each style label of the checkpoint, a dance of --seconds seconds is
generated with ``--style-label`` and classified. Printed: the classifier's accuracy on real test
dances, the asked x predicted table, the share of dances (and segments) recognised as the asked
style against chance (1 / number of labels), and the same share for the label-free ("any")
generations, i.e. how often the classifier says that style anyway; last column: the mean joint
speed (m/s, ``dancegen.metrics.music.joint_speed``) of the dances asked with each label. Then
per song: what its label-free dances are called (can the model dance the song's own style at
all?) and how many seeds recognise each asked label; last, the margin over chance: all labelled
dances of all seeds pooled, a Wilson 95% interval and a one-sided binomial test against chance.
--setting KEY=VALUE sets any other GenerationSettings field (e.g. style_base=null).
With --loo, it first prints the classifier's ceiling on real dances: each of the train + test
dances classified by a classifier fitted on all the others (leave-one-dance-out), per style.

Usage: python benchmarks/style_control.py [--checkpoint CKPT] [--seconds 30] [--style-guidance S]
       [--seed N [N ...]] [--prepared-prefix prep/dwm] [--setting KEY=VALUE ...] [--loo]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--prepared-prefix", default=None, help="use PREFIX.train.npz / PREFIX.val.npz instead of --data-root")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, nargs="+", default=[0], help="one or more seeds; tables pool them")
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--style-guidance", type=float, default=None,
                    help="extra guidance on the label (default: GenerationSettings' default)")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="any other GenerationSettings field, e.g. --setting style_base=null")
    ap.add_argument("--loo", action="store_true",
                    help="also print leave-one-dance-out recognition of the real dances, per style")
    args = ap.parse_args()

    from dancegen.checkpoint import load_checkpoint
    from dancegen.constraints import body_part_joints
    from dancegen.generate import GenerationSettings, generate_motion, settings_from_pairs
    from dancegen.metrics.music import joint_speed
    from dancegen.metrics.style import StyleClassifier, leave_one_out_classifiers, segment_features
    from dancegen.motion.skeleton import get_skeleton
    from dancegen.train import PreparedData, prepare_data

    t0 = time.perf_counter()
    if args.prepared_prefix:
        train = PreparedData.load(f"{args.prepared_prefix}.train.npz")
        test = PreparedData.load(f"{args.prepared_prefix}.val.npz")
    else:
        if not Path(args.data_root).is_dir():
            sys.exit(f"no Dance-with-Melody data at {args.data_root}")
        train = prepare_data("dance_with_melody", args.data_root, "train", progress=False)
        test = prepare_data("dance_with_melody", args.data_root, "test", progress=False)
    train_feats = [segment_features(j, train.fps) for j in train.joints]
    clf = StyleClassifier.fit(train_feats, train.styles)
    test_feats = [segment_features(j, test.fps) for j in test.joints]
    real_ok = [clf.predict(f) == s for f, s in zip(test_feats, test.styles)]
    print(f"classifier: {len(clf.labels)} styles ({', '.join(clf.labels)}), fitted on {len(train.names)} real "
          f"train dances; real test dances recognised: {sum(real_ok)}/{len(real_ok)}")
    if args.loo:
        feats = [*train_feats, *test_feats]
        styles = [*train.styles, *test.styles]
        loo = leave_one_out_classifiers(feats, styles)  # classifier i: fitted on every dance but i
        pred = ["" if c is None else c.predict(f) for c, f in zip(loo, feats)]
        print("leave-one-dance-out over all real dances (each classified by a classifier fitted on the others):")
        for label in sorted(set(styles)):
            idx = [i for i, s in enumerate(styles) if s == label]
            segs = np.concatenate([np.array(loo[i].predict_segments(feats[i])) == label for i in idx if loo[i]])
            print(f"  {label}: {sum(pred[i] == label for i in idx)}/{len(idx)} dances, "
                  f"{segs.mean():.0%} of {len(segs)} segments" + (" (its only dance: nothing left to learn from)"
                                                                  if len(idx) == 1 else ""))

    try:
        overrides = settings_from_pairs(args.setting)
    except ValueError as e:
        sys.exit(str(e))
    own = {"seed", "style", "guidance", "style_guidance"} & set(overrides)
    if own:
        sys.exit(f"--setting {', '.join(sorted(own))}: use this benchmark's own option for it")
    ckpt = load_checkpoint(args.checkpoint)
    labels = list(ckpt.config.styles)
    if not labels:
        sys.exit(f"{args.checkpoint}: this model has no style labels (ModelConfig.styles is empty)")
    model = ckpt.build_model()
    n = int(args.seconds * ckpt.config.fps)
    extra = dict(overrides) if args.style_guidance is None else {**overrides, "style_guidance": args.style_guidance}
    records: list[Dance] = []
    for seed in args.seed:
        for song, music in zip(test.names, test.music):
            for label in ["any", *labels]:
                settings = GenerationSettings(seed=seed, style=label, guidance=args.guidance, **extra)
                try:
                    joints = generate_motion(ckpt, music[:n], settings, model=model).joints
                except ValueError as e:  # a bad --setting value (e.g. style_base) reaches the sampler
                    sys.exit(f"--setting: {e}")
                feats = segment_features(joints, ckpt.config.fps)
                segs = clf.predict_segments(feats)
                records.append(Dance(seed, song, label, clf.predict(feats), float(np.mean([s == label for s in segs])),
                                     float(joint_speed(joints, ckpt.config.fps).mean()), feats))

    seeds = ", ".join(map(str, args.seed))
    print(f"\nStyle control of {args.checkpoint} on {len(test.names)} test songs ({args.seconds:g} s each, "
          f"seed{'s' if len(args.seed) > 1 else ''} {seeds}, style guidance "
          f"{'default' if args.style_guidance is None else args.style_guidance}"
          f"{''.join(f', {k}={v}' for k, v in overrides.items())}); rows: asked style, columns: classifier's verdict"
          f"{' (dances of all seeds together)' if len(args.seed) > 1 else ''}\n")
    report(records, labels, clf.labels, dict(zip(test.names, test.styles)))
    spec = get_skeleton(ckpt.config.skeleton)
    parts = {part: body_part_joints(spec, part) for part in ("upper", "lower")}
    groups = {f"real {lab}": np.concatenate([f for f, s in zip(train_feats, train.styles) if s == lab]) for lab in clf.labels}
    groups |= {f"asked {lab}": np.concatenate([r.features for r in records if r.asked == lab]) for lab in ["any", *labels]}
    print_profile(groups, clf, parts)
    print(f"wall time {time.perf_counter() - t0:.0f} s")


@dataclass
class Dance:
    """One generated dance: its seed, song, asked label ("any" = none), the classifier's verdict,
    the share of its segments given the asked label, and its mean joint speed (m/s)."""

    seed: int
    song: str
    asked: str
    verdict: str
    segments_ok: float
    speed: float
    features: np.ndarray  # (S, F) its segment features


def kinetic_profile(features: np.ndarray, clf, parts: dict[str, list[int]]) -> list[float]:
    """Mean standardised segment feature (z against the classifier's training segments) per body
    part x (horizontal kinetic energy, vertical kinetic energy, energy expenditure), part-major."""
    z = ((np.asarray(features) - clf.mean) / clf.std).reshape(len(features), -1, 3)
    return [float(z[:, idx, k].mean()) for idx in parts.values() for k in range(3)]


def print_profile(groups: dict[str, np.ndarray], clf, parts: dict[str, list[int]]) -> None:
    """The kinetic profile (``kinetic_profile``) of each group of segments, one row per group."""
    kinds = ("horizontal KE", "vertical KE", "energy exp.")
    print("\nKinetic profile: mean z (standard deviations from the real training segments' mean) per body part\n")
    print("| segments | " + " | ".join(f"{part} {kind}" for part in parts for kind in kinds) + " |")
    print("|---|" + "---:|" * (len(parts) * len(kinds)))
    for name, feats in groups.items():
        print(f"| {name} ({len(feats)}) | " + " | ".join(f"{v:+.2f}" for v in kinetic_profile(feats, clf, parts)) + " |")


def report(records: list[Dance], labels: list[str], cols: list[str], song_styles: dict[str, str]) -> None:
    """Print the asked x verdict table, the per-song table and the margin over chance (binomial test)."""
    from scipy.stats import binomtest

    print("| asked | " + " | ".join(cols) + " | recognised | segments | 'any' called this | speed m/s |")
    print("|---|" + "---:|" * (len(cols) + 4))
    free = [r for r in records if r.asked == "any"]
    free_verdicts = Counter(r.verdict for r in free)
    rec_all, seg_all = [], []
    for label in labels:
        rows = [r for r in records if r.asked == label]
        counts = Counter(r.verdict for r in rows)
        rec_all.append(counts[label] / len(rows))
        seg_all.append(float(np.mean([r.segments_ok for r in rows])))
        print(f"| {label} | " + " | ".join(str(counts[c]) for c in cols)
              + f" | {rec_all[-1]:.0%} | {seg_all[-1]:.0%} | {free_verdicts[label] / len(free):.0%} | "
              f"{np.mean([r.speed for r in rows]):.2f} |")
    print("| any (no label) | " + " | ".join(str(free_verdicts[c]) for c in cols)
          + f" | - | - | - | {np.mean([r.speed for r in free]):.2f} |")

    seeds = sorted({r.seed for r in records})
    print(f"\nPer song: the verdicts on its label-free dances, and how many of the {len(seeds)} seed(s) "
          "recognise each asked label\n")
    print("| song | its real style | no label | " + " | ".join(labels) + " |")
    print("|---|---|---|" + "---:|" * len(labels))
    for song, style in song_styles.items():
        mine = [r for r in records if r.song == song]
        verdicts = Counter(r.verdict for r in mine if r.asked == "any")
        hits = [sum(r.verdict == label for r in mine if r.asked == label) for label in labels]
        print(f"| {song} | {style} | " + ", ".join(f"{label} {count}" for label, count in verdicts.most_common()) + " | "
              + " | ".join(f"{h}/{len(seeds)}" for h in hits) + " |")

    labelled = [r for r in records if r.asked != "any"]
    k = sum(r.verdict == r.asked for r in labelled)
    test = binomtest(k, len(labelled), 1 / len(labels), alternative="greater")
    lo, hi = binomtest(k, len(labelled)).proportion_ci(confidence_level=0.95, method="wilson")  # two-sided
    per_seed = ", ".join(f"{np.mean([r.verdict == r.asked for r in labelled if r.seed == s]):.0%}" for s in seeds)
    print(f"\nmean recognition: dances {np.mean(rec_all):.0%}, segments {np.mean(seg_all):.0%}; chance "
          f"{1 / len(labels):.0%}" + (f"; per seed {per_seed}" if len(seeds) > 1 else ""))
    print(f"margin over chance: {k}/{len(labelled)} labelled dances recognised ({k / len(labelled):.0%}, 95% CI "
          f"{lo:.0%}-{hi:.0%}), one-sided binomial p = {test.pvalue:.2g} against {1 / len(labels):.0%} "
          "(the dances taken as independent; seeds of one song are not quite)")


if __name__ == "__main__":
    main()
