"""The stick-figure renderer: frames, colours, anti-aliasing, beat flash, every skeleton."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from dancegen.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS
from dancegen.render import render_frames
from dancegen.render.skeleton import COLOUR_LEFT, COLOUR_RIGHT, SkeletonRenderer, beat_envelope
from poses import FPS, REST, smpl_rest

J = {n: i for i, n in enumerate(COMMON_JOINTS)}


def moving(skeleton: str, seconds: float = 2.0, walk: float = 1.0) -> Motion:
    """A T-pose that walks ``walk`` m sideways and sways its arms (metres, y-up)."""
    T = int(seconds * FPS)
    t = np.arange(T) / FPS
    j = np.repeat(REST[skeleton]()[None], T, 0)
    j[..., 0] += (walk * t / seconds)[:, None]
    high = j[..., 1] > 1.2
    j[..., 1] += np.where(high, 0.08 * np.sin(2 * np.pi * t)[:, None], 0.0)
    return Motion(j, FPS, skeleton)


def background_corner(frame: np.ndarray) -> np.ndarray:
    return frame[:6, :6].reshape(-1, 3).astype(float).mean(axis=0)


@pytest.mark.parametrize("skeleton", ["smpl24", "coco17", "dwm23"])
@pytest.mark.parametrize("mode", ["follow", "fixed"])
def test_frames_shape_dtype_count(skeleton: str, mode: str) -> None:
    m = moving(skeleton, seconds=1.0)
    frames = list(render_frames(m, size=96, camera_mode=mode))
    assert len(frames) == m.num_frames
    for f in frames:
        assert f.shape == (96, 96, 3) and f.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[-1])  # the figure moves


def limb_pixels(r: SkeletonRenderer, frame: np.ndarray, t: int, a: str, b: str) -> np.ndarray:
    """Pixel colours (k, 3) at points along the middle of a bone's projection."""
    uv, _ = r.camera[t].project(r.joints[t])
    pa, pb = uv[J[a]], uv[J[b]]
    pts = [pa + (pb - pa) * s for s in np.linspace(0.3, 0.7, 5)]
    return np.array([frame[int(p[1]), int(p[0])] for p in pts], float)


@pytest.mark.parametrize("skeleton", ["smpl24", "coco17", "dwm23"])
def test_figure_is_drawn_in_side_colours(skeleton: str) -> None:
    m = moving(skeleton)
    r = SkeletonRenderer(m, size=256)
    t = 20
    frame = np.asarray(r.render_image(t))
    bg = background_corner(frame)
    for a, b, colour in [
        ("left_shoulder", "left_elbow", COLOUR_LEFT), ("left_hip", "left_knee", COLOUR_LEFT),
        ("right_shoulder", "right_elbow", COLOUR_RIGHT), ("right_hip", "right_knee", COLOUR_RIGHT),
    ]:  # fmt: skip
        px = limb_pixels(r, frame, t, a, b)
        # The limb's hue: dominant channel as in its colour (shading only scales the brightness).
        assert (np.argmax(px, axis=1) == np.argmax(colour)).all(), (a, b, px)
        assert (np.abs(px - bg).sum(axis=1) > 150).all()
    # Left (warm) appears on the image's right: the camera faces the dancer's front.
    uv, _ = r.camera[t].project(r.joints[t])
    assert uv[J["left_wrist"], 0] > uv[J["right_wrist"], 0]


def test_background_differs_from_figure_and_is_dark() -> None:
    frame = next(render_frames(moving("smpl24"), size=128))
    bg = background_corner(frame)
    assert bg.max() < 80
    assert frame.reshape(-1, 3).max(axis=0).min() > 200  # bright figure pixels exist


