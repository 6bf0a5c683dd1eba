"""Real MediaPipe Pose: a still photo, a synthetic clip, and the real multi-person video (first 40 frames)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from video_helpers import VTEST, make_video

pytest.importorskip("mediapipe", exc_type=ImportError)

import dancegen.datasets.videos  # noqa: E402,F401
from dancegen.cli import main  # noqa: E402
from dancegen.datasets import load_dataset  # noqa: E402
from dancegen.videos.clean import KEPT, CleanSettings  # noqa: E402
from dancegen.videos.dataset import POSES, REPORT  # noqa: E402
from dancegen.videos.prepare import prepare_videos  # noqa: E402

SHOULDERS, HIPS, ANKLES = [11, 12], [23, 24], [27, 28]


def _astronaut() -> np.ndarray:
    return pytest.importorskip("skimage.data").astronaut()


def test_astronaut_still_has_shoulders_above_hips():
    from dancegen.videos.pose import PoseModel

    model = PoseModel(static=True)
    det = model.detect(_astronaut())
    model.close()
    assert det is not None
    y = det.image[:, 1]
    assert y[SHOULDERS].max() < y[HIPS].min()  # image y grows downwards
    assert det.visibility[SHOULDERS].min() > 0.9
    width = np.linalg.norm(det.world[11] - det.world[12])
    assert 0.2 < width < 0.5  # metres
    assert np.abs(det.world[HIPS].mean(0)).max() < 0.05  # world origin at the hip centre


def test_clip_with_audio_becomes_a_usable_entry(tmp_path):
    # 1.5 s of the astronaut photo panned sideways, with a tone (her legs are out of the picture,
    # so the visibility rule is switched off here)
    video = make_video(tmp_path / "astronaut.mp4", frames=45, size=(384, 384), audio=True, image=_astronaut(), shift=2)
    out = tmp_path / "ds"
    prepare_videos(video, out, CleanSettings(min_piece_s=1.0, min_visibility=0.0), log=lambda m: None)
    rep = json.loads((out / "astronaut" / REPORT).read_text())
    assert rep["usable"] and rep["kept"] >= 40 and len(rep["pieces"]) == 1
    seqs = load_dataset("videos", out, split="all")
    assert len(seqs) == 1 and seqs[0].audio_path is not None and seqs[0].motion.skeleton == "mediapipe"
    j = seqs[0].motion.joints
    assert (j[:, [11, 12], 1].mean(1) > j[:, [23, 24], 1].mean(1)).all()  # y-up


def test_nobody_in_view_is_rejected(tmp_path, capsys):
    video = make_video(tmp_path / "empty_room.mp4", frames=12, size=(96, 64))
    rc = main(["prepare-videos", str(video), "--out", str(tmp_path / "ds"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "no person detected in any of its 12 frames" in err and err.count("\n") == 0
    assert not (tmp_path / "ds").exists()


@pytest.fixture(scope="module")
def vtest_entry(shared_data, tmp_path_factory):
    """The first 40 frames (4 s) of the real video, prepared with 2-s pieces allowed."""
    video = shared_data / VTEST
    if not video.is_file():
        pytest.skip(f"{video} not present")
    out = tmp_path_factory.mktemp("vtest") / "ds"
    res = prepare_videos(video, out, CleanSettings(min_piece_s=2.0), max_frames=40, log=lambda m: None)
    assert res.written == ["vtest"]
    return video, out / "vtest"


def test_real_video_people_found_one_followed_plausible(vtest_entry):
    _, entry = vtest_entry
    rep = json.loads((entry / REPORT).read_text())
    with np.load(entry / POSES) as p:
        detected, image, vis = p["detected"], p["image"], p["visibility"]
    assert detected.shape == (40,)
    found = detected == KEPT
    assert found.mean() >= 0.75  # a person on most frames
    # one track: between consecutive detections the torso moves less than one torso length
    px = image * np.array([768, 576])
    centre = px[:, SHOULDERS + HIPS].mean(1)
    length = np.linalg.norm(px[:, SHOULDERS].mean(1) - px[:, HIPS].mean(1), axis=1)
    both = found[1:] & found[:-1]
    step = np.linalg.norm(np.diff(centre, axis=0), axis=1)[both] / length[1:][both]
    assert step.max() < 1.0
    # plausible landmarks: shoulders above hips above ankles in image coordinates
    y = image[found][..., 1]
    order = (y[:, SHOULDERS].mean(1) < y[:, HIPS].mean(1)) & (y[:, HIPS].mean(1) < y[:, ANKLES].mean(1))
    assert order.mean() >= 0.9 and vis[found][:, SHOULDERS + HIPS].mean() > 0.5
    # the entry is written, with the clear reason it cannot train (no audio in this video)
    assert not rep["usable"] and rep["reason"].startswith("no audio track")
    assert rep["frames"] == 40 and rep["kept"] + rep["interpolated"] + sum(rep["dropped"].values()) == 40
    assert len(rep["pieces"]) >= 1
    seqs = load_dataset("videos", entry.parent, split="all")
    for seq in seqs:
        j = seq.motion.joints
        head, pelvis, ankles = j[:, 0, 1], j[:, HIPS, 1].mean(1), j[:, ANKLES, 1].mean(1)
        assert ((head > pelvis) & (pelvis > ankles)).mean() > 0.9
        assert 1.2 < np.median(head - j[..., 1].min(1)) < 2.1  # a person-sized body, metres
        assert seq.audio_path is None


def test_real_video_overlay(vtest_entry, tmp_path):
    from dancegen.render.video import probe_video

    video, entry = vtest_entry
    out = tmp_path / "overlay.mp4"
    assert main(["overlay", str(video), str(entry), "-o", str(out), "--quiet"]) == 0
    info = probe_video(out)
    assert info["num_frames"] == 40 and info["audio_codec"] is None and (info["width"], info["height"]) == (768, 576)
