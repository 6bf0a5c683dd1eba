"""The Motion type and its ``.npz`` schema.

A Motion is joint positions ``joints`` (T, J, 3) float32 in metres, y-up (x to the dancer's left
when facing +z), sampled at an explicit ``fps``, on a named skeleton (``dancegen.motion.skeleton``).
Saved as ``.npz`` with exactly the keys ``joints``, ``fps`` and ``skeleton``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import MotionFileError
from dancegen.motion.skeleton import SkeletonSpec, get_skeleton


@dataclass
class Motion:
    """Joint positions (T, J, 3) float32, metres, y-up, at ``fps`` frames per second."""

    joints: np.ndarray
    fps: float
    skeleton: str

    def __post_init__(self) -> None:
        self.joints = np.ascontiguousarray(self.joints, dtype=np.float32)
        if self.joints.ndim != 3 or self.joints.shape[2] != 3:
            raise ValueError(f"joints must be (T, J, 3), got {self.joints.shape}")
        spec = get_skeleton(self.skeleton)
        if self.joints.shape[1] != spec.num_joints:
            raise ValueError(
                f"skeleton {self.skeleton} has {spec.num_joints} joints, got {self.joints.shape[1]}"
            )
        self.fps = float(self.fps)
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def spec(self) -> SkeletonSpec:
        return get_skeleton(self.skeleton)

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds (frames / fps)."""
        return self.num_frames / self.fps

    def resample(self, fps: float) -> Motion:
        """Linearly resample in time to ``fps``; the duration is kept (frame 0 stays at t=0)."""
        if abs(fps - self.fps) < 1e-9:
            return Motion(self.joints.copy(), self.fps, self.skeleton)
        n_out = max(1, int(round(self.num_frames * fps / self.fps)))
        t_out = np.arange(n_out) / fps
        t_in = np.arange(self.num_frames) / self.fps
        pos = np.clip(np.interp(t_out, t_in, np.arange(self.num_frames)), 0, self.num_frames - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, self.num_frames - 1)
        w = (pos - lo)[:, None, None].astype(np.float32)
        joints = self.joints[lo] * (1 - w) + self.joints[hi] * w
        return Motion(joints, fps, self.skeleton)

    def slice_seconds(self, start: float, end: float) -> Motion:
        """The frames whose times lie in [start, end) seconds."""
        a = max(0, int(round(start * self.fps)))
        b = min(self.num_frames, int(round(end * self.fps)))
        return Motion(self.joints[a:b], self.fps, self.skeleton)

    def common(self) -> np.ndarray:
        """Joints mapped to the common body set, (T, 18, 3)."""
        return self.spec.to_common(self.joints)


def save_motion(motion: Motion, path: str | Path) -> None:
    """Write ``motion`` to ``path`` (.npz with keys joints, fps, skeleton), atomically."""
    from dancegen.io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                joints=motion.joints.astype(np.float32),
                fps=np.float32(motion.fps),
                skeleton=np.str_(motion.skeleton),
            )


def load_motion(path: str | Path) -> Motion:
    """Read a ``.npz`` motion file; raises MotionFileError naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise MotionFileError(f"{path}: no such motion file.")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = {"joints", "fps", "skeleton"} - set(data.files)
            if missing:
                raise MotionFileError(
                    f"{path}: not a dancegen motion file (missing keys: {', '.join(sorted(missing))})."
                )
            return Motion(data["joints"], float(data["fps"]), str(data["skeleton"]))
    except MotionFileError:
        raise
    except (ValueError, KeyError, OSError, EOFError) as err:
        raise MotionFileError(f"{path}: cannot read motion file ({err}).") from None
