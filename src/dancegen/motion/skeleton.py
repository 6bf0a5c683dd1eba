"""Skeleton specs: joint names, parents and a mapping to the common body set.

Every skeleton maps onto ``COMMON_JOINTS``, a small body set that renderers and metrics share: each
common joint is the mean of one or more of the skeleton's joints (e.g. the Dance-with-Melody neck is
the midpoint of its two shoulders). Joint positions are always metres, y-up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

#: The common body set (18 points) shared by renderers and metrics, in this order.
COMMON_JOINTS: tuple[str, ...] = (
    "pelvis", "spine", "neck", "head",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_hip", "left_knee", "left_ankle", "left_toe",
    "right_hip", "right_knee", "right_ankle", "right_toe",
)  # fmt: skip

#: Bones of the common body set as (joint, joint) name pairs, used by the renderers.
COMMON_BONES: tuple[tuple[str, str], ...] = (
    ("pelvis", "spine"), ("spine", "neck"), ("neck", "head"),
    ("neck", "left_shoulder"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("neck", "right_shoulder"), ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("pelvis", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("left_ankle", "left_toe"),
    ("pelvis", "right_hip"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("right_ankle", "right_toe"),
)  # fmt: skip


@dataclass(frozen=True)
class SkeletonSpec:
    """A named joint set: names, parent indices (-1 for the root) and the common-body mapping.

    ``common`` maps each name of ``COMMON_JOINTS`` to the indices of this skeleton's joints whose
    mean gives that common joint.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    common: dict[str, tuple[int, ...]] = field(hash=False)

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if len(self.parents) != n:
            raise ValueError(f"{self.name}: {n} names but {len(self.parents)} parents")
        missing = set(COMMON_JOINTS) - set(self.common)
        if missing:
            raise ValueError(f"{self.name}: no mapping for common joints {sorted(missing)}")
        for key, idx in self.common.items():
            if not idx or any(not 0 <= i < n for i in idx):
                raise ValueError(f"{self.name}: bad joint indices {idx} for {key}")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def index(self, joint_name: str) -> int:
        """Index of a joint by its name in this skeleton."""
        return self.joint_names.index(joint_name)

    @cached_property
    def common_matrix(self) -> np.ndarray:
        """(18, J) float32 averaging matrix: ``common = M @ joints`` for joints (J, 3)."""
        m = np.zeros((len(COMMON_JOINTS), self.num_joints), np.float32)
        for row, key in enumerate(COMMON_JOINTS):
            idx = self.common[key]
            m[row, list(idx)] = 1.0 / len(idx)
        return m

    def to_common(self, joints: np.ndarray) -> np.ndarray:
        """Map joints (..., J, 3) to the common body set (..., 18, 3)."""
        return np.einsum("cj,...jd->...cd", self.common_matrix, joints).astype(np.float32)

    def root_position(self, joints: np.ndarray) -> np.ndarray:
        """The pelvis (..., 3): the common 'pelvis' point, the root of every representation."""
        idx = list(self.common["pelvis"])
        return joints[..., idx, :].mean(axis=-2)

    @property
    def feet(self) -> tuple[int, int, int, int]:
        """Joint indices (left ankle, left toe, right ankle, right toe) used for foot contact."""
        return (
            self.common["left_ankle"][0],
            self.common["left_toe"][0],
            self.common["right_ankle"][0],
            self.common["right_toe"][0],
        )

    @cached_property
    def mirror_permutation(self) -> tuple[int, ...]:
        """Joint order of the left-right mirror image: each ``left_*`` joint swaps with its ``right_*``."""
        names = self.joint_names
        perm = []
        for name in names:
            if name.startswith("left_") and "right_" + name[5:] in names:
                perm.append(names.index("right_" + name[5:]))
            elif name.startswith("right_") and "left_" + name[6:] in names:
                perm.append(names.index("left_" + name[6:]))
            else:
                perm.append(names.index(name))
        return tuple(perm)

    def mirror(self, joints: np.ndarray) -> np.ndarray:
        """Left-right mirror image of joints (..., J, 3): x negated, left and right joints swapped."""
        out = joints[..., list(self.mirror_permutation), :].copy()
        out[..., 0] *= -1
        return out

    @property
    def bones(self) -> list[tuple[int, int]]:
        """(parent, child) index pairs of the kinematic tree."""
        return [(p, c) for c, p in enumerate(self.parents) if p >= 0]


def _from_json(path: Path) -> dict:
    return json.loads(path.read_text())


_ASSETS = Path(__file__).resolve().parent.parent / "assets"

_SMPL_JSON = _from_json(_ASSETS / "smpl24_skeleton.json")

