"""Fixed-length training windows cut from paired music features and motion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Default window length and stride in seconds (150 and 15 frames at 30 fps).
WINDOW_S = 5.0
STRIDE_S = 0.5


def seconds_to_frames(seconds: float, fps: float) -> int:
    """Number of frames in ``seconds`` at ``fps`` (rounded, at least 1)."""
    return max(1, int(round(seconds * fps)))


def num_windows(length: int, window: int, stride: int) -> int:
    """Windows of ``window`` frames every ``stride`` frames in ``length`` frames: floor((T-W)/S)+1, or 0."""
    return 0 if length < window else (length - window) // stride + 1


def make_windows(
    audio_feats: Sequence[np.ndarray],
    motions: Sequence[np.ndarray],
    window: int,
    stride: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack the windows of every sequence.

    ``audio_feats[i]`` (T_i, A) and ``motions[i]`` (T_i', ...) are frame-aligned; both are cut to
    min(T_i, T_i'). Windows start at 0, stride, 2 stride, ... and must fit entirely, so a sequence
    shorter than ``window`` gives none. Returns music (N, window, A), motion (N, window, ...) and
    the (N,) int64 index of each window's sequence, in sequence order then time order.
    """
    if len(audio_feats) != len(motions):
        raise ValueError(f"{len(audio_feats)} audio feature arrays but {len(motions)} motions")
    if not audio_feats:
        raise ValueError("no sequences to cut into windows")
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be positive, got {window} and {stride}")
    a_shape = np.asarray(audio_feats[0]).shape[1:]
    m_shape = np.asarray(motions[0]).shape[1:]
    music_w, motion_w, index = [], [], []
    for i, (a, m) in enumerate(zip(audio_feats, motions)):
        a, m = np.asarray(a), np.asarray(m)
        if a.ndim != 2 or a.shape[1:] != a_shape or m.shape[1:] != m_shape:
            raise ValueError(
                f"sequence {i}: audio {a.shape} / motion {m.shape} do not match (T, {a_shape}) / (T, {m_shape})"
            )
        n = min(len(a), len(m))
        starts = np.arange(num_windows(n, window, stride)) * stride
        if len(starts) == 0:
            continue
        idx = starts[:, None] + np.arange(window)[None, :]
        music_w.append(a[idx])
        motion_w.append(m[idx])
        index.append(np.full(len(starts), i, dtype=np.int64))
    if not index:
        a_dtype = np.result_type(*[np.asarray(x).dtype for x in audio_feats])
        m_dtype = np.result_type(*[np.asarray(x).dtype for x in motions])
        return (
            np.zeros((0, window, *a_shape), a_dtype),
            np.zeros((0, window, *m_shape), m_dtype),
            np.zeros((0,), np.int64),
        )
    return np.concatenate(music_w), np.concatenate(motion_w), np.concatenate(index)


def time_scale(joints: np.ndarray, music: np.ndarray, rate: float, beat_column: int | None = 34) -> tuple[np.ndarray, np.ndarray]:
    """A paired sequence played ``rate`` times faster (tempo augmentation).

    ``joints`` (T, J, 3) and ``music`` (T, A) frame features at the same fps -> (T', J, 3) and
    (T', A) with T' = floor((T - 1) / rate) + 1: new frame i is old time i * rate, linearly
    interpolated (motion and continuous music features alike). The music's beat one-hot
    (``beat_column``; None = none) is not interpolated: each old beat b moves to frame
    round(b / rate), so no beat is lost or smeared.
    """
    joints, music = np.asarray(joints), np.asarray(music)
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    n = min(len(joints), len(music))
    if n < 2 or rate == 1.0:
        return joints[:n].copy(), music[:n].copy()
    t = np.arange(int(np.floor((n - 1) / rate)) + 1) * rate
    lo = np.minimum(np.floor(t).astype(np.int64), n - 2)
    frac = (t - lo).astype(np.float64)
    w_j = frac.reshape(-1, *([1] * (joints.ndim - 1)))
    new_joints = (joints[lo] * (1 - w_j) + joints[lo + 1] * w_j).astype(joints.dtype)
    new_music = (music[lo] * (1 - frac[:, None]) + music[lo + 1] * frac[:, None]).astype(music.dtype)
    if beat_column is not None and beat_column < music.shape[1]:
        beats = np.flatnonzero(music[:n, beat_column] > 0.5)
        new_music[:, beat_column] = 0
        moved = np.unique(np.round(beats / rate).astype(np.int64))
        new_music[moved[moved < len(t)], beat_column] = 1
    return new_joints, new_music
