"""Kinetic features: analytic cases and agreement with a frame-by-frame transcription of METRICS.md."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dancegen.metrics.kinetic import kinetic_features


def loop_reference(p: np.ndarray, dt: float = 1 / 60, w: int = 2, quirk: bool = True) -> np.ndarray:
    """METRICS.md's kinetic features written with explicit loops over frames (slow, obvious)."""
    t, joints, _ = p.shape
    out = []
    for jt in range(joints):
        h = v = e = 0.0
        for i in range(1, t):
            s, c = np.zeros(3), 0
            for j in range(-w, w + 1):
                k = i + j
                if 1 <= k < t:
                    s += p[k, jt] - p[k - 1, jt]
                    c += 1
            vel = s / (c * dt)
            h += vel[0] ** 2 + vel[2] ** 2
            v += vel[1] ** 2
            a, c = np.zeros(3), 0
            for j in range(-w, w + 1):
                k = i + j
                if 1 <= k <= t - 2:
                    v2 = (p[k + 1, jt] - p[k, jt]) / dt
                    v1 = (p[k, jt] - p[k - 1, jt] / dt) if quirk else (p[k, jt] - p[k - 1, jt]) / dt
                    a += (v2 - v1) / dt
                    c += 1
            e += np.linalg.norm(a / c)
        out += [h / (t - 1), v / (t - 1), e / (t - 1)]
    return np.array(out)


def test_point_at_constant_velocity():
    # one joint moving at (1, 2, -0.5) m/s for 2 s at 60 fps
    t = np.arange(120) / 60.0
    vel = np.array([1.0, 2.0, -0.5])
    p = (np.array([0.3, 1.0, -0.2]) + t[:, None] * vel)[:, None, :]
    ke_h, ke_v, ee = kinetic_features(p, accel_quirk=False)
    assert ke_h == pytest.approx(1.0**2 + 0.5**2, rel=1e-5)  # |v_horizontal|^2
    assert ke_v == pytest.approx(4.0, rel=1e-5)
    assert ee == pytest.approx(0.0, abs=1e-3)  # no acceleration


def test_reference_quirk_makes_energy_depend_on_position():
    # a still point at c: corrected acceleration 0; the reference's v1 = c - c/dt gives
    # a = c (1/dt - 1) / dt = 3540 c at 60 fps
    c = np.array([0.2, 0.0, 0.0])
    p = np.repeat(c[None, None], 30, axis=0)
    assert kinetic_features(p, accel_quirk=False)[2] == 0.0
    assert kinetic_features(p, accel_quirk=True)[2] == pytest.approx(3540 * 0.2, rel=1e-5)
    # at the origin (what root anchoring does to the root joint) the quirk vanishes
    assert kinetic_features(np.zeros((30, 1, 3)), accel_quirk=True)[2] == 0.0


def test_joint_major_layout_and_dtype():
    rng = np.random.default_rng(0)
    p = rng.normal(size=(20, 3, 3))
    f = kinetic_features(p)
    assert f.shape == (9,) and f.dtype == np.float32
    np.testing.assert_allclose(f[3:6], kinetic_features(p[:, 1:2]), rtol=1e-6)


def test_batch_dimensions_match_single_clips():
    rng = np.random.default_rng(1)
    p = rng.normal(size=(2, 15, 4, 3))
    np.testing.assert_allclose(kinetic_features(p)[1], kinetic_features(p[1]), rtol=1e-6)


def test_too_short_is_refused():
    with pytest.raises(ValueError, match="3 frames"):
        kinetic_features(np.zeros((2, 1, 3)))


@settings(max_examples=25, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(3, 12), st.integers(1, 3), st.just(3)), elements=st.floats(-2, 2)),
    st.booleans(),
    st.integers(1, 3),
)
def test_vectorised_equals_frame_loop(p, quirk, window):
    got = kinetic_features(p, window=window, accel_quirk=quirk)
    want = loop_reference(p, w=window, quirk=quirk)
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=2e-5, atol=1e-4)
