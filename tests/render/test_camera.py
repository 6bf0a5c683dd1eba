"""Framing cameras: the dancer stays in frame, the follow camera is smooth and does not zoom."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dancegen.motion.skeleton import COMMON_JOINTS, SMPL24, SMPL24_OFFSETS
from dancegen.render.camera import ORBIT_PERIOD_S, Camera, CameraPath, framing_camera

FPS = 30.0


def rest_common() -> np.ndarray:
    """A standing T-pose (18, 3) m on the common body set, feet on y = 0, facing +z."""
    j = np.zeros((24, 3))
    for i, p in enumerate(SMPL24.parents):
        if p >= 0:
            j[i] = j[p] + SMPL24_OFFSETS[i]
    c = SMPL24.to_common(j.astype(np.float32)).astype(np.float64)
    c[:, 1] -= c[:, 1].min() - 0.03
    return c


def walk_and_jump(seconds: float = 2.5, walk: float = 3.0, jump: float = 0.5) -> np.ndarray:
    """(T, 18, 3): walks ``walk`` m along +x while jumping up to ``jump`` m mid-way."""
    T = int(seconds * FPS)
    t = np.arange(T) / FPS
    j = np.repeat(rest_common()[None], T, 0)
    j[..., 0] += (walk * t / seconds)[:, None]
    j[..., 1] += (jump * np.sin(np.pi * t / seconds) ** 8)[:, None]
    return j


def assert_in_frame(cam: CameraPath, joints: np.ndarray) -> None:
    uv, depth = cam.project(joints)
    assert np.isfinite(uv).all()
    assert (depth > 0).all()
    assert (uv >= 0).all() and (uv <= cam.size).all(), (uv.min(), uv.max())


@pytest.mark.parametrize("mode", ["follow", "orbit", "fixed"])
def test_walk_and_jump_stays_in_frame(mode: str) -> None:
    joints = walk_and_jump()
    cam = framing_camera(joints, 128, mode, fps=FPS)
    assert len(cam) == joints.shape[0]
    assert cam.positions.shape == (joints.shape[0], 3)
    assert_in_frame(cam, joints)


def test_point_straight_ahead_projects_to_centre() -> None:
    cam = framing_camera(walk_and_jump(), 256, "follow", fps=FPS)
    forward = cam.rotation[2]
    for t in (0, 10, len(cam) - 1):
        c = cam[t]
        uv, depth = c.project(c.position + 4.0 * forward)
        np.testing.assert_allclose(uv, [128.0, 128.0], atol=1e-6)
        assert depth == pytest.approx(4.0)
        # The look-at target is straight ahead too.
        uv, _ = c.project(cam.targets[t])
        np.testing.assert_allclose(uv, [128.0, 128.0], atol=1e-6)


def test_camera_faces_the_front_and_looks_down() -> None:
    cam = framing_camera(walk_and_jump(walk=0.0, jump=0.0), 256, "follow", fps=FPS)
    assert (cam.positions[:, 2] > cam.targets[:, 2]).all()  # on the +z side, facing the dancer's front
    assert 10.0 <= cam.pitch_deg <= 15.0
    # The dancer's left (+x) appears on the right of the image.
    c = cam[0]
    (ul, _), _ = c.project(cam.targets[0] + [0.3, 0, 0])
    assert ul > 128


def test_follow_keeps_a_fixed_distance_and_a_smooth_path() -> None:
    rng = np.random.default_rng(0)
    joints = walk_and_jump(seconds=3.0, walk=3.0)
    joints[..., [0, 2]] += rng.normal(0, 0.05, (joints.shape[0], 1, 2))  # per-frame jitter of the body
    cam = framing_camera(joints, 128, "follow", fps=FPS)
    dist = np.linalg.norm(cam.positions - cam.targets, axis=1)
    np.testing.assert_allclose(dist, dist[0], rtol=1e-9)  # no zoom pumping
    assert np.ptp(cam.targets[:, 1]) == 0.0  # no vertical bobbing (jumps happen inside the frame)
    jitter_in = np.abs(np.diff(joints[:, 0, 0], 2)).mean()
    jitter_cam = np.abs(np.diff(cam.positions[:, 0], 2)).mean()
    assert jitter_cam < jitter_in / 50
    # ...and it does follow: it travels most of the way with the dancer.
    assert np.ptp(cam.positions[:, 0]) > 1.5
    assert_in_frame(cam, joints)


def test_fixed_camera_does_not_move() -> None:
    joints = walk_and_jump()
    cam = framing_camera(joints, 128, "fixed", fps=FPS)
    assert np.ptp(cam.positions, axis=0).max() == 0.0


def test_standing_body_fills_about_three_quarters_of_the_height() -> None:
    joints = walk_and_jump(walk=0.0, jump=0.0)
    cam = framing_camera(joints, 256, "follow", fps=FPS)
    uv, _ = cam.project(joints)
    height = (uv[..., 1].max(axis=1) - uv[..., 1].min(axis=1)) / 256
    # Floor to head centre; the head circle and the feet below the ankles add a little more.
    assert 0.62 <= height.mean() <= 0.8


def test_floor_grid_projects_below_the_horizon() -> None:
    joints = walk_and_jump()
    cam = framing_camera(joints, 128, "follow", fps=FPS)
    segs, depths, valid = cam.floor_grid(spacing=0.5, radius=4.0)
    T = len(cam)
    assert segs.shape[0] == T and segs.shape[2:] == (2, 2)
    assert depths.shape == segs.shape[:3] and valid.shape == segs.shape[:2]
    assert valid.sum(axis=1).min() > 10
    s = segs[valid]
    assert np.isfinite(s).all()
    assert (depths[valid] > 0).all()
    # The camera looks down from above the floor: the floor lies in the lower part of the image.
    assert (s[..., 1] > 128 * 0.3).all()
    # A floor point the camera sees maps back onto itself.
    c = cam[5]
    p = np.array([cam.targets[5, 0] + 0.4, cam.floor_y, cam.targets[5, 2] - 0.7])
    uv, _ = c.project(p)
    np.testing.assert_allclose(c.unproject_to_floor(uv, cam.floor_y), p, atol=1e-9)
    assert np.isnan(c.unproject_to_floor(np.array([64.0, -500.0]), cam.floor_y)).all()  # above the horizon


def test_floor_estimate_is_under_the_feet() -> None:
    joints = walk_and_jump() + [0, 0.4, 0]
    cam = framing_camera(joints, 128, "follow", fps=FPS)
    assert 0.35 <= cam.floor_y <= 0.43


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="camera mode"):
        framing_camera(walk_and_jump(), 128, "spiral")
    with pytest.raises(ValueError):
        framing_camera(np.zeros((5, 18)), 128)


def test_empty_and_degenerate_motions() -> None:
    cam = framing_camera(np.zeros((0, 18, 3)), 64)
    assert len(cam) == 0
    # All joints in one point, and a frame of NaNs: still a usable camera.
    j = np.zeros((10, 18, 3))
    j[3] = np.nan
    cam = framing_camera(j, 64, "follow")
    assert np.isfinite(cam.positions).all()
    uv, _ = cam.project(np.zeros((10, 1, 3)))
    assert np.isfinite(uv).all()


def test_projection_is_vectorised_and_matches_single_cameras() -> None:
    joints = walk_and_jump()
    cam = framing_camera(joints, 128, "follow", fps=FPS)
    uv, depth = cam.project(joints)
    for t in (0, 33, len(cam) - 1):
        uv_t, depth_t = cam[t].project(joints[t])
        np.testing.assert_allclose(uv[t], uv_t)
        np.testing.assert_allclose(depth[t], depth_t)
    assert isinstance(cam[0], Camera)
    with pytest.raises(ValueError):
        cam.project(joints[:-1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mode=st.sampled_from(["follow", "orbit", "fixed"]),
    offset=st.tuples(
        st.floats(-50, 50), st.floats(-2, 2), st.floats(-50, 50)
    ),
    scale=st.floats(0.3, 3.0),
    walk=st.tuples(st.floats(-4, 4), st.floats(-4, 4)),
    jump=st.floats(0.0, 1.0),
    turn=st.floats(0, 2 * np.pi),
    size=st.sampled_from([32, 100, 512]),
)
def test_property_body_stays_in_frame(mode, offset, scale, walk, jump, turn, size) -> None:
    T = 40
    t = np.arange(T) / FPS
    body = rest_common() * scale
    c, s = np.cos(turn), np.sin(turn)
    body = body @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]]).T  # facing another way
    j = np.repeat(body[None], T, 0)
    j[..., 0] += (walk[0] * t / t[-1])[:, None]
    j[..., 2] += (walk[1] * t / t[-1])[:, None]
    j[..., 1] += (jump * np.sin(np.pi * t / t[-1]) ** 4)[:, None]
    j += np.asarray(offset)
    cam = framing_camera(j, size, mode, fps=FPS)
    assert_in_frame(cam, j)
    # And the margins hold: nothing within 5% of the border.
    uv, _ = cam.project(j)
    assert (uv >= 0.05 * size - 1e-6).all() and (uv <= 0.95 * size + 1e-6).all()


def test_common_joint_order_assumption() -> None:
    assert COMMON_JOINTS[0] == "pelvis"


def test_orbit_circles_the_dancer_slowly_without_zooming() -> None:
    joints = walk_and_jump(seconds=6.0, walk=1.0, jump=0.2)
    cam = framing_camera(joints, 128, "orbit", fps=FPS)
    assert cam.rotations is not None and cam.rotations.shape == (len(cam), 3, 3)
    offset = cam.positions - cam.targets
    dist = np.linalg.norm(offset, axis=1)
    np.testing.assert_allclose(dist, dist[0], rtol=1e-9)  # no zoom
    assert offset[0, 2] > 0 and abs(offset[0, 0]) < 1e-9  # starts in front of the dancer
    yaw = np.unwrap(np.arctan2(offset[:, 0], offset[:, 2]))
    rate = np.rad2deg(np.diff(yaw)) * FPS
    np.testing.assert_allclose(rate, 360.0 / ORBIT_PERIOD_S, rtol=1e-6)  # 15 degrees per second, steady
    assert 10.0 <= cam.pitch_deg <= 15.0
    # Every frame's camera looks at its target, and the rotations are proper rotations.
    for t in (0, 50, len(cam) - 1):
        uv, _ = cam[t].project(cam.targets[t])
        np.testing.assert_allclose(uv, [64.0, 64.0], atol=1e-6)
        np.testing.assert_allclose(cam.rotations[t] @ cam.rotations[t].T, np.eye(3), atol=1e-12)
    # Scaled (supersampled) cameras keep the rotations; the floor grid works for a turning camera.
    big = cam.scaled(2)
    np.testing.assert_allclose(big.project(joints)[0], 2 * cam.project(joints)[0])
    segs, depths, valid = cam.floor_grid(0.5, 4.0)
    assert valid.sum(axis=1).min() > 10 and (depths[valid] > 0).all()
    assert (segs[valid][..., 1] > 128 * 0.3).all() and (segs[valid][..., 1] <= 128 * 1.15 + 1e-6).all()
    with pytest.raises(ValueError, match="orbit_period_s"):
        framing_camera(joints, 128, "orbit", orbit_period_s=0.0)
