"""Cleaning rules on synthetic tracks (no MediaPipe needed): translation, axes, gaps, cuts, smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from video_helpers import synthetic_track

from dancegen.motion.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS, get_skeleton
from dancegen.videos.clean import (
    INTERPOLATED, KEPT, LOW_CONFIDENCE, NO_PERSON, SHORT_PIECE, STATUS, CleanSettings, clean_track,
    level_rotation, root_translation, smooth, translation_xy,
)  # fmt: skip
from dancegen.videos.skeleton import MEDIAPIPE33

FPS = 30.0


def _pelvis(j: np.ndarray) -> np.ndarray:
    return j[:, [23, 24]].mean(1)


def test_mediapipe_skeleton_is_registered_and_mirrors():
    spec = get_skeleton("mediapipe")
    assert spec is MEDIAPIPE33 and spec.num_joints == 33 and set(spec.common) == set(COMMON_JOINTS)
    perm = spec.mirror_permutation
    assert perm[spec.index("left_mouth")] == spec.index("right_mouth")
    assert perm[spec.index("left_foot_index")] == spec.index("right_foot_index")
    assert spec.feet == (27, 31, 28, 32)
    Motion(np.zeros((3, 33, 3)), 30, "mediapipe")  # a Motion can be built on it


def test_translation_is_recovered_exactly():
    times = np.arange(30) / FPS
    track, _ = synthetic_track(times)
    t = root_translation(track.image, track.world, track.visibility, track.width, track.height, 60.0)
    # hip centre in camera axes: x = body x - 1, y = 1 - 0.95 + bob, z = 4 m
    assert np.abs(t[:, 2] - 4.0).max() < 1e-3
    np.testing.assert_allclose(t[:, 0], 0.5 * times - 1.0, atol=1e-3)
    xy = translation_xy(track.image.astype(float), track.world.astype(float), track.visibility, t[:, 2],
                        track.width, track.height, 60.0)  # fmt: skip
    np.testing.assert_allclose(xy, t, atol=1e-6)


def test_clean_track_gives_a_level_floored_unlagged_motion():
    times = np.arange(int(10 * FPS)) / FPS
    track, truth = synthetic_track(times)
    res = clean_track(track, CleanSettings())
    assert len(res.pieces) == 1
    motion = res.pieces[0].motion
    assert motion.fps == 30 and motion.skeleton == "mediapipe" and motion.num_frames == 300
    j = motion.joints
    rep = res.report
    assert rep["kept"] == 300 and rep["interpolated"] == 0 and sum(rep["dropped"].values()) == 0
    assert abs(rep["tilt_deg"]) < 1.0
    # y-up, feet on the floor
    assert (j[:, 0, 1] > _pelvis(j)[:, 1]).all() and (_pelvis(j)[:, 1] > j[:, 27, 1]).all()
    assert abs(np.percentile(j[..., 1].min(1), 5)) < 0.01
    # the sideways walk (0.5 m/s) and the 2 Hz bob (5 cm) survive, in phase (no lag)
    slope = np.polyfit(times, _pelvis(j)[:, 0], 1)[0]
    assert slope == pytest.approx(0.5, rel=0.02)
    bob, true_bob = _pelvis(j)[:, 1], _pelvis(truth)[:, 1]
    bob, true_bob = bob - bob.mean(), true_bob - true_bob.mean()
    assert np.ptp(bob[30:-30]) == pytest.approx(0.05, rel=0.15)
    lags = range(-5, 6)
    corr = [np.dot(np.roll(bob, k)[10:-10], true_bob[10:-10]) for k in lags]
    assert list(lags)[int(np.argmax(corr))] == 0
    # the 3-D pose itself: shoulder width 0.38 m
    width = np.linalg.norm(j[:, 11] - j[:, 12], axis=1)
    np.testing.assert_allclose(width, 0.38, atol=0.01)


def test_short_gaps_are_interpolated_long_gaps_cut_short_pieces_dropped():
    times = np.arange(int(20 * FPS)) / FPS
    lost = np.zeros(times.shape[0], bool)
    lost[100:103] = True  # 0.1 s: interpolated
    lost[300:330] = True  # 1 s: cut
    lost[450:452] = True  # 0.07 s
    track, _ = synthetic_track(times)
    track.status[lost] = NO_PERSON
    track.visibility[lost] = 0
    track.visibility[500:510] = 0.2  # low confidence, 0.33 s: cut
    res = clean_track(track, CleanSettings(min_piece_s=5.0))
    rep = res.report
    assert rep["cuts"] == {"long_gap": 2, "jump": 0}
    # pieces: 0-299 (10 s), 330-499 (5.7 s), 510-599 (3 s: too short)
    assert [(p.first_frame, p.last_frame) for p in res.pieces] == [(0, 299), (330, 499)]
    assert rep["discarded_pieces"] == 1 and rep["longest_discarded_s"] == pytest.approx(3.0, abs=0.05)
    assert (res.status[100:103] == INTERPOLATED).all() and (res.status[450:452] == INTERPOLATED).all()
    assert (res.status[300:330] == NO_PERSON).all() and (res.status[500:510] == LOW_CONFIDENCE).all()
    assert (res.status[510:] == SHORT_PIECE).all()
    assert rep["kept"] + rep["interpolated"] + sum(rep["dropped"].values()) == 600
    assert rep["interpolated"] == 5 and rep["dropped"]["short_piece"] == 90
    assert rep["final_duration_s"] == pytest.approx(10.0 + 170 / 30, abs=0.05)
    # 2-D landmarks of interpolated frames lie between their neighbours; dropped frames have none
    assert np.isfinite(res.image_filled[101]).all() and np.isnan(res.image_filled[310]).all()
    mid = (res.image_filled[99] + res.image_filled[103]) / 2
    np.testing.assert_allclose(res.image_filled[101], mid, atol=1e-3)
    assert set(STATUS[c] for c in np.unique(res.status)) <= set(STATUS)


def test_a_jump_to_someone_else_cuts():
    times = np.arange(int(12 * FPS)) / FPS
    track, _ = synthetic_track(times)
    track.image[180:, :, 0] += 0.3  # the track continues on a person 190 px to the right
    res = clean_track(track, CleanSettings())
    assert res.report["cuts"]["jump"] == 1
    assert [(p.first_frame, p.last_frame) for p in res.pieces] == [(0, 179), (180, 359)]


def test_variable_frame_rate_uses_timestamps():
    d = np.where(np.arange(400) % 2 == 0, 1 / 15, 1 / 60)  # irregular intervals, 24 fps on average
    times = np.concatenate([[0.0], np.cumsum(d)])[:400]
    track, _ = synthetic_track(times)
    res = clean_track(track, CleanSettings())
    motion = res.pieces[0].motion
    assert motion.fps == 30 and motion.num_frames == int(np.floor(times[-1] * 30)) + 1
    out_t = np.arange(motion.num_frames) / 30
    slope = np.polyfit(out_t, _pelvis(motion.joints)[:, 0], 1)[0]
    assert slope == pytest.approx(0.5, rel=0.02)  # per second of video, not per frame


def test_camera_tilt_is_levelled():
    times = np.arange(int(6 * FPS)) / FPS
    track, _ = synthetic_track(times)
    a = np.radians(15.0)  # camera pitched down by 15 degrees: rotate camera-frame points about x
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    track.world[:] = track.world @ rot.T
    rot_j, angle = level_rotation(track.world.astype(float) * np.array([1, -1, -1]))
    assert angle == pytest.approx(15.0, abs=0.5)
    res = clean_track(track, CleanSettings())
    j = res.pieces[0].motion.joints
    axis = j[:, [11, 12]].mean(1) - j[:, [27, 28]].mean(1)
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    assert np.degrees(np.arccos(axis[:, 1])).max() < 1.0


def test_smoothing_has_no_lag_and_reduces_jitter():
    t = np.arange(300) / FPS
    clean = 0.1 * np.sin(2 * np.pi * 1.5 * t)
    noisy = clean + np.random.default_rng(0).normal(0, 0.01, t.shape)
    out = smooth(noisy[:, None], FPS, 0.3)[:, 0]
    assert np.std(out - clean) < 0.6 * np.std(noisy - clean)
    corr = [np.dot(np.roll(out, k)[20:-20], clean[20:-20]) for k in range(-4, 5)]
    assert int(np.argmax(corr)) == 4  # lag 0
    cubic = (t - 5) ** 3 - 2 * (t - 5)
    np.testing.assert_allclose(smooth(cubic[:, None], FPS, 0.3)[:, 0], cubic, atol=1e-9)
    assert smooth(np.ones((3, 2)), FPS, 0.3).shape == (3, 2)  # too short: unchanged


def test_no_usable_frame_gives_no_piece():
    times = np.arange(60) / FPS
    track, _ = synthetic_track(times)
    track.visibility[:] = 0.1
    res = clean_track(track, CleanSettings(min_piece_s=1.0))
    assert res.pieces == [] and res.report["dropped"]["low_confidence"] == 60
    assert res.report["final_duration_s"] == 0 and (res.status != KEPT).all()


def test_cleaned_motion_renders_and_maps_for_the_metrics():
    from dancegen.metrics.skeletons import smpl_view
    from dancegen.render.styles import STYLES, style_frames

    times = np.arange(int(6 * FPS)) / FPS
    track, _ = synthetic_track(times)
    motion = clean_track(track, CleanSettings()).pieces[0].motion
    for style in STYLES:
        frame = next(iter(style_frames(motion, style, size=64)))
        assert frame.shape == (64, 64, 3) and frame.std() > 0
    view = smpl_view(motion.joints, "mediapipe")
    assert view.shape == (motion.num_frames, 24, 3) and np.isfinite(view[:, 0]).all()
