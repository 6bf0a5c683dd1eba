"""Music-responsiveness measures: beat-hit rate, movement tempo, tempo following, energy following.

Definitions (constants below; docs/METRICS.md, "Music responsiveness"):

- **Beat-hit rate**: the share of music beats with a motion beat within ``tol_s`` = ±0.1 s
  (inclusive). In the evaluation suite the motion beats are Bailando's (minima of the mean joint
  speed smoothed by a Gaussian of sigma 5 frames at 60 fps, ``beats.bailando_motion_beats``) and
  music beats past the motion's end are dropped, exactly as for Bailando's BAS. For motion beats
  scattered at random at a rate of ``b`` per second the expected rate is about
  ``1 - exp(-2 * tol_s * b)`` (18 % at 1 beat/s, 33 % at 2/s): read it beside the
  mismatched-music row.
- **Movement tempo** (BPM): the strongest periodicity of the smoothed mean joint speed. The
  joints are smoothed in time by a Gaussian of sigma ``TEMPO_SMOOTH_S`` = 0.05 s (smoothing the
  positions rather than the speed keeps frame jitter out of it), the speed taken (m/s, mean over
  joints of |p[t+1] - p[t]| * fps), its slow trend (a Gaussian of sigma ``TEMPO_DETREND_S`` =
  1.5 s) subtracted, and its biased autocorrelation (sum over the overlap divided by the full
  length, normalised to 1 at lag 0, interpolated to 5-ms lag steps by zero-padding its spectrum)
  searched for local maxima between the lags of ``TEMPO_MAX_BPM`` = 240 and ``TEMPO_MIN_BPM`` =
  20 cycles per minute (the longest lag capped at a third of the clip). The
  highest positive maximum wins; its lag is refined by a parabola through the three samples
  around it; tempo = 60 / lag. A periodic speed has equal peaks at every multiple of its period:
  the biased estimate weights lag ``L`` by ``1 - L / T``, so the shortest period (the fastest
  tempo) wins among equally strong octaves. No tempo prior is applied: real ballroom dances move at
  the bar level (waltz: about 28 speed cycles per minute against 86-BPM music). One speed cycle
  is one kinematic beat (speed minimum): a body bobbing down on one beat and up on the next has
  a movement tempo equal to the music's BPM. No periodicity (a still body, noise): NaN.
- **Tempo following**: generate a dance for the song and for the song time-stretched with
  ``librosa.effects.time_stretch`` at rates 0.8 and 1.25 (rate r multiplies the tempo by r and
  divides the duration by r); expected tempo ratio (stretched / unstretched) = r. The ratio is
  measured by :func:`tempo_ratio`, which matches the two dances' whole speed autocorrelations
  (lags 0.25-3 s) over time scalings, instead of dividing two movement tempi: a dance has speed
  periodicities at several metrical levels (beat, half bar, bar) of nearly equal strength, and the
  peak that :func:`movement_tempo` picks can jump between them from one generation to the next
  (two octaves, or a factor of 3), which is a property of the estimator, not of the dance. Error
  (percent) = 100 * min over k in {-1, 0, 1} of |ratio * 2**k / r - 1|: octave-tolerant, since a
  dance that switches from every beat to every second beat of the faster song still follows it
  (``strict_error_pct`` has k = 0 only). A dance that ignores the tempo (ratio 1) scores 25 % at
  0.8x and 20 % at 1.25x; so does a pair without a ratio (no match inside 0.5-2x). The ratio of
  the two movement tempi is reported beside it
  (``bpm_ratio``, ``bpm_error_pct``: the definition before 2026-11-28).
- **Energy following**: Pearson r between the music's loudness (dB, RMS of a 0.1-s window centred
  on each frame, floored at -80 dBFS) and the mean joint speed, both smoothed by a Gaussian of
  sigma ``ENERGY_SMOOTH_S`` = 1 s. Constant loudness or speed (a still body): NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.metrics.beats import nearest_distance

#: Beat-hit tolerance (seconds, either side, inclusive).
TOL_S = 0.1
#: Movement-tempo search range (speed cycles per minute).
TEMPO_MIN_BPM = 20.0
TEMPO_MAX_BPM = 240.0
#: Gaussian sigma (s) smoothing the joints (in time) before the speed is taken, for the movement tempo.
TEMPO_SMOOTH_S = 0.05
#: Gaussian sigma (s) of the slow trend subtracted from the speed.
TEMPO_DETREND_S = 1.5
#: Lag resolution (s) of the interpolated autocorrelation the movement tempo is read from.
TEMPO_LAG_STEP_S = 0.005
#: Gaussian sigma (s) smoothing loudness and speed for energy following.
ENERGY_SMOOTH_S = 1.0
#: Window (s) of the loudness RMS and its floor (dBFS).
LOUDNESS_WINDOW_S = 0.1
LOUDNESS_FLOOR_DB = -80.0
#: Lags (s) compared when matching two speed autocorrelations (tempo_ratio): the movement-tempo range.
MATCH_MIN_LAG_S = 60.0 / TEMPO_MAX_BPM
MATCH_MAX_LAG_S = 60.0 / TEMPO_MIN_BPM
#: Tempo ratios tempo_ratio searches (a log grid of this step; a best match on the grid's edge is
#: no estimate).
MATCH_RATIOS = (0.5, 2.0)
MATCH_LOG_STEP = 0.002
#: Gaussian sigma (s) of the speed trend tempo_ratio subtracts: long against the lags compared, so
#: that the filter (fixed in seconds) hardly shapes them. With the movement tempo's 1.5 s, the 35
#: real dances played at 0.8x read up to 9 % off (median 1.9 %); with 10 s, within 0.7 %.
MATCH_DETREND_S = 10.0
#: Tempo stretches of the tempo-following test (rates of librosa.effects.time_stretch).
STRETCHES: tuple[float, ...] = (0.8, 1.25)
#: Sample rate (Hz) a song is loaded at for tempo following when none is given.
DEFAULT_SR = 22050


def joint_speed(joints: np.ndarray, fps: float) -> np.ndarray:
    """Mean joint speed (T-1,) in m/s of joints (T, J, 3) in metres at ``fps``; NaN joints are ignored."""
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] != 3:
        raise ValueError(f"joints must be (T, J, 3), got {p.shape}")
    step = np.linalg.norm(p[1:] - p[:-1], axis=-1)
    keep = np.isfinite(step).all(axis=0)
    if not keep.any():
        raise ValueError("joints: every joint has NaN values")
    return step[:, keep].mean(axis=-1) * float(fps)


# ----------------------------------------------------------------------------------------------
# beat-hit rate


def beat_hit_rate(music_beats: np.ndarray, motion_beats: np.ndarray, fps: float, tol_s: float = TOL_S) -> float:
    """Share (0..1) of music beats with a motion beat within ±``tol_s`` seconds (inclusive).

    Both beat lists are frame indices at ``fps`` frames per second. No music beat: NaN (undefined);
    no motion beat: 0.
    """
    music = np.asarray(music_beats, dtype=np.float64).ravel()
    if music.size == 0:
        return float("nan")
    d = nearest_distance(music, np.asarray(motion_beats, dtype=np.float64).ravel())
    return float(np.mean(d <= tol_s * fps + 1e-9))


# ----------------------------------------------------------------------------------------------
# movement tempo


def speed_autocorrelation(
    joints: np.ndarray,
    fps: float,
    smooth_s: float = TEMPO_SMOOTH_S,
    detrend_s: float = TEMPO_DETREND_S,
    upsample: int = 1,
) -> np.ndarray:
    """Biased autocorrelation of the smoothed, detrended mean joint speed; r[0] = 1.

    The joints are smoothed by a Gaussian of sigma ``smooth_s`` seconds before the speed is taken,
    and the speed's trend (a Gaussian of sigma ``detrend_s`` s) is subtracted. ``r[k]`` is the
    autocorrelation at a lag of ``k / upsample`` frames (band-limited interpolation: the spectrum
    is zero-padded), k < (T-1) * upsample. All zeros for a body whose speed does not vary.
    """
    from scipy.ndimage import gaussian_filter1d

    p = gaussian_filter1d(np.asarray(joints, dtype=np.float64), smooth_s * fps, axis=0, mode="nearest")
    s = joint_speed(p, fps)
    s = s - gaussian_filter1d(s, detrend_s * fps, mode="nearest")
    n = s.size
    spec = np.fft.rfft(s, 2 * n)
    r = np.fft.irfft(np.abs(spec) ** 2, 2 * n * upsample)[: n * upsample] * upsample
    if not r[0] > n * 1e-12:  # speed varies by less than 1e-6 m/s RMS: no periodicity to find
        return np.zeros(n * upsample)
    return r / r[0]


def movement_tempo(
    joints: np.ndarray,
    fps: float,
    min_bpm: float = TEMPO_MIN_BPM,
    max_bpm: float = TEMPO_MAX_BPM,
    smooth_s: float = TEMPO_SMOOTH_S,
    detrend_s: float = TEMPO_DETREND_S,
) -> float:
    """Movement tempo (speed cycles per minute, "BPM") of joints (T, J, 3) in metres at ``fps``.

    The lag of the highest positive local maximum of :func:`speed_autocorrelation` (interpolated to
    ``TEMPO_LAG_STEP_S`` steps) between the lags of ``max_bpm`` and ``min_bpm`` (the longest lag is
    capped at a third of the clip), refined by a parabola; 60 / lag. NaN when there is no such
    maximum (a still body, a clip too short for the range, no periodicity).
    """
    up = max(1, int(math.ceil(1.0 / (TEMPO_LAG_STEP_S * fps))))
    r = speed_autocorrelation(joints, fps, smooth_s, detrend_s, upsample=up)
    n = r.size
    rate = fps * up  # lag samples per second
    lo = max(1, int(math.floor(60.0 * rate / max_bpm)))
    hi = min(n // 3, int(math.ceil(60.0 * rate / min_bpm)), n - 2)
    best_val, best_lag = 0.0, None
    for lag in range(lo, hi + 1):
        a, b, c = r[lag - 1], r[lag], r[lag + 1]
        if not (b > a and b >= c and b > 0):
            continue
        curv = a - 2 * b + c
        d = float(np.clip(0.5 * (a - c) / curv, -0.5, 0.5)) if curv < 0 else 0.0
        val = b - 0.25 * (a - c) * d
        bpm = 60.0 * rate / (lag + d)
        if min_bpm <= bpm <= max_bpm and val > best_val:
            best_val, best_lag = val, lag + d
    return float("nan") if best_lag is None else 60.0 * rate / best_lag


def _lag_autocorrelation(joints: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(lags in s, unbiased speed autocorrelation) at ``TEMPO_LAG_STEP_S`` steps, lags up to a third of
    the clip; the speed detrended by ``MATCH_DETREND_S``."""
    up = max(1, int(math.ceil(1.0 / (TEMPO_LAG_STEP_S * fps))))
    r = speed_autocorrelation(joints, fps, detrend_s=MATCH_DETREND_S, upsample=up)
    n = len(joints) - 1  # speed samples
    lag = np.arange(r.size) / up  # frames
    keep = lag <= n / 3
    return lag[keep] / fps, r[keep] * n / (n - lag[keep])


