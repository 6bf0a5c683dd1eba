"""EDGE's physical foot contact score (PFC), on z-up joints at 30 fps.

Per clip (T frames, dt = 1/30 s): root velocity and acceleration by finite differences; the
upward component of the acceleration is clamped at 0 (falling is free), its norm is divided by
the clip's maximum; foot speeds are horizontal displacements per frame (not divided by dt) of the
left ankle, left toe, right ankle, right toe. The clip's score is the mean over frames of
min(left ankle, left toe) * min(right ankle, right toe) * normalised root acceleration; PFC =
10,000 x the mean over clips. EDGE scores 5-s clips; longer motions are cut into consecutive
5-s windows, each scored as one clip.

A still root (maximum acceleration 0) gives 0 here; EDGE's code divides 0 by 0 (NaN).
"""

from __future__ import annotations

import numpy as np

#: EDGE's frame time (s).
DT = 1.0 / 30.0
#: SMPL indices EDGE reads: left ankle, left foot (toes), right ankle, right foot.
FOOT_JOINTS = (7, 10, 8, 11)
#: Scale of the reported score.
SCALE = 10000.0


def y_up_to_z_up(joints: np.ndarray) -> np.ndarray:
    """Rotate y-up positions (..., 3) to EDGE's z-up frame: (x, y, z) -> (x, -z, y)."""
    j = np.asarray(joints, dtype=np.float64)
    return np.stack([j[..., 0], -j[..., 2], j[..., 1]], axis=-1)


def z_up_to_y_up(joints: np.ndarray) -> np.ndarray:
    """Inverse of :func:`y_up_to_z_up`: (x, y, z) z-up -> (x, z, -y) y-up."""
    j = np.asarray(joints, dtype=np.float64)
    return np.stack([j[..., 0], j[..., 2], -j[..., 1]], axis=-1)


def pfc_clip(root: np.ndarray, feet: np.ndarray, dt: float = DT) -> float:
    """Unscaled PFC of one clip: ``root`` (T, 3) and ``feet`` (T, 4, 3) z-up metres, T >= 3.

    ``feet`` are (left ankle, left toe, right ankle, right toe).
    """
    root = np.asarray(root, dtype=np.float64)
    feet = np.asarray(feet, dtype=np.float64)
    if root.shape[0] < 3:
        raise ValueError("PFC needs at least 3 frames")
    root_v = (root[1:] - root[:-1]) / dt
    root_a = (root_v[1:] - root_v[:-1]) / dt
    root_a[:, 2] = np.maximum(root_a[:, 2], 0.0)
    root_a = np.linalg.norm(root_a, axis=-1)
    scale = root_a.max()
    if not scale > 0:
        return 0.0
    root_a = root_a / scale
    foot_v = np.linalg.norm(feet[2:, :, :2] - feet[1:-1, :, :2], axis=-1)  # (T-2, 4)
    left = np.minimum(foot_v[:, 0], foot_v[:, 1])
    right = np.minimum(foot_v[:, 2], foot_v[:, 3])
    return float(np.mean(left * right * root_a))


def pfc_windows(joints_smpl_zup: np.ndarray, window: int | None, dt: float = DT) -> list[float]:
    """Unscaled PFC of each consecutive ``window``-frame piece of SMPL-view joints (T, 24, 3), z-up.

    ``window=None`` scores the whole clip. A remainder shorter than a window is dropped (a clip
    shorter than one window is scored whole).
    """
    j = np.asarray(joints_smpl_zup, dtype=np.float64)
    t = j.shape[0]
    if window is None or t < window:
        pieces = [j]
    else:
        pieces = [j[a : a + window] for a in range(0, t - window + 1, window)]
    feet = list(FOOT_JOINTS)
    return [pfc_clip(p[:, 0], p[:, feet], dt) for p in pieces]
