"""Beat alignment: 1 when motion minima sit on the music beats, falling as they move away."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dancegen.metrics.beats import (
    bailando_bas,
    bailando_motion_beats,
    beats_from_onehot,
    fact_bas,
    fact_motion_beats,
    nearest_distance,
)

PERIOD = 30  # frames between beats (120 BPM at 60 fps)


def pulsing(frames: int, minima_at: int, joints: int = 3) -> np.ndarray:
    """A body drifting along x whose speed |p[t+1] - p[t]| is smallest at minima_at + k*PERIOD."""
    t = np.arange(frames - 1)
    speed = 0.02 * (1.2 - np.cos(2 * np.pi * (t - minima_at) / PERIOD))
    x = np.concatenate([[0.0], np.cumsum(speed)])
    p = np.zeros((frames, joints, 3))
    p[:, :, 0] = x[:, None]
    return p


def test_bailando_bas_is_one_on_the_beats_and_falls_with_offset():
    beats = np.arange(15, 1200, PERIOD)
    p = pulsing(1200, 15)
    motion, length = bailando_motion_beats(p)
    assert length == 1199
    np.testing.assert_array_equal(motion, beats[beats < length - 10][: len(motion)])
    assert bailando_bas(beats, p) == pytest.approx(1.0)
    for shift in (1, 2, 4, 8):
        assert bailando_bas(beats + shift, p) == pytest.approx(math.exp(-(shift**2) / 18), rel=1e-6)
    scores = [bailando_bas(beats + s, p) for s in range(0, 15)]
    assert all(a > b for a, b in zip(scores, scores[1:]))


def test_fact_bas_is_one_on_the_beats_and_skips_the_seed():
    # FACT's velocity[t] = |p[t] - p[t-1]|: its minima sit one frame after Bailando's
    beats = np.arange(16, 1200, PERIOD)
    p = pulsing(1200, 15)
    motion = fact_motion_beats(p)
    np.testing.assert_array_equal(motion, beats[: len(motion)])
    assert fact_bas(beats, p) == pytest.approx(1.0)
    assert fact_bas(beats + 3, p) == pytest.approx(math.exp(-9 / 18), rel=1e-6)
    # beats only inside the 120 skipped seed frames: no music beat left, exp(-inf) = 0
    assert fact_bas(np.array([10, 40, 70]), p) == 0.0


def test_fact_at_native_rate_finds_beats_that_linear_upsampling_hides():
    from dancegen.metrics.protocols import resample_joints

    p30 = pulsing(600, 7, joints=2) * 2  # 30-fps motion, period 30 frames = 1 s
    p30 = np.round(p30 * 2**20) / 2**20  # dyadic positions: the interpolated midpoints are exact
    beats60 = np.arange(16, 1200, 60)
    up = resample_joints(p30, 30, 60)
    assert fact_motion_beats(up).size == 0  # speed comes in equal pairs: no strict minimum
    assert fact_bas(beats60, up) == 0.0
    assert fact_bas(beats60, p30, fps=30.0) == pytest.approx(1.0)


def test_still_body_scores_zero():
    p = np.ones((600, 4, 3))
    beats = np.arange(0, 600, PERIOD)
    assert bailando_bas(beats, p) == 0.0
    assert fact_bas(beats, p) == 0.0


def test_no_music_beat_is_undefined_for_bailando():
    assert math.isnan(bailando_bas(np.array([], dtype=int), pulsing(300, 15)))


def test_helpers():
    assert beats_from_onehot(np.array([0, 1, 0, 0, 1.0])).tolist() == [1, 4]
    np.testing.assert_array_equal(nearest_distance(np.array([0, 5, 9]), np.array([4, 10])), [4, 1, 1])
    assert np.isinf(nearest_distance(np.array([1]), np.array([]))).all()
