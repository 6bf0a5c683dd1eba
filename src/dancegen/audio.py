"""Music loading and the 35-d FACT/EDGE "baseline" audio features, one row per motion frame.

Features (METRICS.md, 'Audio features "baseline"'): the audio is resampled to ``sr = fps * 512``
(15,360 Hz at 30 fps) and analysed with hop 512, so one feature frame falls on every video frame.
Columns, in order: onset envelope (1), MFCC (20), chroma CENS (12), onset-peak one-hot (1),
beat one-hot (1). A clip of ``d`` seconds has exactly ``round(d * fps)`` frames.

Known property of the baseline, kept on purpose: librosa's ``onset_strength(center=True)`` shifts
its envelope by ``n_fft // (2 * hop)`` frames on top of the already centred STFT, so onset peaks and
beats land 0.5 to 1.25 frames (about 17-42 ms at 30 fps) after the true onset; exactly one frame
for an onset on a frame boundary. The same lag is in the features EDGE/FACT were trained on.

Loading uses soundfile (libsndfile: wav, flac, ogg, mp3) and falls back to the ffmpeg binary from
imageio-ffmpeg for anything else. Results of :func:`extract_features` are cached as ``.npz`` files
keyed by the file's content; a cache hit needs only numpy (librosa is imported lazily, only when
features are computed), so a training machine without librosa can read cached features.

Every problem with a user's audio file raises :class:`dancegen.errors.AudioError` with one sentence
that names the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import AudioError, DancegenError
from dancegen.io import atomic_path

FPS: int = 30
"""Model frame rate (frames per second)."""
FEATURE_DIM: int = 35
"""Width of a feature row: [env, mfcc(20), chroma_cens(12), peak, beat]."""
HOP: int = 512
"""Analysis hop in samples; the analysis sample rate is ``fps * HOP``."""
MIN_DURATION_S: float = 1.0
"""Shortest audio (seconds) features are computed for."""
FEATURE_VERSION: int = 1
"""Bumped whenever the feature math changes; part of the cache key."""
N_MFCC: int = 20
N_CHROMA: int = 12
SILENCE_PEAK: float = 1e-4
"""Audio whose absolute peak is below this (-80 dBFS) counts as silence."""

_CACHE_KEYS = ("features", "fps", "tempo", "beat_times", "duration", "version")


@dataclass
class AudioFeatures:
    """Per-frame audio features of a (trimmed) piece of music.

    ``features`` is (T, 35) float32 with one row per frame at ``fps``; ``tempo`` is in BPM;
    ``beat_times`` (B,) float64 are seconds from the start of the trimmed audio; ``duration`` is
    the trimmed audio's length in seconds, and ``T == round(duration * fps)``.
    """

    features: np.ndarray
    fps: float
    tempo: float
    beat_times: np.ndarray
    duration: float

    @property
    def num_frames(self) -> int:
        """Number of feature frames T."""
        return int(self.features.shape[0])


# ----------------------------------------------------------------------------------------------
# small helpers


def cache_dir() -> Path:
    """The cache folder: ``$DANCEGEN_CACHE`` or ``~/.cache/dancegen`` (not created here)."""
    env = os.environ.get("DANCEGEN_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "dancegen"


def _fmt_s(x: float) -> str:
    """Seconds for messages: 3600.0, 0.5, 12.25."""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else f"{x:.1f}"


def _excerpt_phrase(start: float, end: float | None) -> str:
    if start == 0.0 and end is None:
        return ""
    end_txt = "the end" if end is None else f"{_fmt_s(end)} s"
    return f" between {_fmt_s(start)} s and {end_txt}"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: audio file not found.")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not an audio file.")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: audio file is not readable (permission denied).")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: is an empty file, not an audio file.")


def _check_range(path: Path, start: float, end: float | None) -> None:
    if not math.isfinite(start) or start < 0:
        raise AudioError(f"{path}: start time {start} s must be a non-negative number of seconds.")
    if end is not None and (not math.isfinite(end) or end <= start):
        raise AudioError(f"{path}: end time {end} s must be after the start time {start} s.")


def _ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # noqa: BLE001 - missing package or binary: no fallback decoder
        return None


# ----------------------------------------------------------------------------------------------
# header probing


@dataclass
class _Probe:
    duration: float | None  # seconds, None when the header does not say
    samplerate: int | None
    channels: int | None
    backend: str  # "soundfile" or "ffmpeg"


_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_AUDIO_STREAM_RE = re.compile(r"Stream #\S+.*?: Audio: [^,\n]+(?:[^\n]*?(\d+) Hz)?")


@contextlib.contextmanager
def _quiet_c_stderr() -> Iterator[None]:
    """Silence C-level stderr (libsndfile's mpg123 prints warnings on damaged mp3s) for a block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _probe_soundfile(path: Path) -> _Probe | None:
    try:
        import soundfile as sf

        with _quiet_c_stderr():
            info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - libsndfile cannot read it; ffmpeg may
        return None
    if info.samplerate <= 0 or info.channels <= 0:
        return None
    duration = info.frames / info.samplerate if info.frames > 0 else None
    return _Probe(duration, int(info.samplerate), int(info.channels), "soundfile")


def _probe_ffmpeg(path: Path, exe: str) -> _Probe:
    try:
        proc = subprocess.run(
            [exe, "-hide_banner", "-nostdin", "-i", os.path.abspath(path)],  # never read as an option
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise AudioError(f"{path}: could not be inspected with ffmpeg ({err}).") from None
    text = proc.stderr.decode("utf-8", "replace")
    stream = _AUDIO_STREAM_RE.search(text)
    if stream is None:
        if "Invalid data found" in text or "could not find codec" in text.lower():
            raise AudioError(f"{path}: is not an audio file, or is corrupt (no decodable audio data in it).")
        raise AudioError(f"{path}: is not an audio file (it has no audio stream).")
    duration = None
    m = _DURATION_RE.search(text)
    if m:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    sr = int(stream.group(1)) if stream.group(1) else None
    return _Probe(duration, sr, None, "ffmpeg")


def _probe(path: Path) -> _Probe:
    probe = _probe_soundfile(path)
    if probe is not None:
        return probe
    exe = _ffmpeg_exe()
    if exe is None:
        raise AudioError(f"{path}: is not an audio file that libsndfile can read (and ffmpeg is not available).")
    return _probe_ffmpeg(path, exe)


def audio_duration(path: str | Path) -> float:
    """Length of an audio file in seconds, from its header when possible (else by decoding it)."""
    path = Path(path)
    _check_file(path)
    probe = _probe(path)
    if probe.duration is not None:
        return float(probe.duration)
    # No duration in the header: decode at a low rate and count samples.
    y = _decode_ffmpeg(path, 8000, 0.0, None)
    return len(y) / 8000.0


def _check_max_duration(path: Path, length: float, max_duration: float | None, excerpt: str) -> None:
    if max_duration is not None and length > max_duration + 1e-6:
        what = f"the excerpt{excerpt} is" if excerpt else "is"
        raise AudioError(f"{path}: {what} {length:.1f} s long, longer than --max-duration {max_duration:g} s.")


# ----------------------------------------------------------------------------------------------
# decoding


def _read_soundfile(path: Path, start: float, end: float | None) -> tuple[np.ndarray, int] | None:
    """Mono float32 at the file's own rate, or None when libsndfile cannot decode the file."""
    try:
        import soundfile as sf

        with _quiet_c_stderr(), sf.SoundFile(str(path)) as f:
            native = int(f.samplerate)
            first = int(round(start * native))
            stop = None if end is None else int(round(end * native))
            if first > 0:
                if f.seekable():
                    f.seek(min(first, f.frames) if f.frames > 0 else first)
                else:  # read and drop
                    remaining = first
                    while remaining > 0:
                        got = f.read(min(remaining, 1 << 18), dtype="float32", always_2d=True)
                        if len(got) == 0:
                            break
                        remaining -= len(got)
            todo = None if stop is None else max(stop - first, 0)
            blocks: list[np.ndarray] = []
            block = 1 << 18
            while todo is None or todo > 0:
                n = block if todo is None else min(block, todo)
                data = f.read(n, dtype="float32", always_2d=True)
                if len(data) == 0:
                    break
                blocks.append(data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0].copy())
                if todo is not None:
                    todo -= len(data)
                if len(data) < n:
                    break
    except Exception:  # noqa: BLE001 - libsndfile failed (format, corruption): try ffmpeg
        return None
    y = np.concatenate(blocks) if blocks else np.zeros(0, np.float32)
    return y.astype(np.float32, copy=False), native


def _decode_ffmpeg(path: Path, sr: int, start: float, duration: float | None) -> np.ndarray:
    """Mono float32 at ``sr`` decoded by ffmpeg (whatever it can decode of the file)."""
    exe = _ffmpeg_exe()
    if exe is None:
        raise AudioError(f"{path}: could not be decoded by libsndfile, and ffmpeg is not available.")
    cmd = [exe, "-hide_banner", "-nostdin", "-v", "error"]
    if start > 0:
        cmd += ["-ss", f"{start:.6f}"]
    cmd += ["-i", os.path.abspath(path)]  # absolute: a name starting with '-' is not an option
    if duration is not None:
        cmd += ["-t", f"{duration:.6f}"]
    cmd += ["-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(int(sr)), "-f", "f32le", "pipe:1"]
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False)
    except OSError as err:
        raise AudioError(f"{path}: could not run ffmpeg to decode it ({err.strerror}).") from None
    raw = proc.stdout[: len(proc.stdout) // 4 * 4]
    y = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if len(y) == 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f" ({msg[-1].strip()})" if msg else ""
        raise AudioError(f"{path}: is not a readable audio file or is corrupt; it decodes to no audio{detail}.")
    return y


def _resample(y: np.ndarray, orig_sr: int, sr: int) -> np.ndarray:
    if orig_sr == sr or len(y) == 0:
        return y.astype(np.float32, copy=False)
    import librosa

    return librosa.resample(y, orig_sr=orig_sr, target_sr=sr, res_type="soxr_hq").astype(np.float32, copy=False)


def load_audio(
    path: str | Path,
    sr: int,
    start: float = 0.0,
    end: float | None = None,
    max_duration: float | None = None,
) -> np.ndarray:
    """Decode the ``[start, end)`` seconds of an audio file to mono float32 (N,) at ``sr`` Hz.

    Reads any of mp3/wav/ogg/flac (libsndfile; other formats through ffmpeg), any sample rate and
    channel count (channels are averaged). ``max_duration`` (seconds) refuses a longer excerpt from
    the file header before anything is decoded. Raises AudioError for a missing, unreadable, corrupt
    or too long file, or an excerpt that starts after the end of the audio.
    """
    if int(sr) != sr or sr <= 0:
        raise ValueError(f"sr must be a positive integer (Hz), got {sr}")
    return _load(Path(path), int(sr), start, end, max_duration)[0]


def _load(
    path: Path, sr: int, start: float, end: float | None, max_duration: float | None
) -> tuple[np.ndarray, float | None]:
    """load_audio, plus the excerpt length (seconds) the header promised (None if unknown)."""
    start = float(start)
    end = None if end is None else float(end)
    _check_file(path)
    _check_range(path, start, end)
    excerpt = _excerpt_phrase(start, end)
    probe = _probe(path)

    limit: float | None = None  # decode at most this many seconds (unknown header length)
    expected: float | None = None
    if probe.duration is not None:
        if start >= probe.duration:
            raise AudioError(
                f"{path}: start time {_fmt_s(start)} s is past the end of the audio ({_fmt_s(probe.duration)} s)."
            )
        stop = probe.duration if end is None else min(end, probe.duration)
        expected = stop - start
        _check_max_duration(path, expected, max_duration, excerpt)
    elif max_duration is not None:
        limit = max_duration + 1.0

    span = None if end is None else end - start
    if limit is not None:
        span = limit if span is None else min(span, limit)

    y: np.ndarray | None = None
    if probe.backend == "soundfile":
        got = _read_soundfile(path, start, None if span is None else start + span)
        if got is not None and len(got[0]) > 0:
            y = _resample(got[0], got[1], sr)
    if y is None:  # libsndfile could not open or decode it: let ffmpeg decode what it can
        y = _decode_ffmpeg(path, sr, start, span)
    if len(y) == 0:
        raise AudioError(f"{path}: is corrupt or truncated; it decodes to no audio{excerpt}.")
    if not np.all(np.isfinite(y)):
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    if limit is not None:
        _check_max_duration(path, len(y) / sr, max_duration, excerpt)
    return y, expected


# ----------------------------------------------------------------------------------------------
# features


def _fit_length(a: np.ndarray, n: int) -> np.ndarray:
    """Trim or edge-pad a (frames, d) array to n frames."""
    if len(a) >= n:
        return a[:n]
    if len(a) == 0:
        return np.zeros((n, a.shape[1]), a.dtype)
    return np.concatenate([a, np.repeat(a[-1:], n - len(a), axis=0)], axis=0)


def _as_mono(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 1:
        return y
    if y.ndim != 2:
        raise ValueError(f"waveform must be (N,) or (N, channels), got shape {y.shape}")
    if y.shape[0] <= 8 < y.shape[1]:  # librosa-style (channels, N)
        y = y.T
    return y.mean(axis=1, dtype=np.float32)


def _check_signal(y: np.ndarray, sr: int, name: str, excerpt: str = "", expected: float | None = None) -> None:
    duration = len(y) / sr
    if duration < MIN_DURATION_S - 1e-9:
        if expected is not None and expected >= MIN_DURATION_S and duration < 0.9 * expected:
            raise AudioError(
                f"{name}: decodes to only {duration:.2f} s of audio{excerpt} although its header says "
                f"{expected:.1f} s (the file is truncated or corrupt)."
            )
        what = f"the excerpt{excerpt} is" if excerpt else "is"
        raise AudioError(
            f"{name}: {what} only {duration:.2f} s long, shorter than the minimum {MIN_DURATION_S:g} s."
        )
    if not np.any(np.abs(y) >= SILENCE_PEAK):
        raise AudioError(f"{name}: contains only silence{excerpt}.")


def _compute_features(y: np.ndarray, sr: int, fps: int, tempo_hint: float | None) -> AudioFeatures:
    """The baseline feature math on mono ``y`` already at ``sr == fps * HOP``."""
    import librosa

    n_frames = int(round(len(y) / sr * fps))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        envelope = librosa.onset.onset_strength(y=y, sr=sr, hop_length=HOP)  # (F,)
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=N_MFCC, hop_length=HOP).T  # (F, 20)
        chroma = librosa.feature.chroma_cens(y=y, sr=sr, hop_length=HOP, n_chroma=N_CHROMA).T  # (F, 12)
        peak_idx = librosa.onset.onset_detect(onset_envelope=envelope, sr=sr, hop_length=HOP)
        if tempo_hint is not None:
            tempo = float(tempo_hint)
        else:
            tempo = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=envelope, sr=sr, hop_length=HOP))[0])
        _, beat_idx = librosa.beat.beat_track(
            onset_envelope=envelope, sr=sr, hop_length=HOP, start_bpm=tempo, tightness=100
        )
    peak_idx = np.asarray(peak_idx, dtype=np.int64)
    beat_idx = np.unique(np.asarray(beat_idx, dtype=np.int64))
    peak_idx = peak_idx[(peak_idx >= 0) & (peak_idx < n_frames)]
    beat_idx = beat_idx[(beat_idx >= 0) & (beat_idx < n_frames)]
    peaks = np.zeros((n_frames, 1), np.float32)
    peaks[peak_idx, 0] = 1.0
    beats = np.zeros((n_frames, 1), np.float32)
    beats[beat_idx, 0] = 1.0
    feats = np.concatenate(
        [
            _fit_length(envelope[:, None].astype(np.float32), n_frames),
            _fit_length(mfcc.astype(np.float32), n_frames),
            _fit_length(chroma.astype(np.float32), n_frames),
            peaks,
            beats,
        ],
        axis=1,
    )
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
    return AudioFeatures(
        features=feats,
        fps=float(fps),
        tempo=tempo,
        beat_times=beat_idx.astype(np.float64) / fps,
        duration=len(y) / sr,
    )


