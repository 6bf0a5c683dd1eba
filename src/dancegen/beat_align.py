"""Beat alignment by a monotone time warp: move a dance's own accents onto the music's beats.

The motion's accents are its kinematic beats (Bailando motion beats: minima of the smoothed mean
joint speed, ``dancegen.metrics.beats``). Each music beat is paired with the nearest unused motion
beat within ``max_shift_s``; the pairs become anchors of a warp w (output time -> source time,
frames) with w(b) = b + strength * (m - b) for music beat b and motion beat m, plus w(0) = 0 and
w(T-1) = T-1. Anchors that would make the local playback rate leave [1/max_rate, max_rate] are
dropped, and the warp between anchors is monotone cubic (PCHIP), so speed changes are smooth and
bounded. The output is the motion sampled at w(t) (linear interpolation of joint positions).
Nothing is learned: it only re-times what the model made, so it cannot add accents that are not
there, only move them by at most ``max_shift_s``.
"""

from __future__ import annotations

import numpy as np

from dancegen.errors import DancegenError

#: Furthest a motion accent is moved (seconds).
MAX_SHIFT_S = 0.2
#: Bound of the local playback rate (and its inverse).
MAX_RATE = 1.35


def beat_pairs(music_beats: np.ndarray, motion_beats: np.ndarray, max_shift: float) -> list[tuple[float, float]]:
    """(music beat, motion beat) pairs in frames: nearest first, each beat used once, |m - b| <= max_shift."""
    cands = sorted(
        (abs(m - b), float(b), float(m))
        for b in np.asarray(music_beats, float)
        for m in np.asarray(motion_beats, float)
        if abs(m - b) <= max_shift
    )
    used_b: set[float] = set()
    used_m: set[float] = set()
    pairs = []
    for _, b, m in cands:
        if b not in used_b and m not in used_m:
            used_b.add(b)
            used_m.add(m)
            pairs.append((b, m))
    return sorted(pairs)


def warp_curve(
    num_frames: int, pairs: list[tuple[float, float]], strength: float, max_rate: float = MAX_RATE
) -> np.ndarray:
    """Source time (T,) float64 for each output frame: the monotone warp through the anchors."""
    from scipy.interpolate import PchipInterpolator

    last = float(num_frames - 1)
    anchors = [(0.0, 0.0)]
    for b, m in pairs:
        u, s = b, b + strength * (m - b)
        pu, ps = anchors[-1]
        if u <= pu or u >= last:
            continue
        rate = (s - ps) / (u - pu)
        end_rate = (last - s) / (last - u)
        if 1 / max_rate <= rate <= max_rate and 1 / max_rate <= end_rate <= max_rate:
            anchors.append((u, s))
    anchors.append((last, last))
    u, s = np.array(anchors).T
    if len(u) == 2:
        return np.arange(num_frames, dtype=np.float64)
    return np.clip(PchipInterpolator(u, s)(np.arange(num_frames, dtype=np.float64)), 0.0, last)


def resample(joints: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Joints (T, J, 3) sampled at fractional frame times (T',) by linear interpolation."""
    lo = np.clip(np.floor(times).astype(np.int64), 0, len(joints) - 1)
    hi = np.clip(lo + 1, 0, len(joints) - 1)
    a = (times - lo)[:, None, None]
    return (1 - a) * joints[lo] + a * joints[hi]


def align_to_beats(
    joints: np.ndarray,
    music_beats: np.ndarray,
    strength: float = 1.0,
    fps: float = 30.0,
    max_shift_s: float = MAX_SHIFT_S,
    max_rate: float = MAX_RATE,
) -> np.ndarray:
    """Joints (T, J, 3) re-timed so their accents fall on ``music_beats`` (frames at ``fps``).

    ``strength`` in [0, 1]: 0 leaves the motion as is, 1 moves each paired accent onto its beat.
    """
    from dancegen.models.conditioning import motion_beats

    if not 0.0 <= strength <= 1.0:
        raise DancegenError(f"beat-align strength must lie in [0, 1], got {strength:g}.")
    joints = np.asarray(joints)
    if strength == 0.0 or len(joints) < 3:
        return joints
    # a Bailando speed minimum at index t lies between frames t and t+1
    accents = motion_beats(joints).astype(np.float64) + 0.5
    pairs = beat_pairs(np.asarray(music_beats, float), accents, max_shift_s * fps)
    times = warp_curve(len(joints), pairs, strength, max_rate)
    return resample(joints, times).astype(joints.dtype)
