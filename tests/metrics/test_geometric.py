"""Geometric features: each kind of rule on hand-built poses, the reference quirks, and agreement
with a frame-by-frame transcription of METRICS.md."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import idx, rest_pose, still
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.metrics.geometric import HL, HW, RULES, SW, evaluable_rules, geometric_features

RULE = {r.text.split("(")[0] + str(i + 1): i for i, r in enumerate(RULES)}


def rule(number: int, joints: np.ndarray, **kw) -> float:
    """Feature value of rule ``number`` (1-based, as in METRICS.md)."""
    return float(geometric_features(joints, [number - 1], **kw)[0])


def test_body_constants_match_metrics_md():
    assert (round(HL, 4), round(SW, 4), round(HW, 4)) == (0.2568, 0.3908, 0.1192)


def test_hand_above_head():
    pose = rest_pose()
    assert rule(3, still(pose)) == 0.0  # T-pose: right wrist at shoulder height, below the neck
    pose[idx("rwrist")] = pose[idx("head")] + [0.0, 0.25, 0.0]
    assert rule(3, still(pose)) == 1.0
    assert rule(4, still(pose)) == 0.0  # the left hand is still down


def test_elbow_bent():
    pose = rest_pose()
    assert rule(7, still(pose)) == 0.0  # straight arm: 180 degrees
    e = pose[idx("relbow")]
    pose[idx("rwrist")] = e + [0.0, 0.0, 0.25]  # forearm pointing forward: 90 degrees
    assert rule(7, still(pose)) == 1.0


def test_hands_far_apart_sideways():
    pose = rest_pose()
    assert rule(9, still(pose)) == 0.0 or rule(9, still(pose)) == 1.0
    span = (pose[idx("rwrist")] - pose[idx("lwrist")]) @ np.array([-1.0, 0, 0])
    assert rule(9, still(pose)) == float(span > 2.5 * SW)
    pose[idx("rwrist")] = pose[idx("lwrist")] + [-0.1, 0, 0]  # hands together
    assert rule(9, still(pose)) == 0.0


def test_foot_raised_and_wrist_near_floor():
    pose = rest_pose()
    assert rule(17, still(pose)) == 0.0
    lifted = pose.copy()
    lifted[[idx("rankle"), idx("rtoes")]] += [0.0, 0.5, 0.0]
    assert rule(17, still(lifted)) == 1.0
    assert rule(18, still(lifted)) == 0.0
    assert rule(30, still(pose)) == 0.0
    low = pose.copy()
    low[idx("rwrist")] = [0.0, pose[:, 1].min() + 0.1, 0.3]
    assert rule(30, still(low)) == 1.0


def test_torso_horizontal():
    pose = rest_pose()
    assert rule(29, still(pose)) == 0.0
    rot = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # 90 degrees about x: lying down
    assert rule(29, still(pose @ rot.T)) == 1.0


def test_fast_uses_the_reference_time_per_frame():
    # the right wrist moves 8 mm per frame at 60 fps = 0.48 m/s, under the 2.5 hl = 0.64 m/s threshold;
    # the reference divides by 1/120 s, doubling the speed to 0.96 m/s
    frames = still(rest_pose(), 20)
    frames[:, idx("rwrist"), 2] += 0.008 * np.arange(20)
    assert rule(13, frames) == 1.0
    assert rule(13, frames, tpf=1 / 60) == 0.0
    assert rule(14, frames) == 0.0


def test_move_quirk_makes_rules_5_and_6_identical():
    rng = np.random.default_rng(0)
    frames = still(rest_pose(), 40) + np.cumsum(rng.normal(scale=0.002, size=(40, 24, 3)), axis=0)
    frames[:, idx("rwrist"), 1] += 0.02 * np.arange(40)  # right hand rising at 1.2 m/s
    quirk = geometric_features(frames, [4, 5])
    fixed = geometric_features(frames, [4, 5], tpf=1 / 60, move_quirk=False)
    assert quirk[0] == quirk[1]
    assert fixed[0] > 0.9 and fixed[0] != fixed[1]


def test_still_body_has_no_velocity_rules():
    f = geometric_features(still(rest_pose(), 5))
    for r in (1, 2, 5, 6, 10, 11, 12, 13, 14, 22, 23, 32):
        assert f[r - 1] == 0.0


def test_evaluable_rules_by_skeleton():
    from dancegen.metrics.skeletons import get_metric_skeleton

    def left_out(s):
        return sorted(set(range(1, 33)) - {i + 1 for i in evaluable_rules(get_metric_skeleton(s).available)})

    assert left_out("smpl24") == []
    assert left_out("dwm23") == [3, 4, 5, 6]
    assert left_out("mediapipe") == [3, 4, 5, 6]
    assert left_out("coco17") == [3, 4, 5, 6, 15, 16]


# ---------------------------------------------------------------------------------------------
# a transcription of METRICS.md with a Python loop over frames, for the property test

SPECIAL = {"zero": (0, 0, 0), "y_unit": (0, 1, 0), "minus_y_unit": (0, -1, 0)}


def _loop_reference(p: np.ndarray, tpf: float, move_quirk: bool) -> np.ndarray:
    from dancegen.metrics.skeletons import SMPL_NAMES

    feats = []
    for t in range(1, len(p)):
        def at(n, frame=t):
            if n == "y_min":
                return np.array([0.0, p[frame, :, 1].min(), 0.0])
            if n in SPECIAL:
                return np.array(SPECIAL[n], float)
            return p[frame, SMPL_NAMES.index(n)]

        row = []
        for r in RULES:
            a = [at(n) for n in r.points]
            with np.errstate(all="ignore"):
                if r.kind == "plane":
                    n = np.cross(a[2] - a[0], a[1] - a[0])
                    row.append(np.dot(n, a[3] - a[0]) / np.linalg.norm(n) > r.threshold)
                elif r.kind == "nplane":
                    n = a[1] - a[0]
                    row.append(np.dot(n, a[3] - a[2]) / np.linalg.norm(n) > r.threshold)
                elif r.kind == "angle":
                    u, v = a[1] - a[0], a[3] - a[2]
                    ang = np.degrees(np.arccos(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))))
                    row.append(r.threshold[0] < ang < r.threshold[1])
                elif r.kind == "fast":
                    row.append(np.linalg.norm(at(r.points[0]) - at(r.points[0], t - 1)) / tpf > r.threshold)
                elif r.kind == "nmove":
                    j1, j2, j3, q = r.points
                    u = (at(q) - at(j1)) - (at(q, t - 1) - at(j1, t - 1))
                    n = np.cross(at(j3) - at(j1), at(j2) - at(j1))
                    row.append(np.dot(u, n) / np.linalg.norm(n) / tpf > r.threshold)
                else:
                    j1, j2, j3, j4 = r.points
                    q, ref = (j3, j1) if move_quirk else (j4, j3)
                    u = (at(q) - at(ref)) - (at(q, t - 1) - at(ref, t - 1))
                    d = at(j2) - at(j1)
                    row.append(np.dot(u, d) / np.linalg.norm(d) / tpf > r.threshold)
        feats.append(row)
    return np.mean(np.array(feats, dtype=np.float32), axis=0)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 8), st.booleans())
def test_vectorised_equals_frame_loop(seed, frames, quirk):
    rng = np.random.default_rng(seed)
    p = still(rest_pose(), frames) + rng.normal(scale=0.15, size=(frames, 24, 3))
    tpf = 1 / 120 if quirk else 1 / 60
    got = geometric_features(p, tpf=tpf, move_quirk=quirk)
    np.testing.assert_allclose(got, _loop_reference(p, tpf, quirk), atol=1e-6)


def test_shape_checks():
    with pytest.raises(ValueError):
        geometric_features(np.zeros((5, 23, 3)))
    with pytest.raises(ValueError):
        geometric_features(np.zeros((1, 24, 3)))


def _moved(name: str, delta) -> np.ndarray:
    pose = rest_pose()
    pose[idx(name)] += delta
    return still(pose)


def _moving(name: str, per_frame) -> np.ndarray:
    frames = still(rest_pose(), 12)
    frames[:, idx(name)] += np.arange(12)[:, None] * np.asarray(per_frame)
    return frames


@pytest.mark.parametrize(
    "number, changed, meaning",
    [
        (15, _moved("rankle", [0.0, 0.0, 0.4]), "right foot in front of the body plane"),
        (19, _moved("rankle", [-0.3, 0.0, 0.0]), "feet wide apart"),
        (26, _moved("rknee", [0.0, 0.3, 0.3]), "right thigh raised forward"),
        (28, _moved("root", [0.0, 0.0, 0.3]), "hips pushed forward of the ankles-neck plane"),
        (1, _moving("rwrist", [0.0, 0.0, -0.01]), "right hand moving backward, 1.2 m/s at tpf 1/120"),
        (32, _moving("root", [0.01, 0.0, 0.0]), "root moving fast"),
    ],
)
def test_rule_fires_only_when_the_pose_says_so(number, changed, meaning):
    assert rule(number, still(rest_pose())) == 0.0, meaning
    assert rule(number, changed) == 1.0, meaning


def test_arm_raised_sideways():
    pose = rest_pose()
    assert rule(24, still(pose)) == 1.0  # T-pose: upper arm at 90 degrees to the torso axis
    pose[idx("relbow")] = pose[idx("rshoulder")] + [0.0, -0.25, 0.0]  # arm hanging down
    assert rule(24, still(pose)) == 0.0
