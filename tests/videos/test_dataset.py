"""prepare-videos end to end with a stand-in pose tracker (no MediaPipe): format, loader, edge cases, CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
from video_helpers import make_video, synthetic_track, tone_wav

import dancegen.datasets.videos  # noqa: F401  (registers the "videos" dataset)
from dancegen.cli import main
from dancegen.datasets import load_dataset
from dancegen.errors import DatasetError
from dancegen.videos import VideoError
from dancegen.videos.clean import NO_PERSON, CleanSettings
from dancegen.videos.dataset import MANIFEST, POSES, REPORT, read_manifest, split_of
from dancegen.videos.prepare import prepare_videos


@pytest.fixture()
def fake_tracker(monkeypatch):
    """Replace MediaPipe tracking by the synthetic walking body (every frame detected)."""
    calls = []

    def track_video(info, max_frames=None, max_side=0, progress=False):
        n = info.num_frames if max_frames is None else min(info.num_frames, max_frames)
        calls.append(info.path)
        track, _ = synthetic_track(info.times[:n], info.width, info.height)
        return track, []

    monkeypatch.setattr("dancegen.videos.pose.track_video", track_video)
    monkeypatch.setattr("dancegen.videos.pose.load_mediapipe", lambda: None)
    return calls


def _quiet(_msg: str) -> None:
    pass


def _no_staging_left(root: Path) -> bool:
    return not [p for p in root.iterdir() if p.name.startswith(".")]


def test_prepare_writes_the_documented_format_and_train_loads_it(tmp_path, video_with_audio, fake_tracker):
    out = tmp_path / "ds"
    res = prepare_videos(video_with_audio, out, CleanSettings(), log=_quiet)
    assert res.written == ["dance"] and not res.rejected and _no_staging_left(out)
    entry = out / "dance"
    assert {p.name for p in entry.iterdir()} == {"audio.wav", POSES, REPORT, "piece_000.npz"}
    assert stat.S_IMODE(entry.stat().st_mode) & 0o055  # not the private mode of a temp folder
    rep = json.loads((entry / REPORT).read_text())
    assert rep["usable"] and rep["reason"] is None and rep["audio"] and rep["frames"] == 210
    assert rep["kept"] == 210 and rep["pieces"][0]["duration_s"] == pytest.approx(7.0, abs=0.05)
    assert rep["source"]["frames"] == 210 and rep["source"]["width"] == 64
    manifest = read_manifest(out)
    assert manifest["entries"]["dance"]["audio"] == "dance/audio.wav" and manifest["rejected"] == {}
    with np.load(entry / POSES) as poses:
        assert poses["image"].shape == (210, 33, 2) and poses["status"].shape == (210,)
        assert poses["world"].shape == (210, 33, 3) and list(poses["size"]) == [64, 48]

    split = split_of("dance")
    seqs = load_dataset("videos", out, split=split)
    assert [s.name for s in seqs] == ["dance__piece_000"]
    seq = seqs[0]
    assert seq.audio_path == entry / "audio.wav" and seq.audio_start == 0.0
    assert seq.motion.skeleton == "mediapipe" and seq.motion.fps == 30 and seq.motion.num_frames == 210
    other = "test" if split == "train" else "train"
    assert load_dataset("videos", out, split=other) == []
    assert len(load_dataset("videos", out, split="all")) == 1

    from dancegen.train import make_training_windows, prepare_data

    data = prepare_data("videos", out, "all", progress=False)
    assert data.skeleton == "mediapipe" and data.names == ["dance__piece_000"]
    motion_w, music_w, _ = make_training_windows(data, window=150, stride=30, mirror=True)
    assert motion_w.shape[0] == 2 * 3 and music_w.shape[1:] == (150, 35)
    assert np.isfinite(motion_w).all()


def test_no_audio_track_keeps_poses_but_marks_the_entry_unusable(tmp_path, fake_tracker):
    video = make_video(tmp_path / "silent.mp4", frames=180)
    out = tmp_path / "ds"
    lines = []
    prepare_videos(video, out, CleanSettings(), log=lines.append)
    rep = json.loads((out / "silent" / REPORT).read_text())
    assert not rep["usable"] and "no audio track" in rep["reason"] and len(rep["pieces"]) == 1
    assert not (out / "silent" / "audio.wav").exists()
    assert "not usable for training: no audio track" in lines[0]
    seqs = load_dataset("videos", out, split="all")
    assert len(seqs) == 1 and seqs[0].audio_path is None  # training skips it and says so


def test_too_short_is_a_clear_reason(tmp_path, fake_tracker):
    video = make_video(tmp_path / "short.mp4", frames=60, audio=True)
    prepare_videos(video, tmp_path / "ds", CleanSettings(min_piece_s=5.0), log=_quiet)
    rep = json.loads((tmp_path / "ds" / "short" / REPORT).read_text())
    assert not rep["usable"] and rep["reason"] == "no stretch of clean motion of at least 5 s (longest 2.0 s)"


def test_no_person_leaves_nothing(tmp_path, monkeypatch):
    def nobody(info, max_frames=None, max_side=0, progress=False):
        track, _ = synthetic_track(info.times, info.width, info.height)
        track.status[:] = NO_PERSON
        return track, []

    monkeypatch.setattr("dancegen.videos.pose.track_video", nobody)
    video = make_video(tmp_path / "empty_room.mp4", frames=20, audio=True)
    with pytest.raises(VideoError, match=r"no person detected in any of its 20 frames\.$"):
        prepare_videos(video, tmp_path / "ds", CleanSettings(), log=_quiet)
    assert not (tmp_path / "ds").exists()


def test_folder_with_a_bad_file_writes_the_good_ones(tmp_path, fake_tracker):
    src = tmp_path / "videos"
    (src / "sub").mkdir(parents=True)
    make_video(src / "a.mp4", frames=180, audio=True)
    make_video(src / "sub" / "b.mov", frames=180, audio=True)
    (src / "broken.mp4").write_bytes(b"\x00" * 1000)
    tone_wav(src / "notes.wav", 1.0)  # not a video suffix: ignored
    warnings = []
    out = tmp_path / "ds"
    res = prepare_videos(src, out, CleanSettings(), log=_quiet, warn=warnings.append)
    assert sorted(res.written) == ["a", "sub__b"] and list(res.rejected) == ["broken"]
    assert len(warnings) == 1 and "broken.mp4: cannot be read as a video" in warnings[0]
    manifest = read_manifest(out)
    assert sorted(manifest["entries"]) == ["a", "sub__b"]
    assert "cannot be read" in manifest["rejected"]["broken"]["reason"]
    assert _no_staging_left(out) and not (out / "broken").exists()
    # a second run skips what is there; --force redoes it
    res = prepare_videos(src, out, CleanSettings(), log=_quiet, warn=_quiet)
    assert sorted(res.skipped) == ["a", "sub__b"] and len(fake_tracker) == 2
    res = prepare_videos(src / "a.mp4", out, CleanSettings(), force=True, log=_quiet)
    assert res.written == ["a"] and len(fake_tracker) == 3 and _no_staging_left(out)


def test_interrupted_video_leaves_no_half_entry(tmp_path, monkeypatch, video_with_audio):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("dancegen.videos.pose.track_video", interrupted)
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        prepare_videos(video_with_audio, out, CleanSettings(), log=_quiet)
    assert not (out / "dance").exists() and _no_staging_left(out)
    assert read_manifest(out)["entries"] == {}


def test_loader_errors_name_the_folder(tmp_path):
    with pytest.raises(DatasetError, match="dataset.json missing"):
        load_dataset("videos", tmp_path)
    (tmp_path / MANIFEST).write_text('{"format": "something-else"}')
    with pytest.raises(DatasetError, match="not a valid video dataset index"):
        load_dataset("videos", tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"format": "dancegen-videos", "version": 1, "entries": {
        "x": {"split": "train", "audio": None, "pieces": [{"file": "x/piece_000.npz", "start_s": 0}]}}}))
    with pytest.raises(DatasetError, match="piece_000.npz"):
        load_dataset("videos", tmp_path)


def test_split_is_stable_and_follows_the_fraction():
    names = [f"video_{i}" for i in range(400)]
    test = [n for n in names if split_of(n) == "test"]
    assert 20 <= len(test) <= 60 and split_of("video_1") == split_of("video_1")
    assert all(split_of(n, 1.0) == "test" for n in names[:10]) and split_of("x", 0.0) == "train"


# ---------------------------------------------------------------------------------------------
# command line


def test_cli_without_the_extra_says_how_to_install(tmp_path, monkeypatch, capsys, video_with_audio):
    monkeypatch.setitem(__import__("sys").modules, "mediapipe", None)  # import mediapipe -> ImportError
    rc = main(["prepare-videos", str(video_with_audio), "--out", str(tmp_path / "ds")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "pip install 'dancegen[video]'" in err and err.count("\n") == 0
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mp4", None, "no such file or folder"),
        ("empty.mp4", b"", "empty file"),
        ("junk.mkv", b"not a video at all" * 50, "cannot be read as a video"),
        ("song.wav", "wav", "no video stream"),
    ],
)  # fmt: skip
def test_cli_bad_inputs_exit_2_and_write_nothing(tmp_path, capsys, fake_tracker, name, content, message):
    path = tmp_path / name
    if content == "wav":
        tone_wav(path, 1.0)
    elif content is not None:
        path.write_bytes(content)
    rc = main(["prepare-videos", str(path), "--out", str(tmp_path / "ds"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and message in err and err.count("\n") == 0 and err.startswith("dancegen prepare-videos: ")
    assert not (tmp_path / "ds").exists()


def test_cli_prepare_and_overlay(tmp_path, capsys, fake_tracker, video_with_audio):
    from dancegen.render.video import probe_video

    out = tmp_path / "ds"
    assert main(["prepare-videos", str(video_with_audio), "--out", str(out), "--quiet", "--min-seconds", "2"]) == 0
    assert "dance: 1 piece(s), 7.0 s of motion from 210 frames" in capsys.readouterr().out
    mp4 = tmp_path / "overlay.mp4"
    assert main(["overlay", str(video_with_audio), str(out / "dance"), "-o", str(mp4), "--quiet"]) == 0
    info = probe_video(mp4)
    assert info["num_frames"] == 210 and info["audio_codec"] == "aac" and (info["width"], info["height"]) == (64, 48)
    # existing output without --force; another video than the entry's
    assert main(["overlay", str(video_with_audio), str(out / "dance"), "-o", str(mp4), "--quiet"]) == 2
    other = make_video(tmp_path / "other.mp4", frames=50)
    capsys.readouterr()
    assert main(["overlay", str(other), str(out / "dance"), "-o", str(tmp_path / "o2.mp4"), "--quiet"]) == 2
    assert "is not the video" in capsys.readouterr().err and not (tmp_path / "o2.mp4").exists()
    assert main(["overlay", str(other), str(tmp_path), "-o", str(tmp_path / "o3.mp4"), "--quiet"]) == 2
    # bad option values are one sentence too
    assert main(["prepare-videos", str(video_with_audio), "--out", str(out), "--min-visibility", "2"]) == 2


def test_overlay_draws_status_colours(tmp_path, fake_tracker, video_with_audio):
    from dancegen.videos.dataset import load_poses
    from dancegen.videos.decode import probe
    from dancegen.videos.overlay import overlay_frames

    out = tmp_path / "ds"
    prepare_videos(video_with_audio, out, CleanSettings(min_piece_s=1.0), log=_quiet)
    poses = load_poses(out / "dance")
    poses["status"][5] = NO_PERSON  # drawn red
    frames = list(overlay_frames(probe(video_with_audio), poses))
    assert len(frames) == 210 and frames[0].shape == (48, 64, 3)
    green = (frames[0][..., 1] > 180) & (frames[0][..., 0] < 120)
    red = (frames[5][..., 0] > 200) & (frames[5][..., 1] < 90)
    assert green.sum() > 10 and red.sum() > 10
