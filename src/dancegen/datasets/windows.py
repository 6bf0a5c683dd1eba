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
