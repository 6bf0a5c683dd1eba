"""H.264 output: duration, audio muxing, atomic writes, streaming, and the probe."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dancegen.errors import OutputError
from dancegen.motion import Motion
from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS
from dancegen.render import probe_video, render_motion_video, write_video

FPS = 30.0


def frames(n: int, size: int = 64, counter: list[int] | None = None):
    """A generator of n (size, size, 3) uint8 frames (a moving bar); counts what it yields."""
    for i in range(n):
        f = np.zeros((size, size, 3), np.uint8)
        f[:, (i * 3) % size] = (255, 128, 0)
        f[..., 2] = np.uint8(i % 256)
        if counter is not None:
            counter[0] += 1
        yield f


def make_wav(path: Path, seconds: float, sr: int = 22050) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr)
    return path


def folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_clip_with_audio(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "song.wav", 3.0)
    out = write_video(frames(60), tmp_path / "clip.mp4", FPS, 64, audio_path=wav, audio_start=0.5, num_frames=60)
    assert out == tmp_path / "clip.mp4"
    info = probe_video(out)
    assert info["video_codec"] == "h264"
    assert info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (64, 64)
    assert info["fps"] == pytest.approx(30.0)
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    assert info["num_frames"] == 60
    assert info["audio_codec"] == "aac"
    assert info["audio_sample_rate"] == 22050
    assert folder_names(tmp_path) == ["clip.mp4", "song.wav"]  # no temporary file left
    mode = out.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # a normal file, not the private temp file's 0600


def test_clip_without_audio(tmp_path: Path) -> None:
    out = write_video(frames(60), tmp_path / "silent.mp4", FPS, (64, 64))
    info = probe_video(out)
    assert info["audio_codec"] is None and info["audio_sample_rate"] is None
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    assert info["num_frames"] == 60


def test_short_audio_is_padded_to_the_video(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "short.wav", 1.0)
    out = write_video(frames(60), tmp_path / "clip.mp4", FPS, 64, audio_path=wav, num_frames=60)
    info = probe_video(out)
    assert info["audio_codec"] == "aac"
    assert info["duration"] == pytest.approx(2.0, abs=0.1)


def test_long_audio_is_cut_to_the_video_without_num_frames(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "long.wav", 5.0)
    out = write_video(frames(45), tmp_path / "clip.mp4", FPS, 64, audio_path=wav)
    info = probe_video(out)
    assert info["duration"] == pytest.approx(1.5, abs=0.1)


def test_num_frames_pads_with_the_last_frame_and_stops_consuming(tmp_path: Path) -> None:
    out = write_video(frames(10), tmp_path / "pad.mp4", 25.0, 64, num_frames=50)
    info = probe_video(out)
    assert info["num_frames"] == 50
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    # An endless generator is consumed lazily: only the frames that are written are produced.
    counter = [0]
    endless = (f for i in itertools.count() for f in frames(1, counter=counter))
    out = write_video(endless, tmp_path / "endless.mp4", FPS, 64, num_frames=30)
    assert counter[0] == 30
    assert probe_video(out)["num_frames"] == 30


def test_duration_cuts_the_output(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "song.wav", 3.0)
    out = write_video(frames(300, size=256), tmp_path / "cut.mp4", FPS, 256, audio_path=wav, duration=1.0,
                      num_frames=300)  # fmt: skip
    info = probe_video(out)
    assert info["duration"] == pytest.approx(1.0, abs=0.1)
    assert info["num_frames"] == 30


def test_failure_leaves_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"previous video")
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("this is not audio\n")
    with pytest.raises(OutputError) as err:
        write_video(frames(30), target, FPS, 64, audio_path=not_audio)
    msg = str(err.value)
    assert str(target) in msg and "ffmpeg" in msg and "\n" not in msg
    assert target.read_bytes() == b"previous video"
    assert folder_names(tmp_path) == ["notes.txt", "out.mp4"]


def test_failure_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "new.mp4"
    with pytest.raises(OutputError, match="new.mp4"):
        write_video(frames(30), target, FPS, 64, audio_path=tmp_path / "missing.wav")
    assert folder_names(tmp_path) == []


def test_bad_frame_and_interrupt_leave_no_file(tmp_path: Path) -> None:
    def bad():
        yield from frames(5)
        yield np.zeros((32, 32, 3), np.uint8)

    with pytest.raises(ValueError, match="frames must be"):
        write_video(bad(), tmp_path / "bad.mp4", FPS, 64)

    def interrupted():
        yield from frames(20)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_video(interrupted(), tmp_path / "int.mp4", FPS, 64, progress=True)
    assert folder_names(tmp_path) == []


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no frames"):
        write_video(frames(0), tmp_path / "empty.mp4", FPS, 64)
    assert folder_names(tmp_path) == []


def test_odd_size_is_padded_and_fractional_fps(tmp_path: Path) -> None:
    out = write_video(frames(30, size=63), tmp_path / "odd.mp4", 30000 / 1001, 63)
    info = probe_video(out)
    assert (info["width"], info["height"]) == (64, 64)
    assert info["fps"] == pytest.approx(29.97, abs=0.01)
    assert info["num_frames"] == 30


def test_non_square_size(tmp_path: Path) -> None:
    wide = (np.zeros((64, 96, 3), np.uint8) for _ in range(10))
    info = probe_video(write_video(wide, tmp_path / "wide.mp4", FPS, (96, 64)))
    assert (info["width"], info["height"], info["num_frames"]) == (96, 64, 10)


def test_probe_rejects_non_videos(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        probe_video(tmp_path / "nothing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(OutputError, match="junk.mp4"):
        probe_video(junk)


def test_render_motion_video_end_to_end(tmp_path: Path) -> None:
    rest = np.zeros((24, 3))
    for i, p in enumerate(SMPL24.parents):
        if p >= 0:
            rest[i] = rest[p] + SMPL24_OFFSETS[i]
    T = 45
    j = np.repeat(rest[None], T, 0) + (np.linspace(0, 1, T)[:, None, None] * [1.0, 0, 0])
    motion = Motion(j, FPS, "smpl24")
    wav = make_wav(tmp_path / "song.wav", 4.0)
    out = render_motion_video(
        motion, tmp_path / "dance.mp4", audio_path=wav, audio_start=1.0, size=96,
        beat_times=np.array([0.5, 1.0]), progress=False,
    )  # fmt: skip
    info = probe_video(out)
    assert (info["video_codec"], info["audio_codec"], info["width"]) == ("h264", "aac", 96)
    assert info["num_frames"] == T
    assert info["duration"] == pytest.approx(1.5, abs=0.1)
    # Resampled to another frame rate: the duration is kept.
    out = render_motion_video(motion, tmp_path / "dance25.mp4", size=64, camera_mode="fixed", fps=25.0)
    info = probe_video(out)
    assert info["fps"] == pytest.approx(25.0)
    assert info["duration"] == pytest.approx(1.5, abs=0.1)
