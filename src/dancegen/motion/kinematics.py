"""Rotations and forward kinematics (numpy, vectorised over frames).

``smpl_joints`` turns AIST++ SMPL parameters into SMPL-24 joint positions without the SMPL body
model file, the way EDGE does it: zero shape, the rest offsets of ``SMPL24_OFFSETS``, the root
joint placed at ``smpl_trans / smpl_scaling`` (the template's pelvis rest offset is ignored, so the
joints come out about 0.2-0.3 m higher than AIST++'s ``keypoints3d / smpl_scaling``; see
docs/DATASETS.md and METRICS.md). Output is metres, y-up, in the AIST++ world frame (whose floor is
not at y = 0: the AIST++ loader moves it there).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS

__all__ = ["axis_angle_to_matrix", "forward_kinematics", "smpl_joints", "topological_order"]

# Below this angle (radians) the Rodrigues coefficients use their Taylor series.
_SMALL_ANGLE = 1e-4


def axis_angle_to_matrix(aa: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) from axis-angle vectors (..., 3) in radians (Rodrigues).

    The vector's direction is the axis, its norm the angle. Exact at and near zero (series
    expansion of sin(t)/t and (1 - cos(t))/t^2), computed in float64 and returned as float64.
    """
    aa = np.asarray(aa, dtype=np.float64)
    if aa.shape[-1:] != (3,):
        raise ValueError(f"axis-angle must have a last dimension of 3, got shape {aa.shape}")
    theta2 = np.sum(aa * aa, axis=-1)
    theta = np.sqrt(theta2)
    small = theta < _SMALL_ANGLE
    safe = np.where(small, 1.0, theta)
    # a = sin(t)/t, b = (1 - cos(t))/t^2; Taylor series below _SMALL_ANGLE
    a = np.where(small, 1.0 - theta2 / 6.0 + theta2 * theta2 / 120.0, np.sin(safe) / safe)
    b = np.where(
        small,
        0.5 - theta2 / 24.0 + theta2 * theta2 / 720.0,
        (1.0 - np.cos(safe)) / (safe * safe),
    )
    x, y, z = aa[..., 0], aa[..., 1], aa[..., 2]
    zero = np.zeros_like(x)
    k = np.stack(
        [
            np.stack([zero, -z, y], axis=-1),
            np.stack([z, zero, -x], axis=-1),
            np.stack([-y, x, zero], axis=-1),
        ],
        axis=-2,
    )  # (..., 3, 3) skew matrix of aa (not normalised)
    eye = np.broadcast_to(np.eye(3), k.shape)
    return eye + a[..., None, None] * k + b[..., None, None] * (k @ k)


def topological_order(parents: Sequence[int]) -> list[int]:
    """Joint indices ordered so that every parent comes before its children.

    ``parents[j]`` is the parent of joint j, or -1 for a root. Raises ValueError on an index out of
    range or a cycle.
    """
    n = len(parents)
    for j, p in enumerate(parents):
        if not (p == -1 or 0 <= p < n) or p == j:
            raise ValueError(f"joint {j}: invalid parent {p}")
    order: list[int] = []
    placed = [False] * n
    while len(order) < n:
        progress = False
        for j, p in enumerate(parents):
            if not placed[j] and (p == -1 or placed[p]):
                placed[j] = True
                order.append(j)
                progress = True
        if not progress:
            raise ValueError("parents contain a cycle")
    return order


def forward_kinematics(
    local_rot: np.ndarray,
    root_pos: np.ndarray,
    offsets: np.ndarray,
    parents: Sequence[int],
) -> np.ndarray:
    """Joint positions (T, J, 3) from local rotations and rest offsets.

    ``local_rot`` (T, J, 3, 3): each joint's rotation relative to its parent (the root's is its
    global orientation); ``root_pos`` (T, 3): position of the root joint(s); ``offsets`` (J, 3):
    each joint's rest offset from its parent, in the parent's frame (metres; a root's own offset
    is ignored: the root sits at ``root_pos``); ``parents`` (J,): parent index, -1 for a root.
    A joint's global rotation is ``R_parent @ R_local``; its position is
    ``p_parent + R_parent @ offset``. Loops over joints only; float64 internally, float32 out.
    """
    local_rot = np.asarray(local_rot, dtype=np.float64)
    root_pos = np.asarray(root_pos, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.float64)
    if local_rot.ndim != 4 or local_rot.shape[2:] != (3, 3):
        raise ValueError(f"local_rot must be (T, J, 3, 3), got {local_rot.shape}")
    t, j = local_rot.shape[:2]
    if root_pos.shape != (t, 3):
        raise ValueError(f"root_pos must be ({t}, 3), got {root_pos.shape}")
    if offsets.shape != (j, 3) or len(parents) != j:
        raise ValueError(f"offsets must be ({j}, 3) and parents of length {j}")
    glob_rot = np.empty_like(local_rot)
    pos = np.empty((t, j, 3), dtype=np.float64)
    for k in topological_order(parents):
        p = parents[k]
        if p < 0:
            glob_rot[:, k] = local_rot[:, k]
            pos[:, k] = root_pos
        else:
            glob_rot[:, k] = glob_rot[:, p] @ local_rot[:, k]
            pos[:, k] = pos[:, p] + glob_rot[:, p] @ offsets[k]
    return pos.astype(np.float32)


def smpl_joints(smpl_poses: np.ndarray, smpl_trans: np.ndarray, smpl_scaling: float) -> np.ndarray:
    """SMPL-24 joint positions (T, 24, 3), metres, y-up, from AIST++ SMPL parameters.

    ``smpl_poses`` (T, 72): axis-angle, global orientation then 23 joint rotations (radians);
    ``smpl_trans`` (T, 3): root translation in AIST++ world units; ``smpl_scaling``: scalar or
    (1,) array. The root is ``smpl_trans / smpl_scaling`` (EDGE convention, zero body shape).
    """
    poses = np.asarray(smpl_poses, dtype=np.float64)
    trans = np.asarray(smpl_trans, dtype=np.float64)
    scale = float(np.asarray(smpl_scaling, dtype=np.float64).reshape(-1)[0])
    if poses.ndim != 2 or poses.shape[1] != 72:
        raise ValueError(f"smpl_poses must be (T, 72), got {poses.shape}")
    if trans.shape != (poses.shape[0], 3):
        raise ValueError(f"smpl_trans must be ({poses.shape[0]}, 3), got {trans.shape}")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"smpl_scaling must be positive, got {scale}")
    rot = axis_angle_to_matrix(poses.reshape(poses.shape[0], 24, 3))
    return forward_kinematics(rot, trans / scale, SMPL24_OFFSETS, SMPL24.parents)
