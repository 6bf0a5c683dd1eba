"""Training windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.datasets.windows import STRIDE_S, WINDOW_S, make_windows, num_windows, seconds_to_frames, time_scale


def _seq(t: int, a: int = 4, offset: float = 0.0):
    audio = np.arange(t * a, dtype=np.float32).reshape(t, a) + offset
    motion = np.arange(t * 6, dtype=np.float32).reshape(t, 2, 3) - offset
    return audio, motion


def test_defaults_at_30_fps():
    assert seconds_to_frames(WINDOW_S, 30) == 150 and seconds_to_frames(STRIDE_S, 30) == 15


def test_counts_contents_and_short_sequences():
    lengths = [30, 9, 25, 10]
    seqs = [_seq(t, offset=1000 * i) for i, t in enumerate(lengths)]
    audio, motion = [s[0] for s in seqs], [s[1] for s in seqs]
    aw, mw, idx = make_windows(audio, motion, window=10, stride=4)
    expected = sum((t - 10) // 4 + 1 for t in lengths if t >= 10)
    assert aw.shape == (expected, 10, 4) and mw.shape == (expected, 10, 2, 3) and idx.shape == (expected,)
    assert idx.dtype == np.int64 and 1 not in idx  # the 9-frame sequence gives none
    assert list(idx) == [0] * 6 + [2] * 4 + [3]
    k = 0
    for i, t in enumerate(lengths):
        for start in range(0, t - 10 + 1, 4):
            np.testing.assert_array_equal(aw[k], audio[i][start : start + 10])
            np.testing.assert_array_equal(mw[k], motion[i][start : start + 10])
            k += 1


def test_unequal_lengths_are_truncated_to_the_shorter():
    audio, _ = _seq(40)
    _, motion = _seq(23)
    aw, mw, idx = make_windows([audio], [motion], window=10, stride=5)
    assert len(idx) == (23 - 10) // 5 + 1
    np.testing.assert_array_equal(aw[-1], audio[10:20])


def test_no_windows_keeps_shapes_and_bad_input_raises():
    aw, mw, idx = make_windows([_seq(5)[0]], [_seq(5)[1]], window=10, stride=2)
    assert aw.shape == (0, 10, 4) and mw.shape == (0, 10, 2, 3) and idx.shape == (0,)
    with pytest.raises(ValueError):
        make_windows([], [], 10, 2)
    with pytest.raises(ValueError):
        make_windows([_seq(5)[0]], [], 10, 2)
    with pytest.raises(ValueError):
        make_windows([_seq(5)[0]], [_seq(5)[1]], 0, 2)
    with pytest.raises(ValueError):
        make_windows([_seq(20)[0], _seq(20, a=3)[0]], [_seq(20)[1]] * 2, 10, 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=5),
    st.integers(1, 20),
    st.integers(1, 10),
)
def test_count_property(lengths, window, stride):
    audio = [np.zeros((ta, 2)) for ta, _ in lengths]
    motion = [np.zeros((tm, 3)) for _, tm in lengths]
    aw, mw, idx = make_windows(audio, motion, window, stride)
    expected = [num_windows(min(ta, tm), window, stride) for ta, tm in lengths]
    assert all(e == (0 if min(ta, tm) < window else (min(ta, tm) - window) // stride + 1)
               for e, (ta, tm) in zip(expected, lengths))
    assert len(aw) == len(mw) == len(idx) == sum(expected)
    assert np.array_equal(np.bincount(idx, minlength=len(lengths)), expected)
    assert np.all(np.diff(idx) >= 0)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 200), st.floats(0.5, 2.0), st.lists(st.integers(0, 199), max_size=20))
def test_time_scale_resamples_linearly_and_moves_beats(length, rate, beat_frames):
    t = np.arange(length, dtype=np.float64)
    joints = np.stack([t, 2 * t, -t], axis=1)[:, None, :].repeat(2, axis=1)  # linear in time
    music = np.zeros((length, 35))
    music[:, 0] = 3 * t
    beats = np.unique([b for b in beat_frames if b < length]).astype(int)
    music[beats, 34] = 1
    new_j, new_m = time_scale(joints, music, rate)
    n = int(np.floor((length - 1) / rate)) + 1
    assert new_j.shape == (n, 2, 3) and new_m.shape == (n, 35)
    # linear data stays exactly linear: frame i is old time i * rate
    np.testing.assert_allclose(new_j[:, 0, 0], np.arange(n) * rate, atol=1e-9)
    np.testing.assert_allclose(new_m[:, 0], 3 * np.arange(n) * rate, atol=1e-9)
    moved = np.unique(np.round(beats / rate).astype(int))
    np.testing.assert_array_equal(np.flatnonzero(new_m[:, 34]), moved[moved < n])
    assert set(np.unique(new_m[:, 34])) <= {0.0, 1.0}


def test_time_scale_rate_one_is_identity_and_bad_rate_raises():
    joints, music = np.random.default_rng(0).normal(size=(10, 3, 3)), np.zeros((12, 35))
    new_j, new_m = time_scale(joints, music, 1.0)
    np.testing.assert_array_equal(new_j, joints)
    np.testing.assert_array_equal(new_m, music[:10])
    with pytest.raises(ValueError):
        time_scale(joints, music, 0.0)