def tempo_ratio(
    joints_a: np.ndarray, fps_a: float, joints_b: np.ndarray, fps_b: float,
    min_lag_s: float = MATCH_MIN_LAG_S, max_lag_s: float = MATCH_MAX_LAG_S,
    ratios: tuple[float, float] = MATCH_RATIOS,
) -> tuple[float, float]:
    """How many times faster dance b moves than dance a: (ratio, match), NaN ratio when undefined.

    Both dances' smoothed, detrended mean joint speeds (as :func:`speed_autocorrelation`, with a
    trend of ``MATCH_DETREND_S``) give unbiased autocorrelations A_a and A_b as functions of the lag
    in seconds. If b is a played r
    times as fast, A_b(tau) = A_a(r * tau). The ratio is the rho of the grid exp(k x
    ``MATCH_LOG_STEP``) within ``ratios`` whose Pearson correlation between A_b(tau) and A_a(rho * tau) is
    highest, tau from ``min_lag_s`` to ``max_lag_s`` (capped at a third of b and a third of a / the
    largest rho) in ``TEMPO_LAG_STEP_S`` steps; ``match`` is that correlation (-1..1). Every
    metrical level of both dances takes part, so no peak has to be picked. Ratio NaN when the best
    match lies on the edge of the grid (the ratio is outside ``ratios``, or there is none: the match is
    returned); both NaN for a still body or clips too short for a lag range of 0.5 s.
    """
    ta, aa = _lag_autocorrelation(joints_a, fps_a)
    tb, ab = _lag_autocorrelation(joints_b, fps_b)
    lo_r, hi_r = ratios
    hi = min(max_lag_s, tb[-1] if tb.size else 0.0, (ta[-1] if ta.size else 0.0) / hi_r)
    if not hi - min_lag_s >= 0.5 or not (np.any(aa[1:]) and np.any(ab[1:])):
        return float("nan"), float("nan")
    tau = np.arange(min_lag_s, hi, TEMPO_LAG_STEP_S)
    yb = np.interp(tau, tb, ab)
    yb = yb - yb.mean()
    ks = np.arange(math.ceil(math.log(lo_r) / MATCH_LOG_STEP - 1e-9), math.floor(math.log(hi_r) / MATCH_LOG_STEP + 1e-9) + 1)
    rhos = np.exp(ks * MATCH_LOG_STEP)  # 1 (k = 0) is on the grid
    ya = np.interp(rhos[:, None] * tau[None, :], ta, aa)
    ya = ya - ya.mean(axis=1, keepdims=True)
    den = np.linalg.norm(ya, axis=1) * np.linalg.norm(yb)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(den > 0, ya @ yb / den, np.nan)
    if not np.isfinite(corr).any():
        return float("nan"), float("nan")
    k = int(np.nanargmax(corr))
    if k in (0, len(rhos) - 1):
        return float("nan"), float(corr[k])
    return float(rhos[k]), float(corr[k])


