"""Reference rows scored in the same run as a model: what a metric says about known answers.

- ground truth: the test dances themselves, scored against the pool;
- mismatched music: each test dance scored against the NEXT test song's beats (a rotation, so
  no dance keeps its own music): a beat-alignment score this high needs no music at all;
- static mean pose: the pool's mean pose (root-relative horizontally, heights kept) held still
  for each test song's length;
- nearest-neighbour retrieval: for each test song, the training dance whose music is closest in
  the 35-d baseline features (per-song mean and std of each column, z-scored over the candidates,
  Euclidean distance), cut to the test song's length.
"""

from __future__ import annotations

import numpy as np

from dancegen.metrics import EvaluationError
from dancegen.metrics.protocols import BEAT_FPS, resample_joints
from dancegen.metrics.skeletons import get_metric_skeleton
from dancegen.metrics.suite import Clip


def mismatched_music(clips: list[Clip]) -> list[Clip]:
    """The clips with each one's music replaced by the next clip's (cyclically)."""
    if len(clips) < 2:
        raise EvaluationError("mismatched music needs at least 2 songs.")
    out = []
    for i, c in enumerate(clips):
        other = clips[(i + 1) % len(clips)]
        out.append(Clip(c.name, c.joints, c.fps, c.skeleton, c.style, other.music_beats, other.music_name or other.name))
    return out


def mean_pose(pool: list[Clip]) -> tuple[np.ndarray, str]:
    """(mean pose (J, 3) with the root at x = z = 0, skeleton) over every frame of the pool."""
    skeletons = {c.skeleton for c in pool}
    if len(skeletons) != 1:
        raise EvaluationError(f"a mean pose needs one skeleton in the pool, got {', '.join(sorted(skeletons))}.")
    skeleton = skeletons.pop()
    root = list(get_metric_skeleton(skeleton).mapping["root"])
    total = np.zeros(pool[0].joints.shape[1:])
    count = 0
    for c in pool:
        j = np.asarray(c.joints, dtype=np.float64)
        centre = j[:, root].mean(axis=1)
        centre[:, 1] = 0.0
        total += (j - centre[:, None, :]).sum(axis=0)
        count += j.shape[0]
    return total / count, skeleton


def static_mean_pose(pool: list[Clip], clips: list[Clip]) -> list[Clip]:
    """For each clip, the pool's mean pose held still for the clip's duration (with its music)."""
    pose, skeleton = mean_pose(pool)
    out = []
    for c in clips:
        n = int(round(c.duration * BEAT_FPS))
        joints = np.broadcast_to(pose, (n,) + pose.shape).copy()
        out.append(Clip(c.name, joints, float(BEAT_FPS), skeleton, c.style, c.music_beats, c.music_name))
    return out


def music_summary(features: np.ndarray) -> np.ndarray:
    """Per-song summary (70,) of baseline music features (T, 35): mean and std of each column."""
    f = np.asarray(features, dtype=np.float64)
    return np.concatenate([f.mean(axis=0), f.std(axis=0)])


def nearest_neighbours(test_music: list[np.ndarray], train_music: list[np.ndarray]) -> list[int]:
    """Index of the nearest training song for each test song (z-scored summaries, Euclidean)."""
    if not train_music:
        raise EvaluationError("nearest-neighbour retrieval needs training songs with music.")
    train = np.stack([music_summary(m) for m in train_music])
    test = np.stack([music_summary(m) for m in test_music])
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    a, b = (test - mean) / std, (train - mean) / std
    d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    return [int(i) for i in np.argmin(d, axis=1)]


def retrieved(clips: list[Clip], candidates: list[Clip], picks: list[int]) -> list[Clip]:
    """For each test clip, candidate ``picks[i]`` cut to the test clip's duration, with the test music."""
    out = []
    for c, i in zip(clips, picks):
        src = candidates[i]
        j = resample_joints(src.joints, src.fps, c.fps)[: c.joints.shape[0]]
        out.append(Clip(c.name, j, c.fps, src.skeleton, c.style, c.music_beats, f"{c.music_name or c.name} (dance of {src.name})"))
    return out
