"""Reading our BVH files back with an independent parser (bvhio, in the test extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest


def bvhio_positions(path: Path, names: Sequence[str], frames: int) -> np.ndarray:
    """World positions (frames, len(names), 3) of the named joints, file units, by bvhio's own FK."""
    bvhio = pytest.importorskip("bvhio", reason="the BVH round trip needs the bvhio parser (test extra)")
    root = bvhio.readAsHierarchy(str(path))
    joints = {j.Name: j for j, _, _ in root.layout()}
    out = np.empty((frames, len(names), 3))
    for t in range(frames):
        root.loadPose(t)
        for i, name in enumerate(names):
            p = joints[name].PositionWorld
            out[t, i] = (p.x, p.y, p.z)
    return out
