"""Training curves of the shipped default's fine-tune and its ablations: one PNG.

Reads the trainer's ``log.csv`` files kept in docs/training_logs/ (step, losses, val_loss, lr,
seconds) and plots training loss (thin) and validation loss (thick, test split, fixed noise) over
steps, one colour per run. Steps count from the start of each fine-tune; all started from the
previous default (7,233 steps, validation loss 0.583, dashed line).

Usage: python benchmarks/training_curve.py [--out docs/img/training_curve.png] [LOG.csv ...]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: validation loss of the previous default, the common starting point (docs/MODEL_CARD.md)
START_VAL = 0.583


def read_log(path: Path) -> tuple[list[int], list[float], list[int], list[float]]:
    """(train steps, train losses, validation steps, validation losses) of one log.csv."""
    steps, loss, vsteps, vloss = [], [], [], []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            steps.append(int(row["step"]))
            loss.append(float(row["loss"]))
            if row.get("val_loss"):
                vsteps.append(int(row["step"]))
                vloss.append(float(row["val_loss"]))
    return steps, loss, vsteps, vloss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "training_curve.png")
    args = ap.parse_args()
    logs = args.logs or sorted((ROOT / "docs" / "training_logs").glob("*.csv"))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    print("| run | steps | first validation loss | best (step) | last |")
    print("|---|---:|---:|---:|---:|")
    for i, path in enumerate(logs):
        steps, loss, vsteps, vloss = read_log(path)
        colour = f"C{i}"
        name = path.stem
        ax.plot(steps, loss, color=colour, lw=0.6, alpha=0.45)
        ax.plot(vsteps, vloss, color=colour, lw=2.2, marker="o", ms=3, label=name)
        if vloss:
            best = min(range(len(vloss)), key=vloss.__getitem__)
            print(f"| {name} | {steps[-1]} | {vloss[0]:.3f} | {vloss[best]:.3f} ({vsteps[best]}) | {vloss[-1]:.3f} |")
    ax.axhline(START_VAL, color="k", ls="--", lw=1, label=f"previous default (val {START_VAL})")
    ax.set_xlabel("fine-tuning step (batch 128)")
    ax.set_ylabel("loss (thin: training, thick: validation on the test split)")
    ax.set_ylim(0.25, 0.9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Fine-tunes of the default on the lent GPU")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
