"""Beat alignment scores (BAS): the Bailando variant and the FACT variant, at 60 fps.

Music beats are frame indices of librosa's beat tracker at the motion frame rate (the 35-d
baseline features' beat one-hot column, ``dancegen.audio``).

- Bailando: motion beats are the strict local minima (``argrelextrema``, ``np.less``) of the
  kinetic velocity v[t] = mean over joints of |p[t+1] - p[t]| smoothed by a Gaussian of sigma 5
  frames; music beats are truncated to the T-1 velocity frames. Score = mean over MUSIC beats b of
  exp(-min_m (m - b)^2 / (2 * 3^2)).
- FACT: the envelope is the sum over joints of |velocity| (velocity[0] = 0), unsmoothed; motion
  beats are ``argrelextrema(np.less, order=10)``; both beat lists skip the first 120 (seed)
  frames; score = mean over MOTION beats of exp(-d^2 / (2 * 3^2)), d = distance to the nearest
  music beat.

Degenerate cases: no motion beat (a still body) scores 0 in both (FACT returns 0; Bailando's
script would fail on an empty minimum); no music beat scores NaN (Bailando divides by zero) or 0
(FACT, exp(-inf)).
"""

from __future__ import annotations

import numpy as np

#: Gaussian width (frames) of the alignment score.
SIGMA = 3.0
#: Gaussian smoothing (frames) of Bailando's kinetic velocity.
BAILANDO_SMOOTH = 5.0
#: argrelextrema order of FACT's motion beats (at 60 fps).
FACT_ORDER = 10
#: Seed frames FACT skips.
FACT_SKIP = 120


def beats_from_onehot(onehot: np.ndarray) -> np.ndarray:
    """Frame indices (B,) int64 of the non-zero entries of a beat one-hot (T,)."""
    return np.flatnonzero(np.asarray(onehot) > 0.5).astype(np.int64)


def nearest_distance(queries: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance (frames) from each query to its nearest target (both 1-D); inf when no target."""
    q = np.asarray(queries, dtype=np.float64)
    t = np.sort(np.asarray(targets, dtype=np.float64))
    if t.size == 0:
        return np.full(q.shape, np.inf)
    pos = np.searchsorted(t, q)
    left = t[np.clip(pos - 1, 0, t.size - 1)]
    right = t[np.clip(pos, 0, t.size - 1)]
    return np.minimum(np.abs(q - left), np.abs(q - right))


def bailando_motion_beats(joints: np.ndarray) -> tuple[np.ndarray, int]:
    """(motion beat frames, T-1) of joints (T, J, 3): minima of the smoothed mean joint speed."""
    from scipy.ndimage import gaussian_filter
    from scipy.signal import argrelextrema

    p = np.asarray(joints, dtype=np.float64)
    vel = np.mean(np.linalg.norm(p[1:] - p[:-1], axis=-1), axis=-1)
    vel = gaussian_filter(vel, BAILANDO_SMOOTH)
    return argrelextrema(vel, np.less)[0].astype(np.int64), int(vel.shape[0])


def bailando_bas(music_beats: np.ndarray, joints: np.ndarray) -> float:
    """Bailando's BAS of one clip: music beat frames (B,) and joints (T, J, 3) at the same fps."""
    motion, length = bailando_motion_beats(joints)
    music = np.asarray(music_beats)
    music = music[music < length]
    if music.size == 0:
        return float("nan")
    if motion.size == 0:
        return 0.0
    d = nearest_distance(music, motion)
    return float(np.mean(np.exp(-(d**2) / (2 * SIGMA**2))))


def fact_motion_beats(joints: np.ndarray, order: int = FACT_ORDER) -> np.ndarray:
    """FACT's motion beat frames of joints (T, J, 3): minima of the summed joint speed."""
    from scipy.signal import argrelextrema

    p = np.asarray(joints, dtype=np.float64)
    vel = np.zeros(p.shape[:2])
    vel[1:] = np.linalg.norm(p[1:] - p[:-1], axis=-1)
    envelope = vel.sum(axis=-1)
    return argrelextrema(envelope, np.less, order=order)[0].astype(np.int64)


def fact_bas(
    music_beats: np.ndarray, joints: np.ndarray, skip: int = FACT_SKIP, order: int = FACT_ORDER, fps: float = 60.0
) -> float:
    """FACT's BAS of one clip: music beat frames (B,) at 60 fps and joints (T, J, 3) at ``fps``.

    At ``fps`` = 60 this is the reference: the first ``skip`` frames are skipped and motion beats
    are minima of ``order`` frames. At another rate (the corrected protocol, which scores a 30-fps
    model at its own rate instead of on linearly upsampled frames, whose speed comes in equal
    pairs that are never strict minima) the order is scaled to the same time span and motion beat
    times are expressed in 60-fps frames before the distances are taken.
    """
    p = np.asarray(joints)
    scale = 60.0 / fps
    local_order = max(1, int(round(order / scale)))
    motion = fact_motion_beats(p, local_order).astype(np.float64) * scale
    t60 = p.shape[0] * scale
    motion = motion[motion >= skip]
    music = np.asarray(music_beats)
    music = music[(music >= skip) & (music < t60)]
    if motion.size == 0:
        return 0.0
    d = nearest_distance(motion, music)
    return float(np.mean(np.exp(-(d**2) / (2 * SIGMA**2))))
