"""PFC: zero for a still body, analytic value for a sliding body, EDGE's z-up conversion."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.metrics.foot_contact import SCALE, pfc_clip, pfc_windows, y_up_to_z_up, z_up_to_y_up


def body(frames: int) -> np.ndarray:
    return np.zeros((frames, 24, 3))


def test_still_body_scores_zero():
    j = body(150)
    j[:, :, 2] = 0.9
    assert pfc_windows(j, 150) == [0.0]


def test_accelerating_root_with_sliding_feet():
    # root accelerates uniformly (normalised acceleration 1 everywhere); both feet slide 1 cm per frame
    t = np.arange(150)
    j = body(150)
    j[:, 0, 0] = 0.5 * 0.001 * t**2
    for f in (7, 10, 8, 11):
        j[:, f, 1] = 0.01 * t
    (score,) = pfc_windows(j, 150)
    assert SCALE * score == pytest.approx(SCALE * 0.01 * 0.01, rel=1e-6)  # = 1.0
    # one foot planted on each side: the per-side minimum is zero
    j[:, 10, 1] = 0.0
    j[:, 11, 1] = 0.0
    assert pfc_windows(j, 150) == [0.0]


def test_falling_is_free():
    # only downward root acceleration: clamped to 0, so the score is 0 whatever the feet do
    t = np.arange(90)
    j = body(90)
    j[:, 0, 2] = 2.0 - 0.5 * 0.01 * t**2
    j[:, [7, 10, 8, 11], 0] = 0.02 * t[:, None]
    assert pfc_clip(j[:, 0], j[:, [7, 10, 8, 11]]) == 0.0


def test_windows_cut_long_clips():
    rng = np.random.default_rng(0)
    j = np.cumsum(rng.normal(scale=0.01, size=(400, 24, 3)), axis=0)
    scores = pfc_windows(j, 150)
    assert len(scores) == 2  # 400 frames: two 150-frame windows, 100 frames dropped
    assert scores[0] == pytest.approx(pfc_clip(j[:150, 0], j[:150, [7, 10, 8, 11]]))
    assert len(pfc_windows(j[:100], 150)) == 1  # shorter than a window: scored whole


def test_axis_conversion_round_trip():
    p = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(y_up_to_z_up(p), [[1.0, -3.0, 2.0]])
    np.testing.assert_allclose(z_up_to_y_up(y_up_to_z_up(p)), p)
