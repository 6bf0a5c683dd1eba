"""BVH export: the rotation solver, Euler angles, the file, and round trips through a real parser.

The round trips write a BVH, read it back with ``bvhio`` (an independent BVH library), take joint
positions from bvhio's own forward kinematics and compare them with the Motion's joints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from bvhtools import bvhio_positions
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from dancegen.errors import DancegenError, OutputError
from dancegen.motion import SKELETONS, Motion, get_skeleton
from dancegen.motion.bvh import (
    bvh_channels,
    bvh_skeleton,
    bvh_text,
    euler_zxy,
    matrix_from_euler_zxy,
    rotations_from_positions,
    write_bvh,
)
from dancegen.motion.kinematics import forward_kinematics
from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS

# ------------------------------------------------------------------------------------------
# helpers


def round_trip_error_cm(motion: Motion, folder: Path) -> np.ndarray:
    """Per frame and joint distance (cm) between the Motion and its BVH as bvhio plays it back."""
    path = folder / f"{motion.skeleton}.bvh"
    write_bvh(motion, path)
    back = bvhio_positions(path, motion.spec.joint_names, motion.num_frames)  # centimetres
    return np.linalg.norm(back - motion.joints.astype(np.float64) * 100.0, axis=-1)


def rigid_motion(skeleton: str, frames: int = 60, seed: int = 0) -> Motion:
    """Forward kinematics of smooth random rotations on random constant bones (5-40 cm)."""
    spec = get_skeleton(skeleton)
    rng = np.random.default_rng(seed)
    j = spec.num_joints
    offsets = rng.normal(size=(j, 3))
    offsets *= rng.uniform(0.05, 0.4, (j, 1)) / np.linalg.norm(offsets, axis=1, keepdims=True)
    t = np.arange(frames)[:, None, None] / 30.0
    rotvec = 1.2 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0, (1, j, 3)) * t + rng.uniform(0, 6, (1, j, 3)))
    rot = Rotation.from_rotvec(rotvec.reshape(-1, 3)).as_matrix().reshape(frames, j, 3, 3)
    root = np.stack([np.sin(t[:, 0, 0]), 1.0 + 0.1 * np.cos(3 * t[:, 0, 0]), 0.5 * t[:, 0, 0]], axis=-1)
    return Motion(forward_kinematics(rot, root, offsets, spec.parents), 30.0, skeleton)


def _global(local: np.ndarray, parents: Sequence[int]) -> np.ndarray:
    glob = np.empty_like(local)
    for j, p in enumerate(parents):  # parents come before children in these trees
        glob[:, j] = local[:, j] if p < 0 else glob[:, p] @ local[:, j]
    return glob


def _fk64(local: np.ndarray, root: np.ndarray, offsets: np.ndarray, parents: Sequence[int]) -> np.ndarray:
    """Forward kinematics in float64 (``forward_kinematics`` returns float32)."""
    glob = _global(local, parents)
    pos = np.empty(local.shape[:2] + (3,))
    for j, p in enumerate(parents):
        pos[:, j] = root if p < 0 else pos[:, p] + glob[:, p] @ offsets[j]
    return pos


def _rotation_steps_deg(rot: np.ndarray) -> np.ndarray:
    rel = np.einsum("t...ki,t...kl->t...il", rot[:-1], rot[1:])
    cos = (np.trace(rel, axis1=-2, axis2=-1) - 1) / 2
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


# ------------------------------------------------------------------------------------------
# the solver


@st.composite
def random_trees(draw) -> tuple[list[int], np.ndarray]:
    """A random kinematic tree (parents before children) with random bones of 2-50 cm."""
    n = draw(st.integers(2, 12))
    parents = [-1] + [draw(st.integers(0, j - 1)) for j in range(1, n)]
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    offsets = rng.normal(size=(n, 3))
    offsets *= rng.uniform(0.02, 0.5, (n, 1)) / np.linalg.norm(offsets, axis=1, keepdims=True)
    offsets[0] = 0
    return parents, offsets


@settings(max_examples=60, deadline=None)
@given(random_trees(), st.integers(0, 2**31))
def test_random_rotations_of_a_rest_skeleton_are_recovered(tree, seed):
    parents, offsets = tree
    n = len(parents)
    rng = np.random.default_rng(seed)
    local = Rotation.random(4 * n, random_state=seed).as_matrix().reshape(4, n, 3, 3)
    root = rng.normal(size=(4, 3))
    joints = _fk64(local, root, offsets, parents)
    root_out, local_out = rotations_from_positions(joints, parents, offsets)
    np.testing.assert_allclose(root_out, root, atol=1e-12)
    np.testing.assert_allclose(_fk64(local_out, root_out, offsets, parents), joints, atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(local_out), 1.0, atol=1e-9)
    # a joint whose children span a plane is a rigid body: its rotation itself is recovered
    truth, solved = _global(local, parents), _global(local_out, parents)
    for j in range(n):
        kids = [c for c, p in enumerate(parents) if p == j]
        unit = offsets[kids] / np.linalg.norm(offsets[kids], axis=1, keepdims=True)
        s = np.linalg.svd(unit, compute_uv=False)
        if len(kids) >= 2 and s[1] > 0.05 * s[0]:
            np.testing.assert_allclose(solved[:, j], truth[:, j], atol=1e-6)


def test_smpl_pelvis_and_chest_rotations_are_recovered_exactly():
    rng = np.random.default_rng(1)
    local = Rotation.from_rotvec(rng.normal(scale=0.6, size=(50 * 24, 3))).as_matrix().reshape(50, 24, 3, 3)
    joints = _fk64(local, rng.normal(size=(50, 3)), SMPL24_OFFSETS.astype(np.float64), SMPL24.parents)
    _, solved = rotations_from_positions(joints, SMPL24.parents, SMPL24_OFFSETS)
    truth, glob = _global(local, SMPL24.parents), _global(solved, SMPL24.parents)
    for name in ("pelvis", "spine3"):
        j = SMPL24.index(name)
        np.testing.assert_allclose(glob[:, j], truth[:, j], atol=1e-9)


def test_swing_stays_continuous_through_a_half_turn():
    """A bone swinging through the direction opposite its rest direction: exact, no twist flip."""
    parents, offsets = [-1, 0, 1], np.array([[0, 0, 0], [0, 0.3, 0], [0, 0.3, 0.0]])
    angle = np.linspace(0.0, 2 * np.pi, 181)  # passes exactly through 180 degrees at frame 90
    child = np.stack([np.zeros_like(angle), 0.3 + 0.3 * np.cos(angle), 0.3 * np.sin(angle)], axis=-1)
    joints = np.stack([np.zeros((181, 3)), np.tile([0, 0.3, 0], (181, 1)), child], axis=1)
    root, local = rotations_from_positions(joints, parents, offsets)
    np.testing.assert_allclose(_fk64(local, root, offsets, parents), joints, atol=1e-12)
    assert _rotation_steps_deg(local[:, 1]).max() < 3.0  # 2 degrees a frame, plus nothing


# ------------------------------------------------------------------------------------------
# Euler angles


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31))
def test_euler_zxy_reproduces_the_rotation(seed):
    rot = Rotation.random(50, random_state=seed).as_matrix().reshape(50, 1, 3, 3)
    np.testing.assert_allclose(matrix_from_euler_zxy(euler_zxy(rot)), rot, atol=1e-9)


def test_euler_zxy_matches_the_bvh_reading_and_scipy():
    angles = np.radians([[[30.0, 40.0, 50.0]]])  # (z, x, y)
    expected = Rotation.from_euler("ZXY", angles[0, 0]).as_matrix()  # intrinsic Z, X', Y''
    np.testing.assert_allclose(matrix_from_euler_zxy(angles)[0, 0], expected, atol=1e-12)
    np.testing.assert_allclose(euler_zxy(expected[None, None])[0, 0], angles[0, 0], atol=1e-12)


def test_euler_angles_are_unwrapped_over_time():
    turns = np.linspace(0, 3 * 2 * np.pi, 301)  # three whole turns about y, with a wobble about x
    rot = Rotation.from_euler("ZXY", np.stack([0.3 * np.sin(turns), 0.2 * np.cos(turns), turns], -1)).as_matrix()
    angles = euler_zxy(rot[:, None])
    np.testing.assert_allclose(matrix_from_euler_zxy(angles), rot[:, None], atol=1e-9)
    assert np.abs(np.diff(angles, axis=0)).max() < np.radians(10)
    assert angles[-1, 0, 2] - angles[0, 0, 2] == pytest.approx(3 * 2 * np.pi, abs=1e-6)


def test_euler_at_gimbal_lock():
    rot = Rotation.from_euler("ZXY", [[0.4, np.pi / 2, 0.3], [0.4, -np.pi / 2, 0.3]]).as_matrix()
    np.testing.assert_allclose(matrix_from_euler_zxy(euler_zxy(rot[:, None]))[:, 0], rot, atol=1e-9)


# ------------------------------------------------------------------------------------------
# the file


@pytest.mark.parametrize("skeleton", sorted(SKELETONS))
def test_every_skeleton_round_trips_exactly_when_bones_are_rigid(skeleton, tmp_path):
    motion = rigid_motion(skeleton)
    err = round_trip_error_cm(motion, tmp_path)
    print(f"\n{skeleton}: rigid synthetic motion, round trip mean {err.mean():.5f} cm, max {err.max():.5f} cm")
    assert err.max() < 0.01  # rounding of the file's 4 decimals only


def test_file_layout(tmp_path):
    motion = rigid_motion("dwm23", frames=7)
    text = bvh_text(motion)
    head, body = text.split("MOTION\n")
    lines = body.strip().splitlines()
    assert head.startswith("HIERARCHY\nROOT spine\n{\n  OFFSET 0 0 0\n")
    assert "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" in head
    assert lines[0] == "Frames: 7" and lines[1] == "Frame Time: 0.03333333"
    skel, channels, values = bvh_channels(motion)
    n_channels = sum(len(c) for c in channels)
    assert head.count("CHANNELS") == len(skel.names) and values.shape == (7, n_channels)
    assert all(len(line.split()) == n_channels for line in lines[2:]) and len(lines) == 2 + 7
    assert head.count("End Site") == sum(1 for kids in skel.children if not kids)
    for name in motion.spec.joint_names:  # every joint is in the file under its own name
        assert f"JOINT {name}\n" in head or f"ROOT {name}\n" in head
    assert "JOINT spine_to_head\n" in head  # the torso bends against the hips: a helper joint
    assert "spine_to_right_hip" not in head  # the hips ride on the pelvis itself
    assert "-0.0000" not in text


def test_scale_sets_the_units():
    motion = rigid_motion("smpl24", frames=3)
    _, _, cm = bvh_channels(motion)
    _, _, m = bvh_channels(motion, scale=1.0)
    np.testing.assert_allclose(cm[:, :3], m[:, :3] * 100)
    np.testing.assert_allclose(cm[:, 3:], m[:, 3:])  # angles do not scale
    np.testing.assert_allclose(m[:, :3], motion.joints[:, 0], atol=1e-6)


def test_rest_pose_is_a_t_pose_facing_forward():
    motion = rigid_motion("smpl24", frames=40)
    skel = bvh_skeleton(motion)
    spec = motion.spec
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for joint in ("elbow", "wrist"):
            d = skel.offsets[spec.index(f"{side}_{joint}")]
            np.testing.assert_allclose(d / np.linalg.norm(d), [sign, 0, 0], atol=1e-9)
        for joint in ("knee", "ankle"):
            d = skel.offsets[spec.index(f"{side}_{joint}")]
            np.testing.assert_allclose(d / np.linalg.norm(d), [0, -1, 0], atol=1e-9)
    # bone lengths are those of the motion
    lengths = np.linalg.norm(motion.joints[0, 4] - motion.joints[0, 1])
    assert np.linalg.norm(skel.offsets[4]) == pytest.approx(lengths, rel=1e-5)


def test_a_single_frame_is_a_valid_bvh(tmp_path):
    motion = rigid_motion("coco17", frames=1)
    err = round_trip_error_cm(motion, tmp_path)
    assert err.shape == (1, 17) and err.max() < 0.01


def test_unusable_motions_are_refused_in_one_sentence(tmp_path):
    empty = Motion(np.zeros((0, 23, 3), np.float32), 30, "dwm23")
    with pytest.raises(DancegenError, match="no frames"):
        bvh_text(empty)
    joints = rigid_motion("dwm23", frames=10).joints.copy()
    joints[4, 3] = np.nan
    joints[6, 0] = np.inf
    out = tmp_path / "bad.bvh"
    with pytest.raises(DancegenError, match=r"2 of 10 frames .* \(first: frame 4\)"):
        write_bvh(Motion(joints, 30, "dwm23"), out)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="cannot write"):
        write_bvh(rigid_motion("dwm23", frames=2), tmp_path / "missing" / "x.bvh")


def test_helper_joints_follow_the_rigid_table():
    names = bvh_skeleton(rigid_motion("smpl24", frames=2)).names
    assert len(names) == 24  # SMPL is rigid at every branching joint: no helpers
    dwm = bvh_skeleton(rigid_motion("dwm23", frames=2))
    helpers = sorted(n for n in dwm.names if "_to_" in n)
    assert helpers == ["head_to_head_top", "spine_to_head"]
    assert [dwm.names[j] for j, f in enumerate(dwm.free) if f] == ["marker_21", "marker_22"]


# ------------------------------------------------------------------------------------------
# real data


def test_aistpp_smpl_joints_round_trip_exactly(aistpp_root, tmp_path):
    from dancegen.datasets.aistpp import read_motion_pickle
    from dancegen.motion.kinematics import smpl_joints

    data = read_motion_pickle(aistpp_root / "annotations" / "motions" / "gBR_sBM_cAll_d04_mBR2_ch08.pkl")
    joints = smpl_joints(data["smpl_poses"], data["smpl_trans"], data["smpl_scaling"])
    err = round_trip_error_cm(Motion(joints, 60.0, "smpl24"), tmp_path)
    print(f"\nAIST++ SMPL joints ({len(joints)} frames): round trip mean {err.mean():.5f} cm, max {err.max():.5f} cm")
    assert err.max() < 0.01


def test_dance_with_melody_round_trip(dwm_root, tmp_path):
    """A real dance: its bones change length by a few cm from frame to frame (tracking), the BVH's
    cannot, so joints are off by the length differences accumulated down their chain (and, below
    the shoulders, hips and feet that turn as one body, by how far that body's shape deforms)."""
    from dancegen.datasets.dance_with_melody import load_sequence

    motion = load_sequence(dwm_root / "DANCE_C_7").motion
    path = tmp_path / "dance.bvh"
    write_bvh(motion, path)
    back = bvhio_positions(path, motion.spec.joint_names, motion.num_frames) / 100.0  # metres
    joints = motion.joints.astype(np.float64)
    err = np.linalg.norm(back - joints, axis=-1) * 100.0
    body, markers = err[:, :21], err[:, 21:]
    print(
        f"\nDANCE_C_7 ({motion.num_frames} frames): body joints mean {body.mean():.2f} cm, "
        f"p99 {np.percentile(body, 99):.2f} cm, max {body.max():.2f} cm; markers max {markers.max():.4f} cm"
    )
    assert markers.max() < 0.01  # free points: position channels, exact
    assert err[:, 2].max() < 0.01  # the root
    # measured 3.01 / 10.70 / 20.31 cm; over all 35 dances per-dance means 1.2-3.4, p99 6.3-12.1
    assert body.mean() < 3.5 and np.percentile(body, 99) < 13.0 and body.max() < 25.0
    # every bone aimed on its own points exactly where the dance's bone points
    spec = motion.spec
    rigid = {"right_hip", "left_hip", "right_shoulder", "left_shoulder", "right_heel", "right_toe", "left_heel", "left_toe"}
    for child, parent in enumerate(spec.parents):
        if parent < 0 or spec.joint_names[child] in rigid or child >= 21:
            continue
        a, b = back[:, child] - back[:, parent], joints[:, child] - joints[:, parent]
        cos = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.05, spec.joint_names[child]
    # so a joint's error changes along a bone by at most that bone's length difference
    thigh = np.linalg.norm(joints[:, 8] - joints[:, 7], axis=-1) * 100  # right hip -> right knee
    assert np.all(np.abs(err[:, 8] - err[:, 7]) <= np.abs(thigh - np.median(thigh)) + 0.01)