#: SMPL-24 (AIST++); names and parents from the SMPL kinematic tree.
SMPL24 = SkeletonSpec(
    name="smpl24",
    joint_names=tuple(_SMPL_JSON["joint_names"]),
    parents=tuple(_SMPL_JSON["parents"]),
    common={
        "pelvis": (0,), "spine": (6,), "neck": (12,), "head": (15,),
        "left_shoulder": (16,), "left_elbow": (18,), "left_wrist": (20,),
        "right_shoulder": (17,), "right_elbow": (19,), "right_wrist": (21,),
        "left_hip": (1,), "left_knee": (4,), "left_ankle": (7,), "left_toe": (10,),
        "right_hip": (2,), "right_knee": (5,), "right_ankle": (8,), "right_toe": (11,),
    },
)  # fmt: skip

#: SMPL-24 rest offsets (24, 3) in metres from each joint's parent (EDGE's values).
SMPL24_OFFSETS = np.asarray(_SMPL_JSON["offsets_m"], np.float32)

#: Dance with Melody (23 joints). Sides were established from the data (docs/DATASETS.md): the arm
#: that the ballroom leader holds raised and extended in closed hold (the left) is 12-15, so
#: 3-6 and 7-11 are the right side; of each foot's two points the one farther from the ankle is
#: the toe (11, 20), the nearer the heel (10, 19). 21 and 22 are undrawn markers.
DWM23 = SkeletonSpec(
    name="dwm23",
    joint_names=(
        "head_top", "head", "spine",
        "right_shoulder", "right_elbow", "right_forearm", "right_hand",
        "right_hip", "right_knee", "right_ankle", "right_heel", "right_toe",
        "left_shoulder", "left_elbow", "left_forearm", "left_hand",
        "left_hip", "left_knee", "left_ankle", "left_heel", "left_toe",
        "marker_21", "marker_22",
    ),
    parents=(1, 2, -1, 1, 3, 4, 5, 2, 7, 8, 9, 9, 1, 12, 13, 14, 2, 16, 17, 18, 18, 2, 2),
    common={
        "pelvis": (7, 16), "spine": (2,), "neck": (3, 12), "head": (0, 1),
        "left_shoulder": (12,), "left_elbow": (13,), "left_wrist": (15,),
        "right_shoulder": (3,), "right_elbow": (4,), "right_wrist": (6,),
        "left_hip": (16,), "left_knee": (17,), "left_ankle": (18,), "left_toe": (20,),
        "right_hip": (7,), "right_knee": (8,), "right_ankle": (9,), "right_toe": (11,),
    },
)  # fmt: skip

#: COCO-17 keypoints (AIST++ keypoints3d, 2-D pose detectors). No pelvis, spine, neck or toes:
#: those common points are means of the hips / shoulders, and the ankles stand in for the toes.
COCO17 = SkeletonSpec(
    name="coco17",
    joint_names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    parents=(5, 0, 0, 1, 2, 11, 12, 5, 6, 7, 8, -1, 11, 11, 12, 13, 14),
    common={
        "pelvis": (11, 12), "spine": (5, 6, 11, 12), "neck": (5, 6), "head": (0, 3, 4),
        "left_shoulder": (5,), "left_elbow": (7,), "left_wrist": (9,),
        "right_shoulder": (6,), "right_elbow": (8,), "right_wrist": (10,),
        "left_hip": (11,), "left_knee": (13,), "left_ankle": (15,), "left_toe": (15,),
        "right_hip": (12,), "right_knee": (14,), "right_ankle": (16,), "right_toe": (16,),
    },
)  # fmt: skip

from dancegen.videos.landmarks import MEDIAPIPE_COMMON, MEDIAPIPE_JOINTS, MEDIAPIPE_PARENTS  # noqa: E402

#: MediaPipe Pose (33 landmarks; dancegen prepare-videos): see dancegen/videos/landmarks.py.
MEDIAPIPE33 = SkeletonSpec("mediapipe", MEDIAPIPE_JOINTS, MEDIAPIPE_PARENTS, dict(MEDIAPIPE_COMMON))

SKELETONS: dict[str, SkeletonSpec] = {s.name: s for s in (SMPL24, DWM23, COCO17, MEDIAPIPE33)}


def get_skeleton(name: str) -> SkeletonSpec:
    """Look up a skeleton spec by name (``smpl24``, ``dwm23``, ``coco17``)."""
    try:
        return SKELETONS[name]
    except KeyError:
        raise KeyError(f"unknown skeleton {name!r}; known: {', '.join(sorted(SKELETONS))}") from None
