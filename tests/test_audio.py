"""Audio loading and the 35-d baseline features: tempo/beats, formats, cache, excerpts, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen import audio
from dancegen.audio import FEATURE_DIM, FPS, AudioFeatures, extract_features, features_from_waveform
from dancegen.errors import AudioError

BPM = 120.0
BEAT_S = 60.0 / BPM
FRAME_TOL = 1.0 / FPS + 1e-6  # "within one frame"


# ----------------------------------------------------------------------------------------------
# helpers


def click_track(duration: float, sr: int, channels: int = 1, bpm: float = BPM, seed: int = 0) -> np.ndarray:
    """Clicks (short noise bursts plus a decaying 880 Hz ping) on every beat: (N,) or (N, channels)."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    y = np.zeros(n, np.float32)
    length = int(0.06 * sr)
    t = np.arange(length) / sr
    noise = 0.6 * rng.standard_normal(length) * np.exp(-t / 0.004)
    burst = noise + 0.4 * np.sin(2 * np.pi * 880 * t) * np.exp(-t / 0.02)
    for c in np.arange(0.0, duration, 60.0 / bpm):
        i = int(round(c * sr))
        seg = y[i : i + length]
        seg += burst[: len(seg)].astype(np.float32)
    y *= 0.8 / np.max(np.abs(y))
    if channels == 1:
        return y
    gains = np.linspace(1.0, 0.6, channels, dtype=np.float32)
    return y[:, None] * gains[None, :]


def matched_fraction(beat_times: np.ndarray, clicks: np.ndarray, tol: float = FRAME_TOL) -> float:
    """Fraction of clicks with a detected beat within ``tol`` seconds."""
    if len(beat_times) == 0:
        return 0.0
    dist = np.abs(np.asarray(beat_times)[:, None] - clicks[None, :]).min(axis=0)
    return float(np.mean(dist <= tol))


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def has_encoder(name: str) -> bool:
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return any(line.split()[1:2] == [name] for line in out.splitlines() if line.strip())


def write_audio(path: Path, y: np.ndarray, sr: int) -> Path:
    """Write wav/flac/ogg with soundfile, mp3/m4a by converting a wav with ffmpeg."""
    ext = path.suffix.lower()
    if ext in (".wav", ".flac", ".ogg"):
        sf.write(str(path), y, sr)
        return path
    encoder = {".mp3": "libmp3lame", ".m4a": "aac"}[ext]
    if not has_encoder(encoder):
        pytest.skip(f"the bundled ffmpeg has no {encoder} encoder, cannot write {ext}")
    wav = path.with_suffix(".src.wav")
    sf.write(str(wav), y, sr)
    subprocess.run([ffmpeg_exe(), "-y", "-v", "error", "-i", str(wav), "-c:a", encoder, str(path)], check=True)
    wav.unlink()
    return path


def check_features(f: AudioFeatures, duration: float) -> None:
    assert isinstance(f, AudioFeatures)
    assert f.features.dtype == np.float32
    assert f.features.shape == (round(duration * FPS), FEATURE_DIM)
    assert f.num_frames == f.features.shape[0]
    assert np.all(np.isfinite(f.features))
    assert isinstance(f.tempo, float) and f.tempo > 0
    assert f.beat_times.dtype == np.float64
    assert np.all((f.beat_times >= 0) & (f.beat_times < f.num_frames / FPS))
    # the beat one-hot column and beat_times say the same thing
    np.testing.assert_allclose(np.nonzero(f.features[:, 34])[0] / FPS, f.beat_times)
    assert set(np.unique(f.features[:, 33])) <= {0.0, 1.0}


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty feature cache for one test."""
    root = tmp_path / "cache"
    monkeypatch.setenv("DANCEGEN_CACHE", str(root))
    return root


@pytest.fixture(scope="module")
def click_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s click track at 120 BPM, 22.05 kHz stereo WAV."""
    path = tmp_path_factory.mktemp("click") / "click.wav"
    sf.write(str(path), click_track(8.0, 22050, channels=2), 22050)
    return path


