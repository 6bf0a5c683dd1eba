"""Hand-built SMPL-24 poses for the metric tests (metres, y-up, facing +z, left at +x)."""

from __future__ import annotations

import numpy as np

from dancegen.metrics.skeletons import SMPL_NAMES
from dancegen.motion.kinematics import forward_kinematics
from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS


def rest_pose(root_height: float = 0.95) -> np.ndarray:
    """The SMPL T-pose (24, 3) with the root at (0, root_height, 0)."""
    eye = np.broadcast_to(np.eye(3), (1, 24, 3, 3))
    return forward_kinematics(eye, np.array([[0.0, root_height, 0.0]]), SMPL24_OFFSETS, SMPL24.parents)[0].astype(
        np.float64
    )


def still(pose: np.ndarray, frames: int = 10) -> np.ndarray:
    """A pose (J, 3) held for ``frames`` frames: (frames, J, 3)."""
    return np.repeat(np.asarray(pose, dtype=np.float64)[None], frames, axis=0)


def idx(name: str) -> int:
    return SMPL_NAMES.index(name)
