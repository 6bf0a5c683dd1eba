"""OpenPose control maps in ControlNet's exact convention, the skeleton-independent mapping, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from poses import REST, smpl_rest

from dancegen.errors import OutputError
from dancegen.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS, get_skeleton
from dancegen.render.openpose import (
    OPENPOSE_COLOURS,
    OPENPOSE_KEYPOINTS,
    OPENPOSE_LIMB_COLOURS,
    OPENPOSE_LIMBS,
    OpenPoseRenderer,
    check_output_folder,
    openpose_points_3d,
    openpose_sizes,
    write_openpose_json,
)

FPS = 30.0
K = {name: i for i, name in enumerate(OPENPOSE_KEYPOINTS)}

# ControlNet's annotator (draw_bodypose): 1-based limbSeq and its colour list, copied verbatim.
ANNOTATOR_LIMB_SEQ = [[2, 3], [2, 6], [3, 4], [4, 5], [6, 7], [7, 8], [2, 9], [9, 10], [10, 11], [2, 12], [12, 13],
                      [13, 14], [2, 1], [1, 15], [15, 17], [1, 16], [16, 18]]  # fmt: skip
ANNOTATOR_COLOURS = [[255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0],
                     [0, 255, 85], [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255],
                     [85, 0, 255], [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85]]  # fmt: skip


def still(skeleton: str = "smpl24", frames: int = 3, yaw_deg: float = 0.0, arms_down: bool = True) -> Motion:
    """A standing pose facing +z (turned by ``yaw_deg`` about the vertical), arms lowered at 45 degrees."""
    j = REST[skeleton]().copy()
    if arms_down and skeleton == "smpl24":
        for sh, arm, sign in ((16, [18, 20, 22], -1), (17, [19, 21, 23], 1)):
            a = np.deg2rad(45.0) * sign
            rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
            j[arm] = (j[arm] - j[sh]) @ rot.T + j[sh]
    y = np.deg2rad(yaw_deg)
    rot = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    c = j.mean(axis=0)
    j = (j - c) @ rot.T + c
    return Motion(np.repeat(j[None], frames, 0), FPS, skeleton)


def test_convention_constants_match_the_annotator() -> None:
    assert len(OPENPOSE_KEYPOINTS) == 18 and len(OPENPOSE_LIMBS) == 17
    assert [list(x) for x in OPENPOSE_COLOURS] == ANNOTATOR_COLOURS
    assert [[a + 1, b + 1] for a, b in OPENPOSE_LIMBS] == ANNOTATOR_LIMB_SEQ
    assert OPENPOSE_LIMB_COLOURS[0] == (153, 0, 0) and OPENPOSE_LIMB_COLOURS[3] == (153, 153, 0)
    assert all(tuple(int(c * 0.6) for c in OPENPOSE_COLOURS[i]) == OPENPOSE_LIMB_COLOURS[i] for i in range(17))
    assert OPENPOSE_KEYPOINTS[:2] == ("nose", "neck") and OPENPOSE_KEYPOINTS[2] == "right_shoulder"
    assert openpose_sizes(512) == (4, 4) and openpose_sizes(1024) == (8, 8) and openpose_sizes(64) == (1, 1)


@pytest.mark.parametrize("skeleton", ["smpl24", "coco17", "dwm23"])
def test_mapping_is_the_same_for_every_skeleton(skeleton: str) -> None:
    m = still(skeleton, arms_down=False)
    pts = openpose_points_3d(m.common())[0]
    ref = openpose_points_3d(still("smpl24", arms_down=False).common())[0]
    common = get_skeleton(skeleton).to_common(m.joints[0])
    names = ("left_shoulder", "right_shoulder", "left_elbow", "right_wrist", "left_hip", "right_knee", "left_ankle")
    for name in names:
        np.testing.assert_allclose(pts[K[name]], common[COMMON_JOINTS.index(name)], atol=1e-6)
    np.testing.assert_allclose(pts[K["neck"]], 0.5 * (pts[K["left_shoulder"]] + pts[K["right_shoulder"]]))
    # Face points: in front of the head (+z), eyes above the nose, the dancer's left at +x.
    assert pts[K["nose"], 2] > pts[K["left_ear"], 2] + 0.05
    assert pts[K["left_eye"], 1] > pts[K["nose"], 1]
    assert pts[K["left_eye"], 0] > pts[K["right_eye"], 0] and pts[K["left_ear"], 0] > pts[K["right_ear"], 0] + 0.1
    # The same body in three skeletons gives nearly the same keypoints.
    assert np.abs(pts - ref).max() < 0.12


def limb_mid_pixels(r: OpenPoseRenderer, t: int) -> dict[int, tuple[int, int]]:
    """Integer pixel at each drawn limb's midpoint (as the annotator computes its ellipse centre)."""
    uv, vis = r.keypoints[t], r.visible[t]
    out = {}
    for i, (a, b) in enumerate(OPENPOSE_LIMBS):
        if vis[a] and vis[b]:
            out[i] = (int(np.mean([uv[a, 0], uv[b, 0]])), int(np.mean([uv[a, 1], uv[b, 1]])))
    return out


def _dist_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    d = b - a
    s = np.clip(np.dot(p - a, d) / max(np.dot(d, d), 1e-9), 0, 1)
    return float(np.linalg.norm(p - (a + s * d)))


