"""Rotations and forward kinematics."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from dancegen.motion.kinematics import axis_angle_to_matrix, forward_kinematics, smpl_joints, topological_order
from dancegen.motion.skeleton import DWM23, SMPL24, SMPL24_OFFSETS

PARENTS = list(SMPL24.parents)


def rest_skeleton(offsets: np.ndarray, parents: list[int]) -> np.ndarray:
    pos = np.zeros_like(offsets, dtype=np.float64)
    for j in topological_order(parents):
        if parents[j] >= 0:
            pos[j] = pos[parents[j]] + offsets[j]
    return pos


def _rotvec(scale: float):
    return arrays(np.float64, (3,), elements=st.floats(-scale, scale, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_rotvec(4.0), _rotvec(1e-3), _rotvec(1e-7)))
def test_axis_angle_matches_scipy_and_is_a_rotation(aa):
    r = axis_angle_to_matrix(aa)
    np.testing.assert_allclose(r, Rotation.from_rotvec(aa).as_matrix(), atol=1e-12)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert abs(np.linalg.det(r) - 1) < 1e-12


def test_axis_angle_zero_and_batch_shape():
    assert np.array_equal(axis_angle_to_matrix(np.zeros(3)), np.eye(3))
    out = axis_angle_to_matrix(np.zeros((5, 7, 3)))
    assert out.shape == (5, 7, 3, 3) and np.isfinite(out).all()


def test_identity_rotations_give_the_rest_skeleton():
    t = 3
    rot = np.broadcast_to(np.eye(3), (t, 24, 3, 3))
    root = np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    joints = forward_kinematics(rot, root, SMPL24_OFFSETS, PARENTS)
    rest = rest_skeleton(SMPL24_OFFSETS, PARENTS)
    np.testing.assert_allclose(joints, rest[None] + root[:, None], atol=1e-6)
    # pelvis -> left hip -> left knee -> left ankle, accumulated by hand
    ankle = SMPL24_OFFSETS[1] + SMPL24_OFFSETS[4] + SMPL24_OFFSETS[7]
    np.testing.assert_allclose(joints[0, 7], ankle + root[0], atol=1e-6)


def test_root_rotation_about_y_rotates_every_joint():
    rot = np.broadcast_to(np.eye(3), (1, 24, 3, 3)).copy()
    ry = Rotation.from_rotvec([0, np.pi / 2, 0]).as_matrix()
    rot[0, 0] = ry
    joints = forward_kinematics(rot, np.zeros((1, 3)), SMPL24_OFFSETS, PARENTS)[0]
    rest = rest_skeleton(SMPL24_OFFSETS, PARENTS)
    np.testing.assert_allclose(joints, rest @ ry.T, atol=1e-6)
    # +x goes to -z under +90 degrees about y; heights are unchanged
    np.testing.assert_allclose(joints[:, 1], rest[:, 1], atol=1e-6)
    np.testing.assert_allclose(joints[:, 2], -rest[:, 0], atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (4, 24, 3), elements=st.floats(-3, 3, allow_nan=False)))
def test_bone_lengths_are_preserved(aa):
    root = np.arange(12, dtype=np.float64).reshape(4, 3)
    joints = forward_kinematics(axis_angle_to_matrix(aa), root, SMPL24_OFFSETS, PARENTS)
    np.testing.assert_allclose(joints[:, 0], root, atol=1e-5)
    for c, p in enumerate(PARENTS):
        if p >= 0:
            length = np.linalg.norm(joints[:, c] - joints[:, p], axis=-1)
            np.testing.assert_allclose(length, np.linalg.norm(SMPL24_OFFSETS[c]), atol=1e-5)


def test_unsorted_parents_are_handled():
    # DWM23 lists children before parents (joint 0's parent is 1): FK must still work.
    offsets = np.random.default_rng(0).normal(size=(23, 3))
    rot = np.broadcast_to(np.eye(3), (2, 23, 3, 3))
    joints = forward_kinematics(rot, np.zeros((2, 3)), offsets, list(DWM23.parents))
    np.testing.assert_allclose(joints[0], rest_skeleton(offsets, list(DWM23.parents)), atol=1e-5)


def test_smpl_joints_root_is_trans_over_scaling():
    t = 5
    rng = np.random.default_rng(1)
    poses = rng.normal(scale=0.3, size=(t, 72))
    trans = rng.normal(scale=100, size=(t, 3))
    joints = smpl_joints(poses, trans, np.array([90.0]))
    assert joints.shape == (t, 24, 3) and joints.dtype == np.float32
    np.testing.assert_allclose(joints[:, 0], trans / 90.0, rtol=1e-5, atol=1e-5)
