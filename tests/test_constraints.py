"""Edits by inpainting on real data: each constraint holds, the rest is new, no seams; bad files."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.checkpoint import load_checkpoint
from dancegen.constraints import (
    ConstraintError,
    body_part_joints,
    constraint_error,
    continuation,
    inbetween,
    keep_part,
    keyframes,
    root_path,
)
from dancegen.generate import GenerationSettings, generate_features
from dancegen.motion import Motion
from dancegen.motion.representation import FeatureLayout, decode
from dancegen.motion.skeleton import get_skeleton
from dancegen.train import prepare_data

SPEC = get_skeleton("dwm23")
LAY = FeatureLayout(SPEC.num_joints)
FPS = 30


@pytest.fixture(scope="module")
def real(dwm_root):
    """8 s of a held-out cha-cha: its music features and its real motion (starting at 10 s)."""
    data = prepare_data("dance_with_melody", dwm_root, "test", progress=False, names=["DANCE_C_7"])
    a, b = 300, 540
    return data.music[0][a:b], Motion(data.joints[0][a:b], FPS, "dwm23")


@pytest.fixture(scope="module")
def ckpt():
    return load_checkpoint("default")


def _generate(ckpt, music, c, seed=0):
    return generate_features(ckpt, music, GenerationSettings(seed=seed), constraint=c)


def _speed(feats):
    joints = decode(feats, SPEC.num_joints, FPS)
    return np.linalg.norm(np.diff(joints, axis=0), axis=-1).mean(-1) * FPS


def test_continuation_keeps_the_start_and_continues_without_a_seam(ckpt, real):
    music, motion = real
    head = Motion(motion.joints[:90], FPS, "dwm23")
    c = continuation(head, len(music), SPEC, FPS)
    feats = _generate(ckpt, music, c)
    assert constraint_error(feats, c) < 1e-4
    joints = decode(feats, SPEC.num_joints, FPS)
    np.testing.assert_allclose(joints[:90] - joints[0, :1], head.joints - head.joints[0, :1], atol=2e-3)
    assert np.abs(feats[90:, LAY.local] - np.concatenate([c.known[:90, LAY.local]] * 2)[: len(feats) - 90]).mean() > 0.01
    speed = _speed(feats)
    assert speed[89] <= np.percentile(speed, 99)  # the join is no faster than the generated dance's own moves


def test_keyframes_are_hit(ckpt, real):
    music, motion = real
    times = np.array([1.0, 4.0, 7.0])
    poses = Motion(motion.joints[(times * FPS).astype(int)], FPS, "dwm23")
    c = keyframes(poses, times, len(music), SPEC, FPS)
    feats = _generate(ckpt, music, c)
    local = feats[:, LAY.local].reshape(-1, SPEC.num_joints, 3)
    for t, pose in zip((times * FPS).astype(int), poses.joints):
        target = pose - SPEC.root_position(pose)
        assert np.abs(local[t] - target).max() < 1e-4
    assert len(c.constrained_frames) == 3


def test_inbetween_fills_the_gap_between_two_motions(ckpt, real):
    music, motion = real
    a, b = Motion(motion.joints[:45], FPS, "dwm23"), Motion(motion.joints[-45:], FPS, "dwm23")
    c = inbetween(a, b, len(music), SPEC, FPS)
    feats = _generate(ckpt, music, c)
    assert constraint_error(feats, c) < 1e-4
    speed = _speed(feats)
    assert max(speed[44], speed[len(speed) - 45]) <= np.percentile(speed, 99)


def test_keep_lower_body_generates_a_new_upper_body(ckpt, real):
    music, motion = real
    c = keep_part(motion, "lower", len(music), SPEC, FPS)
    feats = _generate(ckpt, music, c)
    assert constraint_error(feats, c) < 1e-4
    upper = body_part_joints(SPEC, "upper")
    src = c.known[:, LAY.local].reshape(-1, SPEC.num_joints, 3)
    gen = feats[:, LAY.local].reshape(-1, SPEC.num_joints, 3)
    assert np.abs(gen[:, upper] - src[:, upper]).mean() > 0.02  # upper body is the model's own
    assert set(body_part_joints(SPEC, "lower")).isdisjoint(upper)


def test_root_path_is_followed(ckpt, real):
    music, _ = real
    t = np.arange(len(music)) / FPS
    path = np.stack([0.5 * np.sin(t), 0.3 * t], axis=1)  # a slow forward walk swaying sideways
    c = root_path(path, len(music), SPEC, FPS)
    feats = _generate(ckpt, music, c)
    root = SPEC.root_position(decode(feats, SPEC.num_joints, FPS))[:, [0, 2]]
    np.testing.assert_allclose(root - root[0], path - path[0], atol=0.02)


def test_bad_constraints_are_refused():
    rng = np.random.default_rng(0)
    smpl = Motion(rng.normal(size=(40, 24, 3)), FPS, "smpl24")
    with pytest.raises(ConstraintError, match="skeleton smpl24"):
        continuation(smpl, 100, SPEC, FPS)
    dwm = Motion(rng.normal(size=(40, 23, 3)), FPS, "dwm23")
    with pytest.raises(ConstraintError, match="not shorter than the song"):
        continuation(dwm, 30, SPEC, FPS)
    with pytest.raises(ConstraintError, match="2 poses but 3 times"):
        keyframes(Motion(dwm.joints[:2], FPS, "dwm23"), np.array([0.1, 0.2, 0.3]), 100, SPEC, FPS)
    with pytest.raises(ConstraintError, match="outside the song"):
        keyframes(Motion(dwm.joints[:1], FPS, "dwm23"), np.array([9.0]), 100, SPEC, FPS)
    nan = dwm.joints.copy()
    nan[3, 2] = np.nan
    with pytest.raises(ConstraintError, match="NaN"):
        keep_part(Motion(nan, FPS, "dwm23"), "lower", 30, SPEC, FPS)
    with pytest.raises(ConstraintError, match="'lower' or 'upper'"):
        keep_part(dwm, "middle", 30, SPEC, FPS)
    with pytest.raises(ConstraintError, match="shorter than the song"):
        keep_part(dwm, "upper", 100, SPEC, FPS)
    with pytest.raises(ConstraintError, match="expected"):
        root_path(np.zeros((10, 3)), 100, SPEC, FPS)