# ----------------------------------------------------------------------------------------------
# energy following


def loudness_db(y: np.ndarray, sr: int, fps: float, window_s: float = LOUDNESS_WINDOW_S) -> np.ndarray:
    """Loudness (round(N / sr * fps),) in dBFS of mono ``y`` (N,) at ``sr`` Hz, one value per frame.

    Value k is 20 log10 of the RMS over the ``window_s`` seconds centred on k / fps (cut at the
    ends of the signal), floored at LOUDNESS_FLOOR_DB.
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(f"y must be mono (N,), got {y.shape}")
    n = int(round(y.size / sr * fps))
    csum = np.concatenate([[0.0], np.cumsum(y * y)])
    centre = np.arange(n) * sr / fps
    half = 0.5 * window_s * sr
    a = np.clip(np.round(centre - half).astype(np.int64), 0, y.size)
    b = np.clip(np.round(centre + half).astype(np.int64), 0, y.size)
    b = np.maximum(b, np.minimum(a + 1, y.size))
    count = np.maximum(b - a, 1)
    rms = np.sqrt(np.maximum(csum[b] - csum[a], 0.0) / count)
    floor = 10.0 ** (LOUDNESS_FLOOR_DB / 20.0)
    return 20.0 * np.log10(np.maximum(rms, floor))


def loudness_from_file(
    path: str | Path, fps: float, start: float = 0.0, end: float | None = None, sr: int = DEFAULT_SR
) -> np.ndarray:
    """Loudness (dBFS) per frame at ``fps`` of the ``[start, end)`` seconds of an audio file."""
    from dancegen.audio import load_audio

    return loudness_db(load_audio(path, sr, start, end), sr, fps)


def energy_following(
    loudness: np.ndarray, joints: np.ndarray, fps: float, smooth_s: float = ENERGY_SMOOTH_S
) -> float:
    """Pearson r between smoothed loudness and smoothed mean joint speed (unitless, -1..1).

    ``loudness`` (T,) in dB, one value per frame of ``joints`` (T, J, 3) at ``fps`` (frame k at
    k / fps from the dance's start); speed t (between frames t and t+1) is paired with loudness t,
    over the frames both cover. Both are smoothed by a Gaussian of sigma ``smooth_s`` seconds.
    NaN when either is constant or fewer than 2 s overlap.
    """
    from scipy.ndimage import gaussian_filter1d

    speed = joint_speed(joints, fps)
    loud = np.asarray(loudness, dtype=np.float64).ravel()
    n = min(loud.size, speed.size)
    if n < 2 * fps:
        return float("nan")
    sigma = smooth_s * fps
    a = gaussian_filter1d(loud[:n], sigma, mode="nearest")
    b = gaussian_filter1d(speed[:n], sigma, mode="nearest")
    a, b = a - a.mean(), b - b.mean()
    na, nb = math.sqrt(float(a @ a)), math.sqrt(float(b @ b))
    if na <= 1e-9 * math.sqrt(n) or nb <= 1e-9 * math.sqrt(n):
        return float("nan")
    return float(np.clip((a @ b) / (na * nb), -1.0, 1.0))


# ----------------------------------------------------------------------------------------------
# tempo following


def tempo_ratio_error(ratio: float, expected: float, octave: bool = True) -> float:
    """Error (percent) of a tempo ratio against the expected one, octave-tolerant by default.

    100 * min over k in {-1, 0, 1} of |ratio * 2**k / expected - 1| (k = 0 only when not ``octave``).
    NaN when the ratio is not a positive number.
    """
    if not (ratio > 0 and math.isfinite(ratio)):
        return float("nan")
    ks = (-1, 0, 1) if octave else (0,)
    return 100.0 * min(abs(ratio * 2.0**k / expected - 1.0) for k in ks)


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """``y`` played ``rate`` times as fast (tempo x rate, duration / rate), pitch kept (librosa)."""
    import librosa

    if rate == 1.0:
        return np.asarray(y, dtype=np.float32)
    return librosa.effects.time_stretch(np.asarray(y, dtype=np.float32), rate=float(rate)).astype(np.float32)


def _waveform(audio: Any, sr: int | None, start: float, end: float | None) -> tuple[np.ndarray, int]:
    if isinstance(audio, (str, Path)):
        from dancegen.audio import load_audio

        rate = int(sr or DEFAULT_SR)
        return load_audio(audio, rate, start, end), rate
    if isinstance(audio, tuple) and len(audio) == 2:
        y, rate = audio
    else:
        if sr is None:
            raise ValueError("a waveform needs its sample rate: pass (y, sr) or sr=")
        y, rate = audio, sr
    y = np.asarray(y, dtype=np.float32)
    rate = int(rate)
    a = int(round(start * rate))
    b = None if end is None else int(round(end * rate))
    return y[a:b], rate


def _joints_of(dance: Any) -> tuple[np.ndarray, float]:
    joints, fps = dance if isinstance(dance, tuple) else (dance.joints, dance.fps)
    return np.asarray(joints), float(fps)


def tempo_following(
    generate_fn: Callable[[np.ndarray, int], Any],
    audio: Any,
    stretches: Iterable[float] = STRETCHES,
    sr: int | None = None,
    start: float = 0.0,
    end: float | None = None,
    tempo_fn: Callable[[np.ndarray, float], float] = movement_tempo,
    base: Any = None,
) -> dict[str, Any]:
    """How the movement tempo of generated dances scales with the music's tempo.

    ``generate_fn(y, sr)`` turns a mono waveform (N,) float32 at ``sr`` Hz into a dance: a Motion
    (anything with ``joints`` (T, J, 3) metres and ``fps``) or a tuple ``(joints, fps)``. ``audio``
    is a file path (decoded at ``sr``, default 22,050 Hz), a tuple ``(y, sr)`` or an array with
    ``sr=``; ``start``/``end`` (seconds) cut an excerpt. For each rate r of ``stretches`` the song
    is time-stretched (tempo x r) and a dance generated. ``base``: the dance already generated for
    the unstretched excerpt (saves that generation).

    Returns ``{"base_bpm", "rates": {r: {"ratio", "match", "expected", "error_pct",
    "strict_error_pct", "bpm", "bpm_ratio", "bpm_error_pct"}}, "mean_error_pct"}``: ``ratio`` from
    :func:`tempo_ratio` (stretched dance vs unstretched), ``match`` its autocorrelation match,
    errors in percent (``error_pct`` octave-tolerant, see :func:`tempo_ratio_error`); ``bpm`` and
    ``base_bpm`` are ``tempo_fn`` (the movement tempo) of each dance, ``bpm_ratio`` their ratio and
    ``bpm_error_pct`` its octave-tolerant error. A stretch without a ratio (NaN: no match inside
    ``MATCH_RATIOS``, or a still body) is scored as ratio 1, a dance that ignores the tempo (25 % at
    0.8x, 20 % at 1.25x), so that it counts as a miss in ``mean_error_pct``.
    """
    y, rate_hz = _waveform(audio, sr, start, end)
    base_joints, base_fps = _joints_of(generate_fn(y, rate_hz) if base is None else base)
    base_bpm = float(tempo_fn(base_joints, base_fps))
    rates: dict[float, dict[str, float]] = {}
    for r in stretches:
        r = float(r)
        if not r > 0:
            raise ValueError(f"stretch rates must be positive, got {r}")
        joints, fps = _joints_of(generate_fn(time_stretch(y, r), rate_hz))
        ratio, match = tempo_ratio(base_joints, base_fps, joints, fps)
        # no ratio (no match inside MATCH_RATIOS, or a still body): scored as a dance that ignores the tempo
        scored = ratio if math.isfinite(ratio) else 1.0
        bpm = float(tempo_fn(joints, fps))
        bpm_ratio = bpm / base_bpm if base_bpm > 0 else float("nan")
        rates[r] = {
            "ratio": ratio,
            "match": match,
            "expected": r,
            "error_pct": tempo_ratio_error(scored, r),
            "strict_error_pct": tempo_ratio_error(scored, r, octave=False),
            "bpm": bpm,
            "bpm_ratio": bpm_ratio,
            "bpm_error_pct": tempo_ratio_error(bpm_ratio, r),
        }
    errors = [v["error_pct"] for v in rates.values() if math.isfinite(v["error_pct"])]
    return {
        "base_bpm": base_bpm,
        "rates": rates,
        "mean_error_pct": float(np.mean(errors)) if errors and len(errors) == len(rates) else float("nan"),
    }
