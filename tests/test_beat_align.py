"""The beat-alignment time warp: accents move onto the beats, speed changes stay bounded."""

from __future__ import annotations

import numpy as np
import pytest
from beatmotion import accent_motion, irregular_beats
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.beat_align import MAX_RATE, align_to_beats, beat_pairs, warp_curve
from dancegen.errors import DancegenError
from dancegen.metrics.beats import bailando_bas
from dancegen.models.conditioning import motion_beats


def _accents(joints: np.ndarray) -> np.ndarray:
    return motion_beats(joints) + 0.5


def test_synthetic_accents_are_where_they_were_put():
    beats = irregular_beats(np.random.default_rng(0), 300)
    found = _accents(accent_motion(beats, 300))
    inner = beats[(beats > 10) & (beats < 290)]
    d = np.abs(inner[:, None] - found[None]).min(1)
    assert np.median(d) <= 1.0 and d.max() <= 3.0  # the 5-frame smoothing pulls uneven accents a little


def test_accents_move_onto_shifted_beats():
    beats = irregular_beats(np.random.default_rng(1), 450, 15, 20)
    joints = accent_motion(beats, 450)
    music = beats + 4  # the music's beats come 4 frames (133 ms) after the dance's accents
    before = bailando_bas(music, joints)
    aligned = align_to_beats(joints, music, 1.0)
    after = bailando_bas(music, aligned)
    assert aligned.shape == joints.shape
    d = np.abs(music[(music > 10) & (music < 440), None] - _accents(aligned)[None]).min(1)
    assert np.median(d) <= 1.0
    assert after > 0.8 > 0.5 > before


def test_strength_zero_is_identity_and_half_goes_half_way():
    beats = irregular_beats(np.random.default_rng(2), 300, 15, 20)
    joints = accent_motion(beats, 300)
    np.testing.assert_array_equal(align_to_beats(joints, beats + 4, 0.0), joints)
    half = _accents(align_to_beats(joints, beats + 4, 0.5))
    inner = beats[(beats > 20) & (beats < 280)] + 2
    assert np.median(np.abs(inner[:, None] - half[None]).min(1)) <= 1.0


def test_far_beats_are_left_alone():
    beats = np.arange(10, 300, 20)
    joints = accent_motion(beats, 300)
    np.testing.assert_allclose(align_to_beats(joints, beats + 10, 1.0), joints, atol=1e-6)  # 333 ms: too far


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(5, 290), st.floats(-6, 6)), max_size=30), st.floats(0, 1))
def test_warp_is_monotone_and_rate_bounded(pairs, strength):
    pairs = sorted((b, b + d) for b, d in pairs)
    w = warp_curve(300, pairs, strength)
    assert w[0] == pytest.approx(0) and w[-1] == pytest.approx(299)
    rate = np.diff(w)
    assert np.all(rate > 0)
    assert rate.max() <= MAX_RATE * 1.5 and rate.min() >= 1 / (MAX_RATE * 1.5)  # PCHIP may overshoot a little


def test_pairs_use_each_beat_once():
    assert beat_pairs(np.array([10.0, 12.0]), np.array([11.0]), 3.0) == [(10.0, 11.0)]
    assert beat_pairs(np.array([10.0]), np.array([20.0]), 3.0) == []


def test_bad_strength():
    with pytest.raises(DancegenError, match="between|in \\[0, 1\\]"):
        align_to_beats(np.zeros((10, 23, 3)), np.array([3]), 1.5)