# ----------------------------------------------------------------------------------------------
# import, tempo and beats


def test_import_does_not_load_librosa_or_torch() -> None:
    code = "import sys, dancegen.audio; print('librosa' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_click_track_tempo_and_beats(click_wav: Path) -> None:
    f = extract_features(click_wav, use_cache=False)
    check_features(f, 8.0)
    assert f.duration == pytest.approx(8.0)
    assert f.fps == FPS
    assert abs(f.tempo - BPM) <= 1.0
    clicks = np.arange(0.0, 8.0, BEAT_S)
    assert matched_fraction(f.beat_times, clicks) >= 0.9
    # every detected beat is on a click (no spurious beats)
    assert matched_fraction(clicks, f.beat_times) == 1.0
    assert f.features[:, 33].sum() >= 0.9 * len(clicks)  # onset peaks at the clicks


def test_tempo_hint_is_used(click_wav: Path) -> None:
    f = extract_features(click_wav, tempo_hint=118.0, use_cache=False)
    assert f.tempo == 118.0
    assert matched_fraction(f.beat_times, np.arange(0.0, 8.0, BEAT_S)) >= 0.9


def test_click_track_at_other_offsets_and_rates() -> None:
    """Clicks that do not fall on frame boundaries: beats within 1.5 frames (librosa's onset lag)."""
    sr = 44100
    y = np.concatenate([np.zeros(int(0.21 * sr), np.float32), click_track(8.0, sr)])
    f = features_from_waveform(y, sr)
    assert abs(f.tempo - BPM) <= 1.0
    clicks = 0.21 + np.arange(0.0, 8.0, BEAT_S)
    assert matched_fraction(f.beat_times, clicks, tol=1.5 / FPS) >= 0.9


# ----------------------------------------------------------------------------------------------
# formats, sample rates, channel counts


@pytest.mark.parametrize("ext", [".wav", ".flac", ".ogg", ".mp3", ".m4a"])
def test_formats(tmp_path: Path, ext: str) -> None:
    duration = 4.0
    path = write_audio(tmp_path / f"clicks{ext}", click_track(duration, 44100, channels=2), 44100)
    f = extract_features(path, use_cache=False)
    if ext == ".m4a":  # AAC decoders keep some encoder padding: a frame or two more
        assert abs(f.duration - duration) < 0.1
        check_features(f, f.duration)
    else:
        check_features(f, duration)
    assert abs(f.tempo - BPM) <= 1.0
    assert matched_fraction(f.beat_times, np.arange(0.0, duration, BEAT_S)) >= 0.75
    assert audio.audio_duration(path) == pytest.approx(duration, abs=0.1)


@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_sample_rates_and_channels(tmp_path: Path, sr: int, channels: int) -> None:
    duration = 2.51  # 75.3 frames -> 75
    path = tmp_path / f"clicks_{sr}_{channels}.wav"
    sf.write(str(path), click_track(duration, sr, channels=channels), sr)
    f = extract_features(path, use_cache=False)
    check_features(f, duration)
    y = audio.load_audio(path, 16000)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - duration * 16000) <= 2


@settings(max_examples=10, deadline=None)
@given(
    duration=st.floats(min_value=1.0, max_value=3.0),
    sr=st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000]),
    channels=st.sampled_from([1, 2]),
)
def test_frame_count_property(duration: float, sr: int, channels: int) -> None:
    n = int(round(duration * sr))
    if n < sr:  # rounding just under MIN_DURATION_S
        n = sr
    y = click_track(n / sr + 1e-9, sr, channels=channels)[:n]
    f = features_from_waveform(y, sr)
    assert f.duration == pytest.approx(n / sr)
    check_features(f, n / sr)


