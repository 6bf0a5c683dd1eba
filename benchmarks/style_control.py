"""Style control check: does a style-conditioned model dance the style it is asked for?

A style classifier (``dancegen.metrics.style``: shrunk LDA on kinetic features of 10-s segments)
is fitted on the real Dance-with-Melody TRAIN dances and checked on the real TEST dances. Then,
for each test song and each style label of the checkpoint, a dance of --seconds seconds is
generated with ``--style-label`` and classified. Printed: the classifier's accuracy on real test
dances, the asked x predicted table, the share of dances (and segments) recognised as the asked
style against chance (1 / number of labels), and the same share for the label-free ("any")
generations, i.e. how often the classifier says that style anyway; last column: the mean joint
speed (m/s, ``dancegen.metrics.music.joint_speed``) of the dances asked with each label.
With --loo, it first prints the classifier's ceiling on real dances: each of the train + test
dances classified by a classifier fitted on all the others (leave-one-dance-out), per style.

Usage: python benchmarks/style_control.py [--checkpoint CKPT] [--seconds 30] [--style-guidance S]
       [--seed N] [--prepared-prefix prep/dwm] [--loo]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "dance_with_melody"))
    ap.add_argument("--prepared-prefix", default=None, help="use PREFIX.train.npz / PREFIX.val.npz instead of --data-root")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--style-guidance", type=float, default=None,
                    help="extra guidance on the label (default: GenerationSettings' default)")
    ap.add_argument("--loo", action="store_true",
                    help="also print leave-one-dance-out recognition of the real dances, per style")
    args = ap.parse_args()

    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.metrics.music import joint_speed
    from dancegen.metrics.style import StyleClassifier, leave_one_out, segment_features
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
    clf = StyleClassifier.fit([segment_features(j, train.fps) for j in train.joints], train.styles)
    real_ok = [clf.predict(segment_features(j, test.fps)) == s for j, s in zip(test.joints, test.styles)]
    print(f"classifier: {len(clf.labels)} styles ({', '.join(clf.labels)}), fitted on {len(train.names)} real "
          f"train dances; real test dances recognised: {sum(real_ok)}/{len(real_ok)}")
    if args.loo:
        feats = [segment_features(j, train.fps) for j in [*train.joints, *test.joints]]
        styles = [*train.styles, *test.styles]
        pred = leave_one_out(feats, styles)
        print("leave-one-dance-out over all real dances (each classified by a classifier fitted on the others):")
        for label in sorted(set(styles)):
            idx = [i for i, s in enumerate(styles) if s == label]
            segs = np.concatenate([np.array(_loo_segments(feats, styles, i)) == label for i in idx])
            print(f"  {label}: {sum(pred[i] == label for i in idx)}/{len(idx)} dances, "
                  f"{segs.mean():.0%} of {len(segs)} segments" + (" (its only dance: nothing left to learn from)"
                                                                  if len(idx) == 1 else ""))

    ckpt = load_checkpoint(args.checkpoint)
    labels = list(ckpt.config.styles)
    if not labels:
        sys.exit(f"{args.checkpoint}: this model has no style labels (ModelConfig.styles is empty)")
    model = ckpt.build_model()
    n = int(args.seconds * ckpt.config.fps)
    asked_pred: list[tuple[str, str, float]] = []
    speeds: dict[str, list[float]] = {}  # asked label -> mean joint speed (m/s) of each of its dances
    for music in test.music:
        for label in ["any", *labels]:
            extra = {} if args.style_guidance is None else {"style_guidance": args.style_guidance}
            settings = GenerationSettings(seed=args.seed, style=label, guidance=args.guidance, **extra)
            joints = generate_motion(ckpt, music[:n], settings, model=model).joints
            speeds.setdefault(label, []).append(float(joint_speed(joints, ckpt.config.fps).mean()))
            feats = segment_features(joints, ckpt.config.fps)
            segs = clf.predict_segments(feats)
            asked_pred.append((label, clf.predict(feats), float(np.mean([s == label for s in segs]))))

    print(f"\nStyle control of {args.checkpoint} on {len(test.names)} test songs ({args.seconds:g} s each, seed "
          f"{args.seed}, style guidance {'default' if args.style_guidance is None else args.style_guidance}); "
          f"rows: asked style, columns: classifier's verdict\n")
    cols = clf.labels
    print("| asked | " + " | ".join(cols) + " | recognised | segments | 'any' called this | speed m/s |")
    print("|---|" + "---:|" * (len(cols) + 4))
    any_pred = Counter(p for a, p, _ in asked_pred if a == "any")
    n_any = sum(any_pred.values())
    rec_all, seg_all = [], []
    for label in labels:
        rows = [(p, f) for a, p, f in asked_pred if a == label]
        counts = Counter(p for p, _ in rows)
        rec = counts[label] / len(rows)
        seg = float(np.mean([f for _, f in rows]))
        rec_all.append(rec)
        seg_all.append(seg)
        print(f"| {label} | " + " | ".join(str(counts[c]) for c in cols)
              + f" | {rec:.0%} | {seg:.0%} | {any_pred[label] / n_any:.0%} | {np.mean(speeds[label]):.2f} |")
    print("| any (no label) | " + " | ".join(str(any_pred[c]) for c in cols)
          + f" | - | - | - | {np.mean(speeds['any']):.2f} |")
    print(f"\nmean recognition: dances {np.mean(rec_all):.0%}, segments {np.mean(seg_all):.0%}; "
          f"chance {1 / len(labels):.0%}; wall time {time.perf_counter() - t0:.0f} s")


def _loo_segments(feats: list[np.ndarray], styles: list[str], i: int) -> list[str]:
    """Per-segment verdicts on dance i of a classifier fitted on every other dance."""
    from dancegen.metrics.style import StyleClassifier

    rest = [j for j in range(len(feats)) if j != i and len(feats[j])]
    return StyleClassifier.fit([feats[j] for j in rest], [styles[j] for j in rest]).predict_segments(feats[i])


if __name__ == "__main__":
    main()