def test_anti_aliasing_gives_intermediate_values_along_edges() -> None:
    # A still pose with the left arm lowered diagonally (edges at all sub-pixel offsets).
    rest = smpl_rest()
    ang = np.deg2rad(-35.0)
    rot = np.array([[np.cos(ang), -np.sin(ang), 0], [np.sin(ang), np.cos(ang), 0], [0, 0, 1]])
    arm = [18, 20, 22]
    rest[arm] = (rest[arm] - rest[16]) @ rot.T + rest[16]
    m = Motion(np.repeat(rest[None], 12, 0), FPS, "smpl24")
    t = 10

    def fraction_intermediate(ss: int) -> float:
        r = SkeletonRenderer(m, size=256, supersample=ss)
        frame = np.asarray(r.render_image(t)).astype(float)
        uv, _ = r.camera[t].project(r.joints[t])
        pa, pb = uv[J["left_elbow"]], uv[J["left_wrist"]]
        d = (pb - pa) / np.linalg.norm(pb - pa)
        n = np.array([-d[1], d[0]])
        vals = []
        for s in np.linspace(0.35, 0.65, 7):
            c = pa + (pb - pa) * s
            for k in np.arange(-12, 12.01, 0.25):
                p = c + n * k
                vals.append(frame[int(p[1]), int(p[0]), 0])  # red channel: bg ~20, limb ~250
        v = np.array(vals)
        lo, hi = np.percentile(v, 5), np.percentile(v, 95)
        mid = (v > lo + 0.2 * (hi - lo)) & (v < hi - 0.2 * (hi - lo))
        return mid.mean()

    aa = fraction_intermediate(2)
    assert aa > 0.02
    assert aa > fraction_intermediate(1)


def test_beat_flash_brightens_the_background() -> None:
    m = moving("smpl24", seconds=2.0)
    beats = np.array([0.5, 1.5])
    frames = list(render_frames(m, size=64, beat_times=beats))
    b_on = background_corner(frames[15]).sum()  # t = 0.5 s, on the beat
    b_before = background_corner(frames[10]).sum()  # before the first beat
    b_between = background_corner(frames[40]).sum()  # 0.83 s after a beat, decayed
    assert b_on > b_before + 15
    assert b_on > b_between + 15
    assert abs(b_between - b_before) < 4
    plain = list(render_frames(m, size=64))
    assert np.array_equal(background_corner(plain[15]), background_corner(plain[10]))


def test_beat_envelope() -> None:
    env = beat_envelope(60, 30.0, np.array([0.5, 1.0]))
    assert env[:15].max() == 0.0
    assert env[15] == pytest.approx(1.0) and env[30] == pytest.approx(1.0)
    assert np.all(np.diff(env[15:30]) < 0)
    assert beat_envelope(10, 30.0, None).max() == 0.0
    assert beat_envelope(10, 30.0, np.array([])).max() == 0.0


def test_empty_motion_and_bad_arguments() -> None:
    m = Motion(np.zeros((0, 24, 3)), FPS, "smpl24")
    assert list(render_frames(m, size=64)) == []
    with pytest.raises(ValueError, match="camera mode"):
        render_frames(moving("smpl24"), size=64, camera_mode="spiral")  # raises at the call
    with pytest.raises(ValueError):
        render_frames(moving("smpl24"), size=8)


def test_non_finite_joints_do_not_break_rendering() -> None:
    m = moving("smpl24", seconds=1.0)
    j = m.joints.copy()
    j[5, 20] = np.nan  # a lost wrist
    j[7] = np.nan  # a lost frame
    frames = list(render_frames(Motion(j, FPS, "smpl24"), size=64))
    assert len(frames) == m.num_frames


def test_odd_and_large_sizes() -> None:
    m = moving("coco17", seconds=0.2)
    for size in (65, 720):
        f = next(render_frames(m, size=size))
        assert f.shape == (size, size, 3)


def test_real_dance_with_melody_sequence(dwm_root: Path) -> None:
    data = json.loads(gzip.decompress((dwm_root / "DANCE_C_2" / "skeletons.json.gz").read_bytes()))
    sk = np.asarray(data["skeletons"], np.float64)[:50]
    centre = np.asarray(data["center"], np.float64)[:50]
    m = Motion((sk + centre[:, None]) / 100.0, 25, "dwm23")
    for mode in ("follow", "fixed"):
        r = SkeletonRenderer(m, size=128, camera_mode=mode)
        uv, _ = r.camera.project(r.joints)
        assert ((uv >= 0) & (uv <= 128)).all()
        frames = list(r.frames())
        assert len(frames) == 50
        # Both side colours show up somewhere in the frame.
        px = frames[25].reshape(-1, 3).astype(int)
        assert ((px[:, 0] > 200) & (px[:, 2] < 120)).any()  # warm
        assert ((px[:, 2] > 200) & (px[:, 0] < 120)).any()  # cool