@pytest.mark.parametrize("size", [512, 768])
def test_every_limb_and_joint_in_its_exact_colour_at_its_projected_place(size: int) -> None:
    r = OpenPoseRenderer(still(), size, "fixed")
    t = 1
    frame = np.asarray(r.render_image(t))
    uv, vis = r.keypoints[t], r.visible[t]
    assert vis.all()  # a front-facing standing body: all 18 keypoints detected
    stick, radius = openpose_sizes(size)
    checked = 0
    for i, (x, y) in limb_mid_pixels(r, t).items():
        p = np.array([x, y], float)
        # Skip a midpoint that a later limb or a joint disc covers (they are drawn on top).
        later = [OPENPOSE_LIMBS[j] for j in range(i + 1, 17)]
        if any(_dist_to_segment(p, uv[a], uv[b]) < stick + 2 for a, b in later):
            continue
        if (np.linalg.norm(uv - p, axis=1) < radius + 2).any():
            continue
        assert tuple(frame[y, x]) == OPENPOSE_LIMB_COLOURS[i], (OPENPOSE_LIMBS[i], frame[y, x])
        checked += 1
    assert checked >= 14
    for k in range(18):
        x, y = int(uv[k, 0]), int(uv[k, 1])
        assert tuple(frame[y, x]) == OPENPOSE_COLOURS[k], OPENPOSE_KEYPOINTS[k]
        # A joint disc has radius `radius`: solid colour `radius` px away, not past it (unless covered).
        assert tuple(frame[y, x + radius - 1]) == OPENPOSE_COLOURS[k] or k in (K["nose"],)
    # Black background, no anti-aliasing: only the 35 palette colours appear.
    palette = {(0, 0, 0), *OPENPOSE_COLOURS, *OPENPOSE_LIMB_COLOURS}
    colours = {tuple(c) for c in np.unique(frame.reshape(-1, 3), axis=0)}
    assert colours <= palette
    assert (frame[:5] == 0).all() and (frame[:, :5] == 0).all()


def test_limb_width_scales_with_resolution() -> None:
    widths = {}
    for size in (512, 1024):
        r = OpenPoseRenderer(still(), size, "fixed")
        frame = np.asarray(r.render_image(0))
        uv = r.keypoints[0]
        a, b = K["left_knee"], K["left_ankle"]  # the shin: nearly vertical
        y = int(0.5 * (uv[a, 1] + uv[b, 1]))
        row = frame[y]
        colour = OPENPOSE_LIMB_COLOURS[OPENPOSE_LIMBS.index((a, b))]
        widths[size] = int((row == colour).all(axis=1).sum())
    assert 2 * 4 - 1 <= widths[512] <= 2 * 4 + 2
    assert abs(widths[1024] - 2 * widths[512]) <= 3


def test_face_points_are_dropped_when_facing_away() -> None:
    front = OpenPoseRenderer(still(yaw_deg=0), 256, "fixed")
    back = OpenPoseRenderer(still(yaw_deg=180), 256, "fixed")
    side = OpenPoseRenderer(still(yaw_deg=90), 256, "fixed")  # facing +x: the dancer's right side to the camera
    assert front.visible[0, [K["nose"], K["left_eye"], K["right_eye"], K["left_ear"], K["right_ear"]]].all()
    assert not back.visible[0, [K["nose"], K["left_eye"], K["right_eye"]]].any()
    assert back.visible[0, [K["left_ear"], K["right_ear"], K["neck"], K["left_wrist"]]].all()
    assert side.visible[0, K["right_ear"]] and not side.visible[0, K["left_ear"]]
    # Limbs to dropped points are not drawn: no nose-eye colour in the back view.
    frame = np.asarray(back.render_image(0))
    assert not (frame.reshape(-1, 3) == OPENPOSE_LIMB_COLOURS[OPENPOSE_LIMBS.index((0, 14))]).all(axis=1).any()


def test_points_outside_the_image_are_dropped() -> None:
    r = OpenPoseRenderer(still(), 128, "fixed")
    r.keypoints[0, K["left_wrist"]] = [-5.0, 40.0]  # as if the camera had cut it off
    r.visible[0, K["left_wrist"]] = False
    frame = np.asarray(r.render_image(0))
    colour = OPENPOSE_LIMB_COLOURS[OPENPOSE_LIMBS.index((6, 7))]
    assert not (frame.reshape(-1, 3) == colour).all(axis=1).any()


def test_json_export(tmp_path: Path) -> None:
    m = still(frames=4, yaw_deg=180)
    r = OpenPoseRenderer(m, 256, "follow")
    out = write_openpose_json(r, tmp_path / "poses", name="clip")
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"clip_{t:012d}_keypoints.json" for t in range(4)]
    data = json.loads((out / files[2]).read_text())
    assert data["version"] == 1.3 and data["canvas_width"] == 256 and data["canvas_height"] == 256
    (person,) = data["people"]
    kp = np.array(person["pose_keypoints_2d"]).reshape(18, 3)
    vis = r.visible[2]
    np.testing.assert_allclose(kp[vis, :2], r.keypoints[2][vis], atol=1e-3)
    assert (kp[vis, 2] == 1.0).all()
    assert (kp[~vis] == 0).all() and (~vis).sum() == 3  # facing away: nose and eyes
    # Outputs are checked before work, and replaced only with --force.
    with pytest.raises(OutputError, match="already exists"):
        check_output_folder(out)
    check_output_folder(out, force=True)
    write_openpose_json(OpenPoseRenderer(still(frames=2), 256), out, name="clip")
    assert len(list(out.iterdir())) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["poses"]  # no temporary folder left


def test_empty_motion_and_non_finite_joints() -> None:
    assert list(OpenPoseRenderer(Motion(np.zeros((0, 24, 3)), FPS, "smpl24"), 64).frames()) == []
    j = np.repeat(smpl_rest()[None], 3, 0)
    j[1, 20] = np.nan
    r = OpenPoseRenderer(Motion(j, FPS, "smpl24"), 64)
    assert not r.visible[1, K["left_wrist"]] and r.visible[0, K["left_wrist"]]
    assert len(list(r.frames())) == 3
