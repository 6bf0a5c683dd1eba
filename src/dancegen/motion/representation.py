"""Model features <-> joint positions, and the normaliser saved with every checkpoint.

Per frame the model sees, for a skeleton of J joints (D = 7 + 6 J features):

====================  =====  ==========================================================
slice                 size   meaning
====================  =====  ==========================================================
root_vel              2      horizontal (x, z) root velocity, m/s (root = common pelvis)
root_height           1      root y, metres above the floor
local                 3 J    joint positions minus the root position, metres
joint_vel             3 J    joint velocities, m/s (frame t minus frame t-1, times fps)
contacts              4      foot contact 0/1: left ankle, left toe, right ankle, right toe
====================  =====  ==========================================================

Every feature is translation-invariant on the floor, so two overlapping windows of one song
describe their shared frames identically (long-form generation fuses them directly). The root
trajectory is recovered by integrating ``root_vel``. Works on numpy arrays and torch tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dancegen.motion.skeleton import SkeletonSpec

#: Foot speed (m/s) under which a foot joint counts as in contact with the floor.
CONTACT_SPEED = 0.3


def feature_dim(num_joints: int) -> int:
    """Number of per-frame model features for a skeleton with ``num_joints`` joints."""
    return 7 + 6 * num_joints


@dataclass(frozen=True)
class FeatureLayout:
    """Slices of the per-frame feature vector for a J-joint skeleton."""

    num_joints: int

    @property
    def dim(self) -> int:
        return feature_dim(self.num_joints)

    @property
    def root_vel(self) -> slice:
        return slice(0, 2)

    @property
    def root_height(self) -> slice:
        return slice(2, 3)

    @property
    def local(self) -> slice:
        return slice(3, 3 + 3 * self.num_joints)

    @property
    def joint_vel(self) -> slice:
        return slice(3 + 3 * self.num_joints, 3 + 6 * self.num_joints)

    @property
    def contacts(self) -> slice:
        return slice(3 + 6 * self.num_joints, 7 + 6 * self.num_joints)


def _xp(a: Any):
    """The array module of ``a``: numpy or torch."""
    if isinstance(a, np.ndarray):
        return np
    import torch

    return torch


def _diff_prepend_first(x, xp):
    """x[t] - x[t-1] along axis -3 (time of (..., T, J, 3)), with frame 0 copying frame 1."""
    d = x[..., 1:, :, :] - x[..., :-1, :, :]
    if xp is np:
        return np.concatenate([d[..., :1, :, :], d], axis=-3)
    return xp.cat([d[..., :1, :, :], d], dim=-3)


def foot_contacts(joints, spec: SkeletonSpec, fps: float):
    """Contact labels (..., T, 4) float: foot joint speed below CONTACT_SPEED m/s."""
    xp = _xp(joints)
    feet = joints[..., list(spec.feet), :]
    vel = _diff_prepend_first(feet, xp) * fps
    speed = (vel**2).sum(-1) ** 0.5
    return (speed < CONTACT_SPEED).astype(np.float32) if xp is np else (speed < CONTACT_SPEED).float()


def encode(joints, spec: SkeletonSpec, fps: float):
    """Joints (..., T, J, 3) metres -> features (..., T, D). T must be at least 2."""
    xp = _xp(joints)
    idx = list(spec.common["pelvis"])
    root = joints[..., idx, :].mean(-2) if xp is np else joints[..., idx, :].mean(dim=-2)
    vel = _diff_prepend_first(joints, xp) * fps
    root_vel = _diff_prepend_first(root[..., None, :], xp)[..., 0, :] * fps
    local = joints - root[..., None, :]
    flat = lambda a: a.reshape(*a.shape[:-2], -1)  # noqa: E731
    parts = [
        root_vel[..., [0, 2]],
        root[..., 1:2],
        flat(local),
        flat(vel),
        foot_contacts(joints, spec, fps),
    ]
    out = np.concatenate(parts, axis=-1) if xp is np else xp.cat(parts, dim=-1)
    return out.astype(np.float32) if xp is np else out


def decode(features, num_joints: int, fps: float, origin=None):
    """Features (..., T, D) -> joints (..., T, J, 3) metres.

    The root's floor position is the running sum of ``root_vel / fps``, starting at ``origin``
    (x, z) (default: 0, 0); joints are the local positions plus the root.
    """
    xp = _xp(features)
    lay = FeatureLayout(num_joints)
    step = features[..., lay.root_vel] / fps
    if xp is np:
        xz = np.cumsum(step, axis=-2) - step[..., :1, :]
    else:
        xz = xp.cumsum(step, dim=-2) - step[..., :1, :]
    if origin is not None:
        xz = xz + origin
    y = features[..., lay.root_height]
    root = (
        np.concatenate([xz[..., :1], y, xz[..., 1:]], axis=-1)
        if xp is np
        else xp.cat([xz[..., :1], y, xz[..., 1:]], dim=-1)
    )
    local = features[..., lay.local].reshape(*features.shape[:-1], num_joints, 3)
    return local + root[..., None, :]


#: Weight of a pinned frame's position in :func:`fuse_velocities` (against 1 for a free frame).
PINNED_WEIGHT = 1e6


def fuse_velocities(joints: np.ndarray, joint_vel: np.ndarray, fps: float, weight: float = 1.0,
                    pinned: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Joint positions (T, J, 3) metres that agree best with both halves of a decoded model output:
    the positions ``joints`` (T, J, 3) (:func:`decode`) and the joint velocities ``joint_vel``
    (T, J, 3) m/s (the ``joint_vel`` features; frame t's is t minus t-1).

    Minimises, per coordinate, sum_t w_t |P_t - joints_t|^2 + weight * sum_{t>=1} |P_t - P_{t-1} -
    joint_vel_t / fps|^2 (both terms in metres; w_t = 1, or ``PINNED_WEIGHT`` on ``pinned`` (T,)
    frames, which are then copied back exactly): a tridiagonal system, O(T). Where the two halves
    agree (any real motion encoded by :func:`encode`) the result is ``joints`` itself; where a
    generated motion's positions jump between tokens while its velocities do not, the jump is
    spread out. ``weight`` 0 returns a copy of ``joints``.
    """
    from scipy.linalg import solve_banded

    joints = np.asarray(joints)
    if joints.ndim != 3 or joints.shape[-1] != 3 or np.shape(joint_vel) != joints.shape:
        raise ValueError(f"joints and joint_vel must both be (T, J, 3), got {joints.shape} and {np.shape(joint_vel)}")
    if not (weight >= 0 and np.isfinite(weight)):
        raise ValueError(f"velocity weight must be a finite number >= 0, got {weight}")
    t = joints.shape[0]
    if weight == 0 or t < 2:
        return joints.copy()
    w = np.ones(t)
    if pinned is not None:
        pinned = np.asarray(pinned, bool)
        if pinned.shape != (t,):
            raise ValueError(f"pinned must be ({t},) bool, got {pinned.shape}")
        w[pinned] = PINNED_WEIGHT
    p = joints.reshape(t, -1).astype(np.float64)
    step = np.asarray(joint_vel, np.float64).reshape(t, -1) / fps
    bands = np.zeros((3, t))
    bands[1] = w
    bands[1, 1:] += weight
    bands[1, :-1] += weight
    bands[0, 1:] = -weight  # above the diagonal
    bands[2, :-1] = -weight  # below
    rhs = w[:, None] * p
    rhs[1:] += weight * step[1:]
    rhs[:-1] -= weight * step[1:]
    out = solve_banded((1, 1), bands, rhs).reshape(joints.shape)
    if pinned is not None:
        out[pinned] = joints[pinned]
    return out.astype(joints.dtype)


class Normalizer:
    """Per-feature standardisation: ``(x - mean) / std``; saved with the checkpoint."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.mean = np.asarray(mean, np.float32)
        self.std = np.asarray(std, np.float32)

    @classmethod
    def fit(cls, features: np.ndarray, min_std: float = 1e-2) -> Normalizer:
        """Statistics over all leading axes of ``features`` (..., D)."""
        flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
        return cls(flat.mean(0), np.maximum(flat.std(0), min_std))

    def _cast(self, x, a: np.ndarray):
        if isinstance(x, np.ndarray):
            return a
        import torch

        return torch.as_tensor(a, dtype=x.dtype, device=x.device)

    def normalize(self, x):
        return (x - self._cast(x, self.mean)) / self._cast(x, self.std)

    def denormalize(self, x):
        return x * self._cast(x, self.std) + self._cast(x, self.mean)