def _features(
    y: np.ndarray,
    sr: int,
    fps: int,
    tempo_hint: float | None,
    name: str,
    excerpt: str = "",
    expected: float | None = None,
) -> AudioFeatures:
    if int(fps) != fps or fps <= 0:
        raise ValueError(f"fps must be a positive integer, got {fps}")
    fps = int(fps)
    if tempo_hint is not None and not (math.isfinite(tempo_hint) and tempo_hint > 0):
        raise ValueError(f"tempo_hint must be a positive number of BPM, got {tempo_hint}")
    y = _as_mono(y)
    if not np.all(np.isfinite(y)):
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    _check_signal(y, sr, name, excerpt, expected)
    duration = len(y) / sr
    target = fps * HOP
    y = _resample(y, sr, target)
    try:
        out = _compute_features(y, target, fps, tempo_hint)
    except DancegenError:
        raise
    except Exception as err:  # noqa: BLE001 - one sentence, never a librosa traceback
        raise AudioError(f"{name}: audio feature extraction failed ({type(err).__name__}: {err}).") from err
    out.duration = duration
    return out


def features_from_waveform(
    y: np.ndarray, sr: int, fps: int = FPS, tempo_hint: float | None = None
) -> AudioFeatures:
    """Baseline features of a waveform: ``y`` (N,) or (N, channels) at ``sr`` Hz -> (round(N/sr*fps), 35).

    ``tempo_hint`` (BPM) replaces librosa's tempo estimate as the beat tracker's start tempo.
    Raises AudioError for silence or audio shorter than MIN_DURATION_S.
    """
    return _features(np.asarray(y), int(sr), fps, tempo_hint, "the waveform")


