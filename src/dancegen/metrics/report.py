"""The results table (text and Markdown) and the ``--report`` folder: report.md plus PNG plots.

Plots (matplotlib, imported lazily with the Agg backend):

- ``beats_<song>.png``: for each song, the kinetic velocity of the ground truth and of the
  evaluated system over the first 30 s, with their motion beats (Bailando's minima) and the
  music beats;
- ``kinetic_projection.png``: a 2-D PCA projection of the normalised kinetic features (pool, test
  ground truth, the system, the other reference rows);
- ``per_style.png``: BAS (Bailando, FACT, FACT at the native rate), beat-hit rate, energy
  following and PFC per style/genre for each row.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.metrics.suite import NOT_COMPARABLE, Evaluation

#: Table columns: (protocol, metric, header, format).
COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("bailando", "FID_k", "FID_k", "{:.2f}"),
    ("bailando", "FID_g", "FID_g", "{:.2f}"),
    ("bailando", "Div_k", "Div_k", "{:.2f}"),
    ("bailando", "Div_g", "Div_g", "{:.2f}"),
    ("bailando", "BAS", "BAS", "{:.4f}"),
    ("fixed", "FID_k", "FID_k", "{:.2f}"),
    ("fixed", "FID_g", "FID_g", "{:.2f}"),
    ("fixed", "Div_k", "Div_k", "{:.2f}"),
    ("fixed", "Div_g", "Div_g", "{:.2f}"),
    ("fixed", "BAS_fact", "BAS_fact", "{:.4f}"),
    ("fact", "BAS", "BAS", "{:.4f}"),
    ("edge", "PFC", "PFC", "{:.3f}"),
    ("music", "beat_hit", "beat_hit", "{:.1%}"),
    ("music", "energy_r", "energy_r", "{:.3f}"),
)
#: Per-clip values averaged per style (report table and plot).
STYLE_METRICS: tuple[str, ...] = ("BAS_bailando", "BAS_fact", "BAS_fact_fixed", "beat_hit", "energy_r", "PFC")
PLOT_SECONDS = 30.0


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    v = float(value)
    if abs(v) >= 1e6:
        return f"{v:.2e}"
    return fmt.format(v)


def _columns(ev: Evaluation) -> list[tuple[str, str, str, str]]:
    return [c for c in COLUMNS if c[0] in ev.protocols]


def comparability_line(ev: Evaluation) -> str:
    """One line saying whether the numbers can be set beside published AIST++ figures."""
    if ev.comparable:
        return "Skeleton smpl24: computed as the reference protocols prescribe."
    return f"NOTE: {NOT_COMPARABLE.upper()}: " + "; ".join(ev.not_comparable) + "."


def text_table(ev: Evaluation) -> str:
    """The results as a fixed-width text table (one line per row, protocols as column groups)."""
    cols = _columns(ev)
    width = max(22, max(len(r.label) for r in ev.rows) + 2)
    head1 = " " * width + "".join(f"{c[0]:>10}" for c in cols)
    head2 = f"{'row':<{width}}" + "".join(f"{c[2]:>10}" for c in cols)
    lines = [head1, head2, "-" * len(head2)]
    for r in ev.rows:
        cells = "".join(f"{_cell(r.metrics.get(p, {}).get(m), fmt):>10}" for p, m, _, fmt in cols)
        lines.append(f"{r.label:<{width}}{cells}")
    return "\n".join(lines)


def markdown_table(ev: Evaluation) -> str:
    """The results as a Markdown table; headers name the protocol of each column."""
    cols = _columns(ev)
    head = "| row | " + " | ".join(f"{m} ({p})" for p, m, _, _ in cols) + " |"
    sep = "|---|" + "---:|" * len(cols)
    lines = [head, sep]
    for r in ev.rows:
        cells = " | ".join(_cell(r.metrics.get(p, {}).get(m), fmt) for p, m, _, fmt in cols)
        lines.append(f"| {r.label} | {cells} |")
    return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]


def _plt():
    try:
        import matplotlib
    except ImportError:
        from dancegen.metrics import EvaluationError

        raise EvaluationError("--report draws plots with matplotlib: pip install -c constraints.txt 'dancegen[report]'.") from None

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_beats(ev: Evaluation, system_key: str, out_dir: Path) -> list[Path]:
    """One PNG per song: ground-truth and system kinetic velocity, motion beats, music beats."""
    from dancegen.metrics.beats import BAILANDO_SMOOTH, bailando_motion_beats
    from dancegen.metrics.protocols import BEAT_FPS, resample_joints
    from dancegen.metrics.skeletons import smpl_view

    plt = _plt()
    from scipy.ndimage import gaussian_filter

    keys = [k for k in ("ground_truth", system_key) if any(r.key == k for r in ev.rows)]
    if not keys:
        return []
    rows = [ev.row(k) for k in keys]
    paths = []
    for i, clip in enumerate(rows[-1].clips):
        if clip.music_beats is None:
            continue
        fig, axes = plt.subplots(len(rows), 1, figsize=(12, 2.4 * len(rows)), sharex=True, squeeze=False)
        n = int(PLOT_SECONDS * BEAT_FPS)
        for ax, row in zip(axes[:, 0], rows):
            c = row.clips[i] if i < len(row.clips) else None
            if c is None:
                continue
            view = resample_joints(smpl_view(c.joints, c.skeleton), c.fps, BEAT_FPS)[:, ev.space.joint_index][: n + 1]
            vel = gaussian_filter(np.mean(np.linalg.norm(np.diff(view, axis=0), axis=-1), axis=-1), BAILANDO_SMOOTH)
            beats, _ = bailando_motion_beats(view)
            t = np.arange(vel.size) / BEAT_FPS
            ax.plot(t, vel * BEAT_FPS, color="tab:blue", lw=1.2, label="kinetic velocity (m/s, smoothed)")
            ax.plot(beats / BEAT_FPS, vel[beats] * BEAT_FPS, "v", color="tab:red", ms=6, label="motion beats")
            for b in np.asarray(c.music_beats)[np.asarray(c.music_beats) < vel.size]:
                ax.axvline(b / BEAT_FPS, color="0.55", lw=0.8, ls="--", zorder=0)
            ax.set_ylabel("m/s")
            ax.set_title(f"{row.label}: {c.name}", fontsize=9, loc="left")
        axes[0, 0].plot([], [], color="0.55", ls="--", label="music beats")
        axes[0, 0].legend(loc="upper right", fontsize=7, ncol=3)
        axes[-1, 0].set_xlabel("seconds")
        fig.tight_layout()
        path = out_dir / f"beats_{_slug(clip.name)}.png"
        fig.savefig(path, dpi=90)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_kinetic_projection(ev: Evaluation, out_dir: Path) -> Path | None:
    """2-D PCA of the pool-normalised kinetic features (bailando protocol, else fixed)."""
    from dancegen.metrics.fid import normalize

    proto = next((p for p in ("bailando", "fixed") if p in ev.protocols), None)
    if proto is None:
        return None
    plt = _plt()
    pool = np.stack([s.kinetic[proto] for s in ev.pool_scores]).astype(np.float64)
    pool_n, _ = normalize(pool, pool[:1])
    centre = pool_n.mean(axis=0)
    _, _, vt = np.linalg.svd(pool_n - centre, full_matrices=False)
    basis = vt[:2].T
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    p2 = (pool_n - centre) @ basis
    ax.scatter(p2[:, 0], p2[:, 1], s=14, c="0.7", label=f"pool ({len(pool)})")
    markers = {"ground_truth": ("tab:blue", "o"), "static_mean_pose": ("tab:gray", "x"),
               "nearest_neighbour": ("tab:green", "s")}  # fmt: skip
    for r in ev.rows:
        if r.key == "mismatched_music":
            continue  # same dances as the ground truth
        feats = np.stack([s.kinetic[proto] for s in r.scores]).astype(np.float64)
        _, fn = normalize(pool, feats)
        q = (fn - centre) @ basis
        color, marker = markers.get(r.key, ("tab:red", "^"))
        ax.scatter(q[:, 0], q[:, 1], s=30, c=color, marker=marker, label=r.label)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(f"kinetic features ({proto} protocol), normalised with the pool", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out_dir / "kinetic_projection.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def per_style(ev: Evaluation) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{row: {style: {metric: mean}}}`` of the per-clip BAS (both variants), beat-hit, energy r and PFC."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for r in ev.rows:
        groups: dict[str, list[dict[str, Any]]] = {}
        for item in r.per_clip():
            groups.setdefault(item["style"] or "unknown", []).append(item)
        out[r.key] = {}
        for style, items in sorted(groups.items()):
            out[r.key][style] = {}
            for m in STYLE_METRICS:
                vals = [i[m] for i in items if i[m] is not None]
                out[r.key][style][m] = float(np.mean(vals)) if vals else None
            out[r.key][style]["clips"] = len(items)
    return out


def plot_per_style(ev: Evaluation, out_dir: Path) -> Path | None:
    """Bars of BAS (Bailando, FACT), beat-hit rate, energy r and PFC per style for every row."""
    table = per_style(ev)
    styles = sorted({s for v in table.values() for s in v})
    if not styles:
        return None
    plt = _plt()
    metrics = STYLE_METRICS
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 4))
    width = 0.8 / max(1, len(ev.rows))
    x = np.arange(len(styles))
    for ax, m in zip(axes, metrics):
        for k, r in enumerate(ev.rows):
            vals = [table[r.key].get(s, {}).get(m) for s in styles]
            ax.bar(x + k * width, [np.nan if v is None else v for v in vals], width, label=r.label)
        ax.set_xticks(x + width * (len(ev.rows) - 1) / 2)
        ax.set_xticklabels(styles, fontsize=8)
        ax.set_title(m, fontsize=9)
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    path = out_dir / "per_style.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_report(ev: Evaluation, out_dir: str | Path, header: list[str], system_key: str) -> Path:
    """Write ``out_dir/report.md`` with the table, notes and PNG plots; returns the report path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    beat_pngs = plot_beats(ev, system_key, out)
    proj = plot_kinetic_projection(ev, out)
    style_png = plot_per_style(ev, out)
    data = ev.to_json()
    lines = ["# Dance evaluation report", ""]
    lines += [f"- {h}" for h in header]
    lines += ["", f"**{comparability_line(ev)}**", "", markdown_table(ev), ""]
    lines += [
        "Protocols: " + "; ".join(f"`{p}` = {data['protocols'][p]['summary']}" for p in ev.protocols) + ".",
        "FID and diversity use features normalised with the pool's mean and std; see docs/METRICS.md.",
        "",
    ]
    left = data["left_out"]
    if left["kinetic_joints"] or left["geometric_rules"]:
        lines += ["## Left out on this skeleton", ""]
        lines.append("- kinetic/geometric joints missing: " + (", ".join(left["kinetic_joints"]) or "none"))
        for r in left["geometric_rules"]:
            lines.append(f"- geometric rule {r['rule']} `{r['test']}` (needs {', '.join(r['missing'])})")
        if left["pfc"]:
            lines.append(f"- PFC: {left['pfc']}")
        lines.append("")
    if proj is not None:
        lines += ["## Kinetic features, 2-D projection", "", f"![kinetic projection]({proj.name})", ""]
    if style_png is not None:
        lines += ["## Per style", "", f"![per style]({style_png.name})", ""]
        table = per_style(ev)
        lines += ["| row | style | clips | BAS (bailando) | BAS (fact) | BAS_fact (fixed) | beat-hit | energy r | PFC |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in ev.rows:
            for s, v in table[r.key].items():
                lines.append(
                    f"| {r.label} | {s} | {v['clips']} | {_cell(v['BAS_bailando'], '{:.4f}')} | "
                    f"{_cell(v['BAS_fact'], '{:.4f}')} | {_cell(v['BAS_fact_fixed'], '{:.4f}')} | "
                    f"{_cell(v['beat_hit'], '{:.1%}')} | {_cell(v['energy_r'], '{:.3f}')} | "
                    f"{_cell(v['PFC'], '{:.3f}')} |"
                )
        lines.append("")
    if beat_pngs:
        lines += ["## Music beats against motion beats (first 30 s of each song)", ""]
        lines += [f"![{p.stem}]({p.name})" for p in beat_pngs]
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
