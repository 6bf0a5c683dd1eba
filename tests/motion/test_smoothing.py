"""Temporal smoothing of joints (the optional last step of generation)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dancegen.motion.smoothing import PIN_FADE_S, smooth_joints, smoothstep

FPS = 30.0


def _accel(j: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(j, 2, axis=0) * FPS * FPS, axis=-1).mean())


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 3), st.just(3)),
              elements=st.floats(-3, 3, allow_nan=False)),
       st.floats(0.0, 0.5))  # fmt: skip
def test_every_output_is_a_weighted_mean_of_the_same_coordinate(joints, sigma):
    out = smooth_joints(joints, FPS, sigma)
    assert out.shape == joints.shape and out.dtype == joints.dtype
    assert np.all(out >= joints.min(axis=0) - 1e-9) and np.all(out <= joints.max(axis=0) + 1e-9)


def test_zero_sigma_is_an_unchanged_copy():
    j = np.random.default_rng(0).normal(size=(20, 4, 3)).astype(np.float32)
    out = smooth_joints(j, FPS, 0.0)
    assert out is not j and np.array_equal(out, j)


def test_jitter_goes_and_the_dance_stays():
    """A 1.5 Hz sway (a dance's accent rate) plus frame-to-frame jitter: the jitter's acceleration is
    removed, the sway keeps its amplitude and timing (zero phase, no lag)."""
    t = np.arange(300) / FPS
    sway = np.zeros((300, 1, 3))
    sway[:, 0, 0] = 0.3 * np.sin(2 * np.pi * 1.5 * t)
    jitter = 0.01 * np.random.default_rng(1).normal(size=sway.shape)
    out = smooth_joints(sway + jitter, FPS, 0.05)
    assert _accel(out) < 0.5 * _accel(sway + jitter)
    inner = slice(30, -30)
    assert np.abs(out[inner] - sway[inner]).max() < 0.04  # amplitude kept within ~10%
    lag = np.argmax(np.correlate(out[inner, 0, 0], sway[inner, 0, 0], "full")) - (len(t[inner]) - 1)
    assert lag == 0


def test_pinned_frames_stay_exact_and_their_borders_continuous():
    rng = np.random.default_rng(2)
    j = np.cumsum(rng.normal(scale=0.02, size=(120, 3, 3)), axis=0)
    pinned = np.zeros(120, bool)
    pinned[:30] = True
    pinned[80] = True
    out = smooth_joints(j, FPS, 0.1, pinned)
    np.testing.assert_array_equal(out[pinned], j[pinned])
    far = int(np.ceil(PIN_FADE_S * FPS)) + 1
    full = smooth_joints(j, FPS, 0.1)
    np.testing.assert_allclose(out[30 + far : 80 - far], full[30 + far : 80 - far])
    # no jump at the border: the step out of the pinned run is no larger than the raw motion's steps there
    step = np.linalg.norm(out[30] - out[29], axis=-1).max()
    assert step <= np.linalg.norm(j[31] - j[29], axis=-1).max() + 1e-9


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_bad_sigma_is_refused(bad):
    with pytest.raises(ValueError, match="sigma"):
        smooth_joints(np.zeros((5, 2, 3)), FPS, bad)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match=r"\(T, J, 3\)"):
        smooth_joints(np.zeros((5, 6)), FPS, 0.1)
    with pytest.raises(ValueError, match="pinned"):
        smooth_joints(np.zeros((5, 2, 3)), FPS, 0.1, np.zeros(4, bool))


def test_a_real_dance_keeps_its_speed(dwm_root):
    """On a real test dance the smoothing the model card measures (0.04 s) changes mean joint speed
    by under 5% (measured 3-4%): it takes out jitter, not dance."""
    from dancegen.datasets import load_dataset

    seq = sorted(load_dataset("dance_with_melody", dwm_root, "test", fps=30), key=lambda s: s.name)[0]
    j = seq.motion.joints[: 30 * 20]
    out = smooth_joints(j, 30, 0.04)

    def speed(x: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(x, axis=0) * 30, axis=-1).mean())

    assert abs(speed(out) / speed(j) - 1) < 0.05


@settings(deadline=None)  # the first example imports torch
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(0.0, 1.0)))
def test_smoothstep_rises_from_0_to_1_symmetrically_and_works_on_tensors(u):
    import torch

    s = smoothstep(u)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(smoothstep(1 - u), 1 - s, atol=1e-12)  # point-symmetric about (1/2, 1/2)
    grid = np.linspace(0, 1, 11)
    assert np.all(np.diff(smoothstep(grid)) > 0) and smoothstep(grid)[0] == 0 and smoothstep(grid)[-1] == 1
    np.testing.assert_allclose(smoothstep(torch.from_numpy(u)).numpy(), s)
