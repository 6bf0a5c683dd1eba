"""benchmarks/quality.py's issue-4 target check (a pure function; the benchmark itself needs the real data)."""

from __future__ import annotations

import pytest
from benchtools import load_benchmark


@pytest.fixture(scope="module")
def quality():
    return load_benchmark("quality")


GT = {"FID_k": 30.0, "FID_g": 20.0, "Div_k": 6.0, "PFC": 1.0, "speed": 0.7, "accel": 4.0}
REPLAY = {"FID_k": 50.0, "FID_g": 25.0, "Div_k": 10.0, "PFC": 2.0, "speed": 1.0, "accel": 7.0}


def test_a_model_like_the_real_dances_passes_every_target(quality):
    model = {**GT, "x_real_time": 16.0}
    checks = quality.issue4_targets(model, GT, REPLAY)
    assert len(checks) == 7
    assert all(ok for _, ok, _ in checks), checks


def test_bounds_are_inclusive_and_each_target_fails_on_its_own(quality):
    edge = {"FID_k": 45.0, "FID_g": 24.9, "Div_k": 6.0 * 1.15, "PFC": 1.2, "speed": 0.7 * 0.85, "accel": 4.0 * 1.15,
            "x_real_time": 5.0}  # fmt: skip
    assert all(ok for _, ok, _ in quality.issue4_targets(edge, GT, REPLAY))
    bad = {"FID_k": 46.0, "FID_g": 25.0, "Div_k": 5.0, "PFC": 1.3, "speed": 0.5, "accel": 4.7, "x_real_time": 4.9}
    for key in bad:
        model = {**edge, key: bad[key]}
        failed = [t for t, ok, _ in quality.issue4_targets(model, GT, REPLAY) if not ok]
        assert len(failed) == 1, (key, failed)


def test_fid_needs_both_the_gt_ratio_and_beating_replay(quality):
    model = {**GT, "FID_k": 40.0, "x_real_time": 10.0}  # 1.33x GT but not below a replay at 35
    checks = quality.issue4_targets(model, GT, {**REPLAY, "FID_k": 35.0})
    target, ok, text = checks[0]
    assert target.startswith("FID_k") and not ok
    assert text == "1.33x GT, 1.14x replay"


def test_missing_values_fail_as_na(quality):
    model = {**GT, "PFC": None}  # no PFC, no generation speed
    checks = {t: (ok, text) for t, ok, text in quality.issue4_targets(model, GT, REPLAY)}
    assert checks["PFC <= 1.2x GT"] == (False, "n/a")
    assert checks[">= 5x real time"] == (False, "n/a")


def test_motion_stats_of_a_steady_walk(quality):
    import numpy as np

    fps = 30.0
    t = np.arange(60)[:, None] / fps
    joints = np.zeros((60, 2, 3))
    joints[:, :, 0] = 1.5 * t  # both joints 1.5 m/s along x, on the floor
    speed, accel, skate = quality.motion_stats(joints, [1], fps)
    assert speed == pytest.approx(1.5) and accel == pytest.approx(0.0, abs=1e-9) and skate == pytest.approx(1.5)


def test_median_over_seeds_is_robust_to_one_blown_up_fid(quality):
    rows = [
        {"FID_k": 60.0, "FID_g": 70.0, "speed": 0.5, "PFC": None},
        {"FID_k": 180.0, "FID_g": 3.7e16, "speed": 0.7, "PFC": None},  # Bailando's normaliser blowing up
        {"FID_k": 75.0, "FID_g": float("nan"), "speed": 0.6, "PFC": None},
    ]
    out = quality.median_over_seeds(rows)
    assert out["seeds"] == 3
    assert out["FID_k"] == 75.0 and (out["FID_k_min"], out["FID_k_max"]) == (60.0, 180.0)
    assert out["FID_g"] == pytest.approx((70.0 + 3.7e16) / 2)  # median of the finite ones (an even count)
    assert out["speed"] == pytest.approx(0.6)
    assert out["PFC"] is None  # missing everywhere stays missing


def test_random_replay_is_reproducible_and_as_long_as_the_test_clip(quality):
    import numpy as np

    from dancegen.metrics.protocols import resample_joints
    from dancegen.metrics.suite import Clip

    rng = np.random.default_rng(0)
    pool = [Clip(f"p{i}", rng.normal(size=(200 + 10 * i, 23, 3)), 30.0, "dwm23") for i in range(4)]
    gt = [Clip(f"g{i}", np.zeros((90, 23, 3)), 30.0, "dwm23") for i in range(3)]
    a, texts = quality.random_replay(pool, gt, 7, resample_joints, Clip)
    b, _ = quality.random_replay(pool, gt, 7, resample_joints, Clip)
    assert [c.joints.shape for c in a] == [(90, 23, 3)] * 3
    assert all(np.array_equal(x.joints, y.joints) for x, y in zip(a, b))
    assert len({t.split(" <- ")[1].split(" @")[0] for t in texts}) == 3  # drawn without replacement