def test_features_from_waveform_accepts_channels_first() -> None:
    y = click_track(2.0, 22050, channels=2)
    a = features_from_waveform(y, 22050)
    b = features_from_waveform(y.T.copy(), 22050)
    np.testing.assert_allclose(a.features, b.features, atol=1e-5)


def test_other_fps() -> None:
    f = features_from_waveform(click_track(3.0, 22050), 22050, fps=60)
    assert f.features.shape == (180, FEATURE_DIM)
    assert f.fps == 60
    assert abs(f.tempo - BPM) <= 2.0


# ----------------------------------------------------------------------------------------------
# excerpts


def test_excerpt_frame_count_and_alignment(click_wav: Path) -> None:
    f = extract_features(click_wav, start=1.0, end=3.5, use_cache=False)
    check_features(f, 2.5)
    assert f.duration == pytest.approx(2.5)
    # beats are counted from the excerpt's start: clicks at 1.0, 1.5, ... become 0.0, 0.5, ...
    assert matched_fraction(f.beat_times, np.arange(0.5, 2.5, BEAT_S)) >= 0.75


def test_excerpt_end_past_the_file_is_clipped(click_wav: Path) -> None:
    f = extract_features(click_wav, start=6.0, end=100.0, use_cache=False)
    check_features(f, 2.0)


def test_excerpt_start_past_the_end(click_wav: Path) -> None:
    with pytest.raises(AudioError, match=r"click\.wav.*past the end"):
        extract_features(click_wav, start=9.0, use_cache=False)


def test_excerpt_start_after_end(click_wav: Path) -> None:
    with pytest.raises(AudioError, match=r"click\.wav.*end time"):
        extract_features(click_wav, start=3.0, end=2.0, use_cache=False)


def test_load_audio_excerpt_matches_full_decode(tmp_path: Path) -> None:
    sr = 15360
    for ext in (".wav", ".mp3"):
        path = write_audio(tmp_path / f"c{ext}", click_track(6.0, 44100, channels=2), 44100)
        full = audio.load_audio(path, sr)
        part = audio.load_audio(path, sr, start=2.0, end=4.0)
        assert abs(len(part) - 2 * sr) <= 2
        # same content at the same place (lag 0), away from the resampler's edges
        a, b = part[2000:20000], full[2 * sr + 2000 : 2 * sr + 20000]
        lags = [float(np.dot(a, full[2 * sr + 2000 + k : 2 * sr + 20000 + k])) for k in range(-40, 41)]
        assert int(np.argmax(lags)) - 40 == 0
        assert np.corrcoef(a, b)[0, 1] > 0.95


# ----------------------------------------------------------------------------------------------
# cache


def _count_computes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = audio._compute_features

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(audio, "_compute_features", counting)
    return calls


