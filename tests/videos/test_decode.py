"""Probing, streaming decode, timestamps (variable frame rate), rotation, audio extraction, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from video_helpers import ffmpeg, make_video, tone_wav

from dancegen.videos import VideoError
from dancegen.videos.decode import FrameReader, analysis_size, extract_audio, is_variable_rate, probe


def test_probe_and_stream_frames_in_order(video_with_audio):
    info = probe(video_with_audio)
    assert (info.width, info.height, info.num_frames) == (64, 48, 210)
    assert info.fps == pytest.approx(30.0, abs=1e-6) and not info.variable_rate and info.has_audio
    np.testing.assert_allclose(info.times, np.arange(210) / 30.0, atol=1e-3)
    with FrameReader(info) as reader:
        reds = [int(np.median(f[..., 0])) for f in reader]
    assert reader.returncode == 0 and len(reds) == 210
    expected = [(i * 8) % 256 for i in range(210)]
    assert np.abs(np.array(reds) - np.array(expected)).max() <= 6  # H.264 is lossy


def test_reader_stops_early_and_scales(tmp_path):
    info = probe(make_video(tmp_path / "v.mp4", frames=40, size=(320, 240)))
    size = analysis_size(info.width, info.height, max_side=160)
    assert size == (160, 120)
    with FrameReader(info, size, max_frames=5) as reader:
        frames = list(reader)
    assert len(frames) == 5 and frames[0].shape == (120, 160, 3) and reader.returncode == 0
    reader = FrameReader(info)
    next(iter(reader))
    reader.close()  # ffmpeg stopped mid-stream: no error, no zombie
    assert reader.returncode == 0 and reader._proc.poll() is not None


def test_variable_frame_rate_timestamps_are_kept(tmp_path):
    cfr = make_video(tmp_path / "cfr.mp4", frames=60)
    vfr = tmp_path / "vfr.mkv"
    # first 15 frames 1/15 s apart, then 1/30 s
    ffmpeg("-i", str(cfr), "-vf", "setpts='if(lt(N,15),N*2,N+15)/(30*TB)'", "-fps_mode", "vfr", str(vfr))
    info = probe(vfr)
    assert info.variable_rate and info.num_frames == 60
    d = np.diff(info.times)
    np.testing.assert_allclose(d[:14], 2 / 30, atol=2e-3)
    np.testing.assert_allclose(d[15:], 1 / 30, atol=2e-3)
    assert "variable" in info.describe()
    with FrameReader(info) as reader:
        assert sum(1 for _ in reader) == 60  # every decoded frame once, none duplicated
    assert not is_variable_rate(np.arange(50) / 30.0)


def test_portrait_native_and_by_rotation_metadata(tmp_path):
    native = probe(make_video(tmp_path / "portrait.mp4", frames=10, size=(48, 96)))
    assert native.portrait and (native.width, native.height) == (48, 96)
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(make_video(tmp_path / "land.mp4", frames=10, size=(96, 48))),
           "-c", "copy", str(rotated))  # fmt: skip
    info = probe(rotated)
    assert info.rotation in (90, 270) and (info.width, info.height) == (48, 96) and info.portrait
    with FrameReader(info) as reader:
        frames = list(reader)
    assert len(frames) == 10 and frames[0].shape == (96, 48, 3)


def test_extract_audio_matches_the_video_timeline(video_with_audio, tmp_path):
    info = probe(video_with_audio)
    wav = extract_audio(info, tmp_path / "a.wav")
    y, sr = sf.read(wav)
    assert sr == 22050 and y.ndim == 1
    assert abs(len(y) / sr - 7.0) < 0.6  # the muxed track is cut to the video (AAC padding aside)
    # a track that starts 0.5 s after the video is padded with silence at the start
    late = tmp_path / "late.mp4"
    ffmpeg("-i", str(video_with_audio), "-itsoffset", "0.5", "-i", str(tone_wav(tmp_path / "t.wav", 3.0)),
           "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(late))  # fmt: skip
    y, sr = sf.read(extract_audio(probe(late), tmp_path / "late.wav"))
    assert np.abs(y[: int(0.4 * sr)]).max() < 0.02 and np.abs(y[int(0.7 * sr) : int(1.0 * sr)]).max() > 0.2


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "no such video file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "empty.mp4", b""), "empty file"),
        (lambda d: _write(d / "junk.mp4", np.random.default_rng(0).bytes(5000)), "cannot be read as a video"),
        (lambda d: tone_wav(d / "song.wav", 1.0), "no video stream"),
    ],
)  # fmt: skip
def test_bad_files_give_one_sentence(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(VideoError, match=message) as err:
        probe(path)
    text = str(err.value)
    assert str(path) in text and text.count("\n") == 0 and text.endswith(".")


def test_truncated_and_single_frame_videos_are_refused(tmp_path):
    good = make_video(tmp_path / "good.mp4", frames=30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(VideoError, match="cannot be read as a video"):
        probe(cut)
    one = make_video(tmp_path / "one.mp4", frames=1)
    with pytest.raises(VideoError, match="only 1 video frame"):
        probe(one)
