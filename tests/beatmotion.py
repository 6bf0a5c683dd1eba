"""Synthetic dwm23 motion whose only accents (joint-speed minima) fall on given frames."""

from __future__ import annotations

import numpy as np


def accent_motion(beats: np.ndarray, num_frames: int, period: float = 18.0) -> np.ndarray:
    """dwm23 joints (T, 23, 3) m: both arms circle forward by a quarter turn per beat, their speed
    (1 - cos of the beat phase) dropping to zero exactly on each beat frame and nowhere else."""
    from dancegen.datasets.synthetic import _REST

    t = np.arange(num_frames, dtype=float)
    b = np.asarray(beats, dtype=float)
    cyc = np.interp(t, b, np.arange(len(b)))
    cyc = np.where(t < b[0], (t - b[0]) / period, cyc)
    cyc = np.where(t > b[-1], len(b) - 1 + (t - b[-1]) / period, cyc)
    angle = 0.5 * np.pi * (cyc - np.sin(2 * np.pi * cyc) / (2 * np.pi))
    joints = np.repeat(_REST[None], num_frames, 0).astype(float)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    for arm, shoulder in (([13, 14, 15], 12), ([4, 5, 6], 3)):
        rel = joints[:, arm] - joints[:, [shoulder]]
        y, z = rel[..., 1] * c - rel[..., 2] * s, rel[..., 1] * s + rel[..., 2] * c
        rel[..., 1], rel[..., 2] = y, z
        joints[:, arm] = joints[:, [shoulder]] + rel
    return joints.astype(np.float32)


def irregular_beats(rng: np.random.Generator, num_frames: int, low: int = 12, high: int = 24) -> np.ndarray:
    """Beat frames (B,) int64 with random intervals in [low, high] frames."""
    beats = [int(rng.integers(0, low))]
    while beats[-1] + low < num_frames:
        beats.append(beats[-1] + int(rng.integers(low, high + 1)))
    return np.array(beats[:-1] if beats[-1] >= num_frames else beats, np.int64)


def sway_motion(beats: np.ndarray, num_frames: int, amplitude: float = 0.15, period: float = 18.0) -> np.ndarray:
    """dwm23 joints (T, 23, 3) m: the standing body sways side to side, x = A cos(pi * beat phase),
    so it is still (a kinematic beat) exactly on each beat frame, one extreme per beat."""
    from dancegen.datasets.synthetic import _REST

    t = np.arange(num_frames, dtype=float)
    b = np.asarray(beats, dtype=float)
    cyc = np.interp(t, b, np.arange(len(b)))
    cyc = np.where(t < b[0], (t - b[0]) / period, cyc)
    cyc = np.where(t > b[-1], len(b) - 1 + (t - b[-1]) / period, cyc)
    joints = np.repeat(_REST[None], num_frames, 0).astype(float)
    joints[:, :, 0] += amplitude * np.cos(np.pi * cyc)[:, None]
    return joints.astype(np.float32)