def test_cache_hit_and_content_key(
    click_wav: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_computes(monkeypatch)
    first = extract_features(click_wav)
    assert len(calls) == 1
    files = list((cache / "features").glob("*.npz"))
    assert len(files) == 1

    second = extract_features(click_wav)
    assert len(calls) == 1  # cache hit
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(first.beat_times, second.beat_times)
    assert (second.tempo, second.fps, second.duration) == (first.tempo, first.fps, first.duration)

    renamed = tmp_path / "some other name.wav"
    shutil.copy(click_wav, renamed)
    extract_features(renamed)
    assert len(calls) == 1  # the key is the content, not the name

    y, sr = sf.read(str(click_wav))
    y[1000] += 0.01
    changed = tmp_path / "changed.wav"
    sf.write(str(changed), y, sr)
    extract_features(changed)
    assert len(calls) == 2  # new content: miss

    extract_features(click_wav, start=1.0)
    extract_features(click_wav, tempo_hint=121.0)
    extract_features(click_wav, fps=60)
    assert len(calls) == 5  # other arguments: misses
    assert len(list((cache / "features").glob("*.npz"))) == 5


def test_cache_disabled(click_wav: Path, cache: Path) -> None:
    extract_features(click_wav, use_cache=False)
    assert not (cache / "features").exists() or not any((cache / "features").iterdir())


def test_corrupt_cache_is_recomputed(click_wav: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = extract_features(click_wav)
    (cached,) = (cache / "features").glob("*.npz")
    calls = _count_computes(monkeypatch)
    for garbage in (b"not a zip file", cached.read_bytes()[:200]):
        cached.write_bytes(garbage)
        again = extract_features(click_wav)
        np.testing.assert_array_equal(good.features, again.features)
    assert len(calls) == 2
    with np.load(cached, allow_pickle=False) as z:  # rewritten, valid again
        assert z["features"].shape == good.features.shape


def test_cache_files_hold_no_pickles(click_wav: Path, cache: Path) -> None:
    extract_features(click_wav)
    (cached,) = (cache / "features").glob("*.npz")
    with np.load(cached, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_cache_hit_does_not_import_librosa(click_wav: Path, cache: Path) -> None:
    extract_features(click_wav)
    code = (
        "import sys, json\n"
        "from dancegen.audio import extract_features\n"
        f"f = extract_features({str(click_wav)!r})\n"
        "print(json.dumps(['librosa' in sys.modules, f.features.shape[0]]))\n"
    )
    env = dict(os.environ, DANCEGEN_CACHE=str(cache))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == [False, 240]


def test_unwritable_cache_is_not_an_error(click_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    monkeypatch.setenv("DANCEGEN_CACHE", str(blocker / "cache"))
    f = extract_features(click_wav)
    assert f.num_frames == 240


def test_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DANCEGEN_CACHE", str(tmp_path))
    assert audio.cache_dir() == tmp_path
    monkeypatch.delenv("DANCEGEN_CACHE")
    assert audio.cache_dir() == Path.home() / ".cache" / "dancegen"


# ----------------------------------------------------------------------------------------------
# bad input: AudioError, one sentence naming the file


def _assert_one_sentence(err: pytest.ExceptionInfo[AudioError], name: str) -> str:
    msg = str(err.value)
    assert name in msg
    assert "\n" not in msg and msg.endswith(".")
    assert "Traceback" not in msg
    return msg


def test_missing_file(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(AudioError) as err:
        extract_features(tmp_path / "nowhere.mp3")
    assert "not found" in _assert_one_sentence(err, "nowhere.mp3")
    with pytest.raises(AudioError):
        audio.load_audio(tmp_path / "nowhere.mp3", 16000)
    with pytest.raises(AudioError):
        audio.audio_duration(tmp_path / "nowhere.mp3")


def test_directory(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(AudioError) as err:
        extract_features(tmp_path)
    _assert_one_sentence(err, tmp_path.name)


@pytest.mark.parametrize("content", [b"", b"hello, this is not music\n" * 40, bytes(range(256)) * 8])
def test_not_an_audio_file(tmp_path: Path, cache: Path, content: bytes) -> None:
    path = tmp_path / "song.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioError) as err:
        extract_features(path)
    assert "not an audio file" in _assert_one_sentence(err, "song.mp3")


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_audio(tmp_path_factory.mktemp("mp3") / "full.mp3", click_track(8.0, 44100, channels=2), 44100)
    return path.read_bytes()


@pytest.mark.parametrize("size", [300, 2000])
def test_truncated_mp3(tmp_path: Path, cache: Path, mp3_bytes: bytes, size: int) -> None:
    path = tmp_path / "cut.mp3"
    path.write_bytes(mp3_bytes[:size])
    with pytest.raises(AudioError) as err:
        extract_features(path)
    msg = _assert_one_sentence(err, "cut.mp3")
    assert "corrupt" in msg or "truncated" in msg


def test_mp3_truncated_in_the_middle_loads_what_decodes(tmp_path: Path, cache: Path, mp3_bytes: bytes) -> None:
    path = tmp_path / "half.mp3"
    path.write_bytes(mp3_bytes[: len(mp3_bytes) // 2])
    f = extract_features(path)
    assert 3.0 < f.duration < 5.0
    check_features(f, f.duration)


def test_silence(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "quiet.wav"
    sf.write(str(path), np.zeros((3 * 22050, 2), np.float32), 22050)
    with pytest.raises(AudioError) as err:
        extract_features(path)
    assert "contains only silence" in _assert_one_sentence(err, "quiet.wav")
    with pytest.raises(AudioError, match="silence"):
        features_from_waveform(np.zeros(22050 * 2, np.float32), 22050)


def test_silent_excerpt(tmp_path: Path, cache: Path) -> None:
    y = np.concatenate([np.zeros(3 * 22050, np.float32), click_track(3.0, 22050)])
    path = tmp_path / "late.wav"
    sf.write(str(path), y, 22050)
    with pytest.raises(AudioError) as err:
        extract_features(path, start=0.5, end=2.5)
    assert "silence" in _assert_one_sentence(err, "late.wav")
    assert extract_features(path, start=3.0).num_frames == 90


def test_too_short(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(str(path), click_track(0.5, 22050), 22050)
    with pytest.raises(AudioError) as err:
        extract_features(path)
    assert "shorter than the minimum" in _assert_one_sentence(err, "blip.wav")
    with pytest.raises(AudioError, match="shorter"):
        features_from_waveform(click_track(0.5, 22050), 22050)


def test_max_duration_refused_from_the_header(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hour.flac"
    with sf.SoundFile(str(path), "w", 8000, 1, subtype="PCM_16") as f:
        block = np.zeros(8000 * 60, np.int16)
        for _ in range(60):
            f.write(block)

    def forbidden(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("decoded or hashed a file that should have been refused from its header")

    monkeypatch.setattr(audio, "_read_soundfile", forbidden)
    monkeypatch.setattr(audio, "_decode_ffmpeg", forbidden)
    monkeypatch.setattr(audio, "_cache_key", forbidden)
    with pytest.raises(AudioError) as err:
        extract_features(path, max_duration=600)
    msg = _assert_one_sentence(err, "hour.flac")
    assert "is 3600.0 s long, longer than --max-duration 600 s" in msg
    with pytest.raises(AudioError, match="longer than --max-duration"):
        audio.load_audio(path, 16000, max_duration=600)
    # the limit applies to the excerpt that would be decoded
    with pytest.raises(AudioError, match="excerpt"):
        extract_features(path, start=10.0, end=700.0, max_duration=600)


def test_max_duration_allows_shorter_files(click_wav: Path, cache: Path) -> None:
    assert extract_features(click_wav, max_duration=10).num_frames == 240
    with pytest.raises(AudioError, match="longer than --max-duration 5 s"):
        extract_features(click_wav, max_duration=5)  # refused although its features are cached


def test_ffmpeg_fallback_when_libsndfile_fails(click_wav: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio, "_read_soundfile", lambda *a, **k: None)
    f = extract_features(click_wav, use_cache=False)
    check_features(f, 8.0)
    assert abs(f.tempo - BPM) <= 1.0


# ----------------------------------------------------------------------------------------------
# real data


def test_dance_with_melody_song(dwm_root: Path, cache: Path) -> None:
    song = dwm_root / "DANCE_C_2" / "audio.mp3"
    info = sf.info(str(song))
    assert (info.samplerate, info.channels) == (44100, 2)
    assert audio.audio_duration(song) > 60
    config = json.loads((dwm_root / "DANCE_C_2" / "config.json").read_text())
    start = config["start_position"] / 25.0
    end = start + 20.0
    f = extract_features(song, start=start, end=end)
    check_features(f, 20.0)
    assert 60.0 <= f.tempo <= 200.0
    assert len(f.beat_times) >= 20  # a beat at least every second
