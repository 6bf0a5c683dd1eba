"""Test poses and motions for the renderers (metres, y-up, facing +z)."""

from __future__ import annotations

import numpy as np

from dancegen.motion import Motion
from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS

FPS = 30.0


def smpl_rest() -> np.ndarray:
    """SMPL-24 T-pose (24, 3) m from the rest offsets, feet on the floor, facing +z."""
    j = np.zeros((24, 3))
    for i, p in enumerate(SMPL24.parents):
        if p >= 0:
            j[i] = j[p] + SMPL24_OFFSETS[i]
    j[:, 1] -= j[:, 1].min() - 0.03
    return j


def coco_rest() -> np.ndarray:
    s = smpl_rest()
    head = s[15]
    return np.stack([
        head + [0, 0, 0.1], head + [0.03, 0.03, 0.08], head + [-0.03, 0.03, 0.08],
        head + [0.07, 0, 0], head + [-0.07, 0, 0],
        s[16], s[17], s[18], s[19], s[20], s[21], s[1], s[2], s[4], s[5], s[7], s[8],
    ])  # fmt: skip


def dwm_rest() -> np.ndarray:
    s = smpl_rest()
    return np.stack([
        s[15] + [0, 0.1, 0], s[15], s[3],
        s[17], s[19], s[21], s[23], s[2], s[5], s[8], s[8] + [0, -0.05, -0.05], s[11],
        s[16], s[18], s[20], s[22], s[1], s[4], s[7], s[7] + [0, -0.05, -0.05], s[10],
        s[0] + [0.1, 0, -0.1], s[0] + [-0.1, 0, -0.1],
    ])  # fmt: skip


REST = {"smpl24": smpl_rest, "coco17": coco_rest, "dwm23": dwm_rest}


def turn(j: np.ndarray, yaw: np.ndarray | float) -> np.ndarray:
    """Rotate poses (T, J, 3) or (J, 3) about the vertical through their mean by ``yaw`` radians."""
    j = np.asarray(j, np.float64)
    single = j.ndim == 2
    if single:
        j = j[None]
    yaw = np.broadcast_to(np.asarray(yaw, np.float64), (j.shape[0],))
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    centre = j.mean(axis=1, keepdims=True)
    rel = j - centre
    out = rel.copy()
    out[..., 0] = rel[..., 0] * c + rel[..., 2] * s
    out[..., 2] = -rel[..., 0] * s + rel[..., 2] * c
    out += centre
    return out[0] if single else out


def dance(seconds: float = 3.0, walk: float = 3.0, jump: float = 0.4, skeleton: str = "smpl24") -> Motion:
    """Walks ``walk`` m along +x, waves both arms, jumps up to ``jump`` m mid-way and turns back and forth."""
    T = int(seconds * FPS)
    t = np.arange(T) / FPS
    j = np.repeat(REST[skeleton]()[None], T, 0)
    if skeleton == "smpl24":
        for sh, arm, phase in ((16, [18, 20, 22], 0.0), (17, [19, 21, 23], np.pi)):
            ang = 0.9 * np.sin(2 * np.pi * t + phase)
            c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
            rel = j[:, arm] - j[:, sh : sh + 1]
            x = rel[..., 0] * c - rel[..., 1] * s
            y = rel[..., 0] * s + rel[..., 1] * c
            j[:, arm, 0] = j[:, sh : sh + 1, 0] + x
            j[:, arm, 1] = j[:, sh : sh + 1, 1] + y
    j = turn(j, 0.7 * np.sin(2 * np.pi * t / seconds))
    j[..., 0] += (walk * t / seconds)[:, None]
    j[..., 1] += (jump * np.sin(np.pi * t / seconds) ** 8)[:, None]
    return Motion(j, FPS, skeleton)
