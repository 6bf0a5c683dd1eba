"""The synthesised demo song: length, level, determinism, and a beat grid the feature code finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dancegen.audio import FPS, extract_features
from dancegen.demo_song import DEMO_BPM, DEMO_DURATION, DEMO_SR, synthesize_demo_song, write_demo_song
from dancegen.errors import OutputError


@pytest.fixture(scope="module")
def demo_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_song(tmp_path_factory.mktemp("demo") / "demo.wav")


def test_constants() -> None:
    assert DEMO_BPM == 120.0
    assert DEMO_DURATION == 20.0


def test_file_has_the_asked_duration_and_is_not_clipped(demo_wav: Path) -> None:
    info = sf.info(str(demo_wav))
    assert info.samplerate == DEMO_SR
    assert info.subtype == "PCM_16" and info.format == "WAV"
    assert info.duration == pytest.approx(DEMO_DURATION, abs=1e-3)
    y, _ = sf.read(str(demo_wav), dtype="float32")
    peak = float(np.max(np.abs(y)))
    assert 0.5 < peak <= 0.9
    assert np.mean(np.abs(y) > 0.899) < 1e-4  # no flat tops
    # both channels carry the song, not identical (chords are spread L/R)
    assert np.std(y[:, 0]) > 0.05 and np.std(y[:, 1]) > 0.05
    assert not np.allclose(y[:, 0], y[:, 1])


def test_synthesis_is_deterministic_and_sized() -> None:
    a = synthesize_demo_song(duration=3.3, bpm=100.0, sr=22050, seed=1)
    b = synthesize_demo_song(duration=3.3, bpm=100.0, sr=22050, seed=1)
    assert a.dtype == np.float32
    assert a.shape == (round(3.3 * 22050), 2)
    assert np.all(np.isfinite(a)) and np.max(np.abs(a)) <= 0.9
    np.testing.assert_array_equal(a, b)
    # starts and ends softly: no click at either edge
    assert np.max(np.abs(a[:5])) < 0.05 and np.max(np.abs(a[-5:])) < 0.05


def test_demo_song_beats_on_the_grid(demo_wav: Path) -> None:
    f = extract_features(demo_wav, use_cache=False)
    assert f.features.shape == (round(DEMO_DURATION * FPS), 35)
    assert abs(f.tempo - DEMO_BPM) <= 2.0
    grid = np.arange(0.0, DEMO_DURATION, 60.0 / DEMO_BPM)
    tol = 1.0 / FPS + 1e-6
    dist_grid = np.abs(f.beat_times[:, None] - grid[None, :]).min(axis=0)
    assert np.mean(dist_grid <= tol) >= 0.9  # grid beats found
    dist_beats = np.abs(f.beat_times[:, None] - grid[None, :]).min(axis=1)
    assert np.mean(dist_beats <= tol) >= 0.9  # found beats lie on the grid


def test_other_tempo_is_tracked(tmp_path: Path) -> None:
    path = write_demo_song(tmp_path / "fast.wav", duration=10.0, bpm=100.0)
    f = extract_features(path, use_cache=False)
    assert f.tempo == pytest.approx(100.0, abs=2.0)  # 100 BPM = 18 frames per beat at 30 fps


def test_write_refuses_existing_file_without_force(demo_wav: Path) -> None:
    before = demo_wav.read_bytes()
    with pytest.raises(OutputError, match="already exists"):
        write_demo_song(demo_wav)
    assert demo_wav.read_bytes() == before
    assert write_demo_song(demo_wav, force=True) == demo_wav
    assert not list(demo_wav.parent.glob(".*.part*"))  # no temp files left behind


def test_write_errors(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_demo_song(tmp_path / "missing folder" / "demo.wav")
    with pytest.raises(OutputError, match=r"\.wav"):
        write_demo_song(tmp_path / "demo.mp3")
