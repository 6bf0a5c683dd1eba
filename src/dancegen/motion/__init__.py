"""Motion: the one type for 3D dance everywhere, skeleton specs, kinematics and representations."""

from dancegen.motion.motion import Motion, load_motion, save_motion
from dancegen.motion.skeleton import COMMON_JOINTS, SKELETONS, SkeletonSpec, get_skeleton

__all__ = [
    "COMMON_JOINTS",
    "SKELETONS",
    "Motion",
    "SkeletonSpec",
    "get_skeleton",
    "load_motion",
    "save_motion",
]
