"""What the music tells the renderers, one value per video frame: beat pulses, energy, colour.

* ``beat`` (T,) in [0, 1]: 1 on the frame nearest each beat, decaying exponentially
  (``dancegen.render.skeleton.beat_envelope``, time constant 0.16 s).
* ``beat_index`` (T,) int: how many beats have passed (-1 before the first); styles alternate
  colours with it.
* ``since_beat`` (T,) s: time since the last beat (inf before the first); rings expand with it.
* ``energy`` (T,) in [0, 1]: how loud and busy the music is, smoothed over about half a second.
  From the song (``audio_energy``: loudness from the first MFCC and onset strength of the 35-d
  features, normalised per song), or, without audio, from the local beat rate.
* ``hue`` (T,) in [0, 1): the palette's hue; drifts slowly (faster when the music is energetic) and
  steps by a small amount at the start of every 16-beat phrase.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from dancegen.render.skeleton import beat_envelope

HUE_START = 0.62  # blue-violet
HUE_DRIFT = 0.006  # palette turns per second at zero energy
HUE_DRIFT_ENERGY = 0.02  # extra turns per second at full energy
PHRASE_BEATS = 16
PHRASE_STEP = 0.07  # hue step at each phrase


@dataclass(frozen=True)
class MusicCues:
    """Per-frame music cues for a video of T frames (see the module docstring)."""

    beat: np.ndarray
    beat_index: np.ndarray
    since_beat: np.ndarray
    energy: np.ndarray
    hue: np.ndarray

    def __len__(self) -> int:
        return int(self.beat.shape[0])


def _clean_beats(beat_times: np.ndarray | None) -> np.ndarray:
    if beat_times is None:
        return np.zeros(0)
    beats = np.sort(np.asarray(beat_times, np.float64).ravel())
    return beats[np.isfinite(beats)]


def _resample_energy(energy: np.ndarray, num_frames: int) -> np.ndarray:
    e = np.asarray(energy, np.float64).ravel()
    e = np.where(np.isfinite(e), e, 0.0)
    if e.size == num_frames:
        return np.clip(e, 0.0, 1.0)
    if e.size == 0:
        return np.full(num_frames, 0.5)
    x_in = np.linspace(0.0, 1.0, e.size)
    x_out = np.linspace(0.0, 1.0, num_frames)
    return np.clip(np.interp(x_out, x_in, e), 0.0, 1.0)


def energy_from_beats(num_frames: int, fps: float, beat_times: np.ndarray | None) -> np.ndarray:
    """Energy (num_frames,) in [0, 1] from the local beat rate alone: 0.5 at the song's median rate.

    Without beats: a constant 0.35.
    """
    beats = _clean_beats(beat_times)
    if num_frames == 0:
        return np.zeros(0)
    if beats.size < 3:
        return np.full(num_frames, 0.35)
    t = np.arange(num_frames) / fps
    mids = 0.5 * (beats[1:] + beats[:-1])
    inst = 1.0 / np.maximum(np.diff(beats), 1e-3)  # beats per second
    rate = np.interp(t, mids, inst)
    # No beats near a frame (before the first, after the last, in breaks): lower energy.
    right = np.clip(np.searchsorted(beats, t), 0, beats.size - 1)
    left = np.clip(right - 1, 0, beats.size - 1)
    gap = np.minimum(np.abs(t - beats[left]), np.abs(beats[right] - t))
    med = float(np.median(inst))
    e = 0.5 * rate / med - 0.25 * np.clip(gap * med - 1.0, 0.0, 2.0)
    return np.clip(gaussian_filter1d(e, max(0.5 * fps, 1e-6), mode="nearest"), 0.0, 1.0)


def audio_energy(audio_path: str | Path, num_frames: int, fps: float) -> np.ndarray | None:
    """Energy (num_frames,) in [0, 1] of a song, frame t at t / fps seconds; None if unreadable.

    Uses the cached 35-d features at 30 frames/s (the ones ``dance`` and ``render`` computed, so
    usually no decoding): 60% loudness (MFCC 0), 40% onset strength, each normalised between its
    5th and 95th percentile over the song and smoothed (0.25 s and 0.5 s).
    """
    from dancegen.audio import extract_features
    from dancegen.errors import DancegenError

    try:
        feats = extract_features(audio_path, fps=30)
    except (DancegenError, OSError, ValueError):
        return None
    f = feats.features
    if f.shape[0] < 2:
        return None

    def norm(x: np.ndarray, sigma_s: float) -> np.ndarray:
        x = gaussian_filter1d(x.astype(np.float64), sigma_s * feats.fps, mode="nearest")
        lo, hi = np.percentile(x, [5, 95])
        return np.clip((x - lo) / max(hi - lo, 1e-6), 0.0, 1.0)

    e = 0.6 * norm(f[:, 1], 0.25) + 0.4 * norm(f[:, 0], 0.5)
    t_feat = np.arange(f.shape[0]) / feats.fps
    return np.clip(np.interp(np.arange(num_frames) / fps, t_feat, e), 0.0, 1.0)


def music_cues(
    num_frames: int, fps: float, beat_times: np.ndarray | None = None, energy: np.ndarray | None = None
) -> MusicCues:
    """Cues for ``num_frames`` frames at ``fps``; ``beat_times`` in s from the first frame; ``energy``
    (any length, resampled to the frames; values in [0, 1]) or None (from the beats)."""
    beats = _clean_beats(beat_times)
    t = np.arange(num_frames) / fps
    beat = beat_envelope(num_frames, fps, beats)
    idx = np.searchsorted(beats, t + 0.5 / fps, side="right") - 1 if beats.size else np.full(num_frames, -1)
    since = np.where(idx >= 0, t - beats[np.maximum(idx, 0)] if beats.size else 0.0, np.inf)
    since = np.maximum(since, 0.0)
    e = energy_from_beats(num_frames, fps, beats) if energy is None else _resample_energy(energy, num_frames)
    hue = HUE_START + np.cumsum(HUE_DRIFT + HUE_DRIFT_ENERGY * e) / fps
    hue = hue + PHRASE_STEP * np.floor(np.maximum(idx, 0) / PHRASE_BEATS)
    return MusicCues(beat=beat, beat_index=idx.astype(int), since_beat=since, energy=e, hue=np.mod(hue, 1.0))


def hsv(h: float, s: float, v: float) -> np.ndarray:
    """An RGB colour (3,) float in [0, 255] from hue, saturation, value in [0, 1]."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, float(np.clip(s, 0, 1)), float(np.clip(v, 0, 1)))) * 255.0
