"""benchmarks/training_curve.py: which snapshots a run's FID_k curve scores (the scoring is quality.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchtools import load_benchmark


@pytest.fixture(scope="module")
def curve():
    return load_benchmark("training_curve")


def _snap(run: Path, step: int, complete: bool = True) -> None:
    d = run / "snapshots" / f"step_{step:07d}"
    d.mkdir(parents=True)
    if complete:
        (d / "config.json").write_text("{}")


def test_snapshots_come_by_step_and_every_kth_keeps_the_last(curve, tmp_path):
    for step in (300, 100, 1000, 200, 400):
        _snap(tmp_path, step)
    _snap(tmp_path, 500, complete=False)  # being written: no config.json yet
    (tmp_path / "snapshots" / "step_notes").mkdir()
    assert [s for s, _ in curve.snapshot_dirs(tmp_path)] == [100, 200, 300, 400, 1000]
    assert [s for s, _ in curve.snapshot_dirs(tmp_path, every=2)] == [200, 400, 1000]
    assert curve.snapshot_dirs(tmp_path / "nothing") == []


def test_a_run_without_snapshots_says_how_to_make_them(curve, tmp_path):
    with pytest.raises(SystemExit, match="snapshot_every"):
        curve.fid_curve(tmp_path, [0], 1, tmp_path / "x.png")


def test_table_rows_show_the_median_with_its_seed_range(curve):
    row = {"FID_k": 53.9, "FID_k_min": 51.4, "FID_k_max": 65.9, "FID_g": 80.2, "Div_k": 8.03, "PFC": 1.013,
           "speed": 0.547, "accel": 4.18}
    assert curve._table_row("default", 0.3787, row) == (
        "| default | 0.3787 | 53.9 (51.4-65.9) | 80.2 | 8.03 | 1.013 | 0.547 | 4.18 |")
    one_seed = {**row, "FID_k_min": None, "FID_k_max": None}
    assert curve._table_row("250", None, one_seed).startswith("| 250 | - | 53.9 (53.9-53.9) |")
