"""benchmarks/training_curve.py: which snapshots a run's FID_k curve scores (the scoring is quality.py's)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "training_curve.py"


@pytest.fixture(scope="module")
def curve():
    spec = importlib.util.spec_from_file_location("bench_training_curve", PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


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