# ----------------------------------------------------------------------------------------------
# cache


def _cache_key(path: Path, fps: int, start: float, end: float | None, tempo_hint: float | None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    params = (
        f"|fps={int(fps)}|start={float(start)!r}|end={None if end is None else float(end)!r}"
        f"|tempo={None if tempo_hint is None else float(tempo_hint)!r}|v={FEATURE_VERSION}|hop={HOP}"
    )
    h.update(params.encode())
    return h.hexdigest()


def _cache_file(key: str) -> Path:
    return cache_dir() / "features" / f"{key}.npz"


def _load_cached(file: Path, fps: int) -> AudioFeatures | None:
    if not file.is_file():
        return None
    try:
        with np.load(file, allow_pickle=False) as z:
            if any(k not in z.files for k in _CACHE_KEYS) or int(z["version"]) != FEATURE_VERSION:
                return None
            feats = np.asarray(z["features"], dtype=np.float32)
            out = AudioFeatures(
                features=feats,
                fps=float(z["fps"]),
                tempo=float(z["tempo"]),
                beat_times=np.asarray(z["beat_times"], dtype=np.float64),
                duration=float(z["duration"]),
            )
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    if (
        feats.ndim != 2
        or feats.shape[1] != FEATURE_DIM
        or out.fps != fps
        or feats.shape[0] != int(round(out.duration * fps))
        or not np.all(np.isfinite(feats))
    ):
        return None
    return out


def _save_cached(file: Path, feats: AudioFeatures) -> None:
    """Best effort: an unwritable cache only costs recomputation."""
    with contextlib.suppress(OSError, DancegenError):
        file.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(file) as tmp, tmp.open("wb") as f:
            np.savez(
                f,
                features=feats.features.astype(np.float32),
                fps=np.float64(feats.fps),
                tempo=np.float64(feats.tempo),
                beat_times=feats.beat_times.astype(np.float64),
                duration=np.float64(feats.duration),
                version=np.int64(FEATURE_VERSION),
            )


def extract_features(
    path: str | Path,
    fps: int = FPS,
    start: float = 0.0,
    end: float | None = None,
    tempo_hint: float | None = None,
    max_duration: float | None = None,
    use_cache: bool = True,
) -> AudioFeatures:
    """Baseline features of the ``[start, end)`` seconds of an audio file: (round(dur*fps), 35).

    ``tempo_hint`` (BPM) replaces librosa's tempo estimate; ``max_duration`` (seconds) refuses a
    longer excerpt before decoding. Results are cached in ``cache_dir()/features`` keyed by the
    file content and the arguments; a cache hit imports no librosa. Raises AudioError for any
    problem with the file (missing, not audio, corrupt, silent, too short, too long).
    """
    path = Path(path)
    start = float(start)
    end = None if end is None else float(end)
    _check_file(path)
    _check_range(path, start, end)
    if int(fps) != fps or fps <= 0:
        raise ValueError(f"fps must be a positive integer, got {fps}")
    fps = int(fps)
    excerpt = _excerpt_phrase(start, end)

    if max_duration is not None:  # refuse from the header before hashing or decoding anything
        probe = _probe(path)
        if probe.duration is not None:
            stop = probe.duration if end is None else min(end, probe.duration)
            _check_max_duration(path, stop - start, max_duration, excerpt)

    cache_file: Path | None = None
    if use_cache:
        try:
            cache_file = _cache_file(_cache_key(path, fps, start, end, tempo_hint))
        except OSError as err:
            raise AudioError(f"{path}: audio file could not be read ({err.strerror}).") from None
        hit = _load_cached(cache_file, fps)
        if hit is not None:
            _check_max_duration(path, hit.duration, max_duration, excerpt)
            return hit

    y, expected = _load(path, fps * HOP, start, end, max_duration)
    feats = _features(y, fps * HOP, fps, tempo_hint, str(path), excerpt, expected)
    if cache_file is not None:
        _save_cached(cache_file, feats)
    return feats
