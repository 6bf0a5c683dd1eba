"""Fusing decoded positions with the model's joint-velocity outputs (representation.fuse_velocities)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.motion.representation import FeatureLayout, decode, encode, fuse_velocities
from dancegen.motion.skeleton import DWM23

FPS = 30.0
J = DWM23.num_joints
LAY = FeatureLayout(J)


def _walk(seed: int, frames: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    j = np.cumsum(rng.normal(scale=0.01, size=(frames, J, 3)), axis=0)
    j[..., 1] += 1.0
    return j


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 90), st.floats(0.0, 50.0))
def test_a_consistent_motion_comes_back_unchanged(seed, frames, weight):
    """Positions and velocities of a real (encoded) motion agree, so fusing changes nothing."""
    joints = _walk(seed, frames)
    feats = encode(joints, DWM23, FPS)
    pos = decode(feats, J, FPS)
    vel = feats[:, LAY.joint_vel].reshape(pos.shape)
    np.testing.assert_allclose(fuse_velocities(pos, vel, FPS, weight), pos, atol=1e-4)


def test_a_jump_between_tokens_is_spread_and_pins_stay():
    """Positions that jump by 10 cm between two frames while the velocities say the body moved
    smoothly: the fused motion's biggest step shrinks, a pinned frame keeps its value exactly."""
    joints = _walk(1, 60).astype(np.float32)
    feats = encode(joints, DWM23, FPS)
    pos = decode(feats, J, FPS)
    vel = feats[:, LAY.joint_vel].reshape(pos.shape)
    pos[30:] += np.float32(0.1)  # the jump the velocities do not show
    pinned = np.zeros(60, bool)
    pinned[:10] = True
    out = fuse_velocities(pos, vel, FPS, 1.0, pinned)
    np.testing.assert_array_equal(out[:10], pos[:10])
    step = np.linalg.norm(np.diff(out, axis=0), axis=-1).max()
    assert step < 0.6 * np.linalg.norm(np.diff(pos, axis=0), axis=-1).max()  # about half of it
    # a larger weight trusts the velocities more: a smaller step still
    out4 = fuse_velocities(pos, vel, FPS, 4.0, pinned)
    assert np.linalg.norm(np.diff(out4, axis=0), axis=-1).max() < step
    assert out.dtype == pos.dtype and out.shape == pos.shape


def test_weight_zero_is_a_copy_and_bad_input_is_refused():
    pos = _walk(2, 10)
    vel = np.zeros_like(pos)
    out = fuse_velocities(pos, vel, FPS, 0.0)
    assert out is not pos and np.array_equal(out, pos)
    with pytest.raises(ValueError, match="both be"):
        fuse_velocities(pos, vel[:5], FPS)
    with pytest.raises(ValueError, match="weight"):
        fuse_velocities(pos, vel, FPS, -1.0)
    with pytest.raises(ValueError, match="pinned"):
        fuse_velocities(pos, vel, FPS, 1.0, np.zeros(3, bool))
