"""Training curves of the shipped default's fine-tune and its ablations: one PNG.

Reads the trainer's ``log.csv`` files kept in docs/training_logs/ (step, losses, val_loss, lr,
seconds) and plots training loss (thin) and validation loss (thick, test split, fixed noise) over
steps, one colour per run. Steps count from the start of each fine-tune; all started from the
previous default (7,233 steps, validation loss 0.583, dashed line).

With --snapshots RUN_DIR (a run trained with ``"snapshot_every"`` in its config: inference weights
kept in RUN_DIR/snapshots/step_NNNNNNN/) it plots instead, over the steps of that run, the
validation loss (RUN_DIR/log.csv) and the realism benchmark's FID_k of every snapshot (the median
over --seed, with its range; benchmarks/quality.py, 30-s test excerpts), with the real test dances,
random training replays and the --reference checkpoint (the shipped default) as lines, and prints
the table.

Usage: python benchmarks/training_curve.py [--out docs/img/training_curve.png] [LOG.csv ...]
       python benchmarks/training_curve.py --snapshots RUN_DIR [--seed 0 1 2] [--every K]
           [--reference default|none|CKPT] [--out docs/img/training_curve_fid.png]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
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


def snapshot_dirs(run_dir: Path, every: int = 1) -> list[tuple[int, Path]]:
    """(step, folder) of the snapshots of a run, by step; every ``every``-th one and always the last."""
    found = sorted((int(p.name.split("_", 1)[1]), p) for p in (Path(run_dir) / "snapshots").glob("step_*")
                   if p.name.split("_", 1)[1].isdigit() and (p / "config.json").is_file())  # fmt: skip
    if every > 1 and found:
        found = [f for i, f in enumerate(found) if i % every == every - 1 or i == len(found) - 1]
    return found


def _fid_range(row: dict) -> tuple[float, float]:
    """(lowest, highest) FID_k over the seeds of a quality.py summary row (the median when it has one seed)."""
    return row.get("FID_k_min") or row["FID_k"], row.get("FID_k_max") or row["FID_k"]


def _table_row(label: str, val_loss: float | None, row: dict) -> str:
    """One markdown row of the curve's table for a quality.py summary row."""
    lo, hi = _fid_range(row)
    return (f"| {label} | {'-' if val_loss is None else f'{val_loss:.4f}'} | {row['FID_k']:.1f} ({lo:.1f}-{hi:.1f}) | "
            f"{row['FID_g']:.1f} | {row['Div_k']:.2f} | {row['PFC']:.3f} | {row['speed']:.3f} | {row['accel']:.2f} |")


def fid_curve(run_dir: Path, seeds: list[int], every: int, out: Path, reference: str | None = "default") -> None:
    """Score every snapshot of ``run_dir`` with benchmarks/quality.py and plot validation loss and FID_k over steps;
    ``reference`` (a checkpoint, e.g. the shipped default) is scored in the same run and drawn as a line."""
    snaps = snapshot_dirs(run_dir, every)
    if not snaps:
        sys.exit(f"no snapshots in {run_dir}/snapshots (train with \"snapshot_every\" in the config's train section)")
    with tempfile.TemporaryDirectory() as tmp:
        js = Path(tmp) / "quality.json"
        refs = [reference] if reference else []
        cmd = [sys.executable, str(ROOT / "benchmarks" / "quality.py"), "--checkpoint", *[str(p) for _, p in snaps], *refs,
               "--seed", *[str(s) for s in seeds], "--json", str(js)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        res = json.loads(js.read_text())
    rows = res["rows"]
    fid = [rows[f"model{i}"] for i in range(len(snaps))]
    ref = rows.get(f"model{len(snaps)}") if reference else None
    state = Path(run_dir) / "checkpoint" / "training_state.json"
    batch = json.loads(state.read_text())["train"].get("batch_size") if state.is_file() else None
    _, _, vsteps, vloss = read_log(Path(run_dir) / "log.csv") if (Path(run_dir) / "log.csv").is_file() else ([], [], [], [])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s, _ in snaps]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 7), dpi=110, sharex=True)
    a1.plot(vsteps, vloss, "o-", color="C0", ms=3)
    if ref is not None:
        # the trainer's own validation loss of the reference, as its checkpoint records it (quality.py scores all
        # windows in one batch, so its fixed noise levels differ from the trainer's 64-window batches)
        from dancegen.checkpoint import load_checkpoint

        ref["val_loss"] = load_checkpoint(reference).info.get("val_loss") or ref["val_loss"]
        a1.axhline(ref["val_loss"], color="C3", ls="--", lw=1, label=f"{reference} (val {ref['val_loss']:.3f})")
        a1.legend(fontsize=8)
    a1.set_ylabel("validation loss (test split)")
    a1.grid(alpha=0.3)
    med = [r["FID_k"] for r in fid]
    lo, hi = zip(*(_fid_range(r) for r in fid))
    a2.fill_between(steps, lo, hi, color="C1", alpha=0.2, label=f"range over seeds {', '.join(map(str, seeds))}")
    a2.plot(steps, med, "o-", color="C1", label="model (median)")
    a2.axhline(rows["gt"]["FID_k"], color="k", ls="--", lw=1, label="real test dances")
    a2.axhline(1.5 * rows["gt"]["FID_k"], color="k", ls=":", lw=1, label="1.5x real (the realism target)")
    a2.axhline(rows["replay"]["FID_k"], color="C2", ls="--", lw=1, label="random training replay")
    if ref is not None:
        a2.axhline(ref["FID_k"], color="C3", ls="--", lw=1, label=f"{reference} (median)")
    a2.set_yscale("log")
    a2.set_ylabel("FID_k (bailando protocol, 30-s excerpts)")
    a2.set_xlabel("training step" + (f" (batch {batch})" if batch else ""))
    a2.grid(alpha=0.3, which="both")
    a2.legend(fontsize=8)
    a1.set_title(f"Training curve of {Path(run_dir).name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out)
    print("| step | val loss | FID_k median (range) | FID_g | Div_k | PFC | speed | accel |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (step, path), r in zip(snaps, fid):
        print(_table_row(str(step), json.loads((path / "config.json").read_text()).get("info", {}).get("val_loss"), r))
    if ref is not None:
        print(_table_row(reference, ref["val_loss"], ref))
    print(f"GT FID_k {rows['gt']['FID_k']:.1f}, random replay {rows['replay']['FID_k']:.1f}; wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, default=None,
                    help="PNG (default docs/img/training_curve.png, with --snapshots docs/img/training_curve_fid.png)")
    ap.add_argument("--snapshots", type=Path, default=None, metavar="RUN_DIR",
                    help="plot validation loss and FID_k over the steps of this run's snapshots instead")
    ap.add_argument("--seed", type=int, nargs="+", default=[0, 1, 2], help="with --snapshots: generation seeds")
    ap.add_argument("--every", type=int, default=1, metavar="K", help="with --snapshots: score every K-th snapshot")
    ap.add_argument("--reference", default="default",
                    help="with --snapshots: a checkpoint scored in the same run and drawn as a line ('none': no line)")
    args = ap.parse_args()
    if args.snapshots is not None:
        fid_curve(args.snapshots, args.seed, args.every, args.out or ROOT / "docs" / "img" / "training_curve_fid.png",
                  None if args.reference == "none" else args.reference)
        return
    args.out = args.out or ROOT / "docs" / "img" / "training_curve.png"
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
