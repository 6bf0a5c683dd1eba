"""Joint mappings from each supported skeleton onto the SMPL-24 joint names the metrics use.

The reference metrics are defined on SMPL-24 joint positions (names as in METRICS.md: root, lhip,
rhip, belly, ...). Every other skeleton is mapped onto those names: each SMPL name is the mean of
one or more of the skeleton's joints, or is missing. Features that need a missing joint are left
out (``geometric.missing_joints``, ``kinetic`` works on the joints present), and scores computed
on a skeleton other than smpl24 are not comparable with published AIST++ figures.

Mappings (indices into each skeleton's own joint order):

- ``smpl24``: identity.
- ``dwm23`` (Dance with Melody; names in ``dancegen.motion.skeleton``): root = mean of the two hip
  markers (7, 16), neck = mean of the shoulders (3, 12), head = mean of head_top and head (0, 1),
  wrists = the ``*_hand`` points (6, 15: 0.24 m from the elbow, like SMPL's wrist; the
  ``*_forearm`` points 5/14 sit mid-forearm), toes = ``*_toe``. Missing: belly, spine, chest,
  linshoulder, rinshoulder, lhand, rhand (joint 2, a point 0.12 m above the hip centre, and the
  undrawn markers 21/22 are not used).
- ``coco17``: root = mean of the hips, neck = mean of the shoulders, head = nose. Missing: belly,
  spine, chest, ltoes, rtoes, linshoulder, rinshoulder, lhand, rhand.
- ``mediapipe`` (MediaPipe Pose, 33 landmarks): root = mean of the hips, neck = mean of the
  shoulders, head = nose, toes = ``*_foot_index``, hands = mean of ``*_index`` and ``*_pinky``.
  Missing: belly, spine, chest, linshoulder, rinshoulder.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from dancegen.metrics import EvaluationError
from dancegen.videos.landmarks import MEDIAPIPE_JOINTS

#: SMPL-24 joint names in SMPL order, as the reference metric code names them.
SMPL_NAMES: tuple[str, ...] = (
    "root", "lhip", "rhip", "belly", "lknee", "rknee", "spine", "lankle", "rankle", "chest",
    "ltoes", "rtoes", "neck", "linshoulder", "rinshoulder", "head", "lshoulder", "rshoulder",
    "lelbow", "relbow", "lwrist", "rwrist", "lhand", "rhand",
)  # fmt: skip

#: MediaPipe Pose landmark names (33), in MediaPipe's order (the `mediapipe` skeleton's).
MEDIAPIPE_NAMES: tuple[str, ...] = MEDIAPIPE_JOINTS


@dataclass(frozen=True)
class MetricSkeleton:
    """A skeleton as the metrics see it: its joint count and its SMPL-name mapping."""

    name: str
    num_joints: int
    mapping: dict[str, tuple[int, ...]]

    @cached_property
    def available(self) -> tuple[str, ...]:
        """SMPL names this skeleton provides, in SMPL order."""
        return tuple(n for n in SMPL_NAMES if n in self.mapping)

    @cached_property
    def missing(self) -> tuple[str, ...]:
        """SMPL names this skeleton cannot provide, in SMPL order."""
        return tuple(n for n in SMPL_NAMES if n not in self.mapping)

    @cached_property
    def matrix(self) -> np.ndarray:
        """(24, J) averaging matrix; rows of missing joints are zero (their view is NaN)."""
        m = np.zeros((len(SMPL_NAMES), self.num_joints))
        for row, name in enumerate(SMPL_NAMES):
            idx = self.mapping.get(name)
            if idx:
                m[row, list(idx)] = 1.0 / len(idx)
        return m


def _identity() -> dict[str, tuple[int, ...]]:
    return {n: (i,) for i, n in enumerate(SMPL_NAMES)}


METRIC_SKELETONS: dict[str, MetricSkeleton] = {
    "smpl24": MetricSkeleton("smpl24", 24, _identity()),
    "dwm23": MetricSkeleton(
        "dwm23",
        23,
        {
            "root": (7, 16), "lhip": (16,), "rhip": (7,), "lknee": (17,), "rknee": (8,),
            "lankle": (18,), "rankle": (9,), "ltoes": (20,), "rtoes": (11,), "neck": (3, 12),
            "head": (0, 1), "lshoulder": (12,), "rshoulder": (3,), "lelbow": (13,),
            "relbow": (4,), "lwrist": (15,), "rwrist": (6,),
        },
    ),
    "coco17": MetricSkeleton(
        "coco17",
        17,
        {
            "root": (11, 12), "lhip": (11,), "rhip": (12,), "lknee": (13,), "rknee": (14,),
            "lankle": (15,), "rankle": (16,), "neck": (5, 6), "head": (0,), "lshoulder": (5,),
            "rshoulder": (6,), "lelbow": (7,), "relbow": (8,), "lwrist": (9,), "rwrist": (10,),
        },
    ),
    "mediapipe": MetricSkeleton(
        "mediapipe",
        33,
        {
            "root": (23, 24), "lhip": (23,), "rhip": (24,), "lknee": (25,), "rknee": (26,),
            "lankle": (27,), "rankle": (28,), "ltoes": (31,), "rtoes": (32,), "neck": (11, 12),
            "head": (0,), "lshoulder": (11,), "rshoulder": (12,), "lelbow": (13,),
            "relbow": (14,), "lwrist": (15,), "rwrist": (16,), "lhand": (17, 19),
            "rhand": (18, 20),
        },
    ),
}  # fmt: skip


def get_metric_skeleton(name: str) -> MetricSkeleton:
    """The metric mapping of skeleton ``name``; EvaluationError for an unknown skeleton."""
    try:
        return METRIC_SKELETONS[name]
    except KeyError:
        known = ", ".join(sorted(METRIC_SKELETONS))
        raise EvaluationError(f"unknown skeleton {name!r}; the metrics know: {known}.") from None


def smpl_view(joints: np.ndarray, skeleton: str) -> np.ndarray:
    """Joints (..., T, J, 3) of ``skeleton`` -> (..., T, 24, 3) float64 on SMPL names; NaN where missing."""
    spec = get_metric_skeleton(skeleton)
    joints = np.asarray(joints, dtype=np.float64)
    if joints.shape[-2] != spec.num_joints or joints.shape[-1] != 3:
        raise EvaluationError(
            f"skeleton {skeleton} has {spec.num_joints} joints, but the motion has shape {joints.shape}."
        )
    if skeleton == "smpl24":
        return joints.copy()
    out = np.einsum("sj,...jd->...sd", spec.matrix, joints)
    out[..., [SMPL_NAMES.index(n) for n in spec.missing], :] = np.nan
    return out


def common_available(skeletons: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """SMPL names that every one of ``skeletons`` provides, in SMPL order."""
    names = set(SMPL_NAMES)
    for s in skeletons:
        names &= set(get_metric_skeleton(s).available)
    return tuple(n for n in SMPL_NAMES if n in names)
