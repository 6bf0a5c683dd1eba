"""Edits by inpainting: which motion features are fixed while the model samples the rest.

A ``Constraint`` holds, for a song of T frames at the model fps, the motion features ``known``
(T, D) (the checkpoint's representation, not normalised) and a boolean ``mask`` (T, D) of the
entries that must take those values. The sampler pins masked entries at every DDIM step
(``models/sampling.py``), so the model fills in the rest consistently with them.

Builders (all motions must use the checkpoint's skeleton; they are resampled to its fps):

==============  ==========================================================================
keyframes       poses at given times: root-relative joints + root height of those frames
inbetween       motion A at the start, motion B at the end, the model fills the gap
keep_part       the lower (or upper) body of a motion over the whole song, the rest generated
continuation    a motion's frames first, then the model continues it into the rest of the song
root_path       the root's floor velocity from a path of (x, z) metres per frame
==============  ==========================================================================

File formats (docs/EDITING.md): motions are our ``.npz`` (joints, fps, skeleton); a keyframe file
is such an ``.npz`` with one pose per keyframe plus ``times`` (K,) seconds; a path is an ``.npy``
or ``.csv`` of (T, 2) x, z metres at the model fps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import DancegenError
from dancegen.motion.motion import Motion, load_motion
from dancegen.motion.representation import FeatureLayout, encode
from dancegen.motion.skeleton import SkeletonSpec

#: Common-body joints that make up the lower body; every other joint is upper body.
LOWER_COMMON = ("pelvis", "left_hip", "left_knee", "left_ankle", "left_toe", "right_hip", "right_knee",
                "right_ankle", "right_toe")


class ConstraintError(DancegenError):
    """A constraint file or request that cannot be applied."""


@dataclass
class Constraint:
    """Features ``known`` (T, D) pinned where ``mask`` (T, D) is true."""

    known: np.ndarray
    mask: np.ndarray

    def __post_init__(self) -> None:
        if self.known.shape != self.mask.shape:
            raise ValueError(f"known {self.known.shape} and mask {self.mask.shape} differ")

    def __and__(self, other: Constraint) -> Constraint:
        """Both constraints (where both pin an entry, ``other`` wins)."""
        known = np.where(other.mask, other.known, self.known)
        return Constraint(known, self.mask | other.mask)

    @property
    def constrained_frames(self) -> np.ndarray:
        """Indices of frames with at least one pinned entry."""
        return np.flatnonzero(self.mask.any(axis=1))


def _empty(frames: int, spec: SkeletonSpec) -> Constraint:
    d = FeatureLayout(spec.num_joints).dim
    return Constraint(np.zeros((frames, d), np.float32), np.zeros((frames, d), bool))


def _prepare(motion: Motion, spec: SkeletonSpec, fps: float, what: str) -> Motion:
    if motion.skeleton != spec.name:
        raise ConstraintError(f"{what}: skeleton {motion.skeleton}, but the model dances on {spec.name}.")
    if not np.isfinite(motion.joints).all():
        raise ConstraintError(f"{what}: contains NaN or infinite joint positions.")
    return motion.resample(fps)


def _joint_columns(lay: FeatureLayout, joints: list[int], part: str) -> np.ndarray:
    """Feature columns of the local positions (and velocities) of ``joints``."""
    cols = []
    for j in joints:
        base = lay.local.start + 3 * j
        cols += [base, base + 1, base + 2]
        if part == "both":
            vbase = lay.joint_vel.start + 3 * j
            cols += [vbase, vbase + 1, vbase + 2]
    return np.array(cols, int)


def keyframes(poses: Motion, times: np.ndarray, frames: int, spec: SkeletonSpec, fps: float,
              what: str = "keyframes") -> Constraint:
    """Pin each pose (root-relative joints and root height) at its time (seconds)."""
    if poses.skeleton != spec.name:
        raise ConstraintError(f"{what}: skeleton {poses.skeleton}, but the model dances on {spec.name}.")
    times = np.asarray(times, float)
    if times.shape != (poses.num_frames,):
        raise ConstraintError(f"{what}: {poses.num_frames} poses but {times.size} times.")
    if not (np.isfinite(poses.joints).all() and np.isfinite(times).all()):
        raise ConstraintError(f"{what}: contains NaN or infinite values.")
    idx = np.round(times * fps).astype(int)
    if idx.min() < 0 or idx.max() >= frames:
        raise ConstraintError(f"{what}: a keyframe time lies outside the song (0 to {frames / fps:.2f} s).")
    c = _empty(frames, spec)
    lay = FeatureLayout(spec.num_joints)
    feats = encode(np.repeat(poses.joints[:, None], 2, axis=1), spec, fps)[:, 0]  # (K, D): poses alone
    cols = np.r_[lay.root_height, lay.local]
    for i, frame in enumerate(idx):
        c.known[frame, cols] = feats[i, cols]
        c.mask[frame, cols] = True
    return c


def _motion_features(motion: Motion, spec: SkeletonSpec, fps: float, what: str) -> np.ndarray:
    m = _prepare(motion, spec, fps, what)
    if m.num_frames < 2:
        raise ConstraintError(f"{what}: needs at least 2 frames.")
    return encode(m.joints, spec, fps)


def continuation(motion: Motion, frames: int, spec: SkeletonSpec, fps: float, what: str = "--continue") -> Constraint:
    """Pin every feature of the motion's frames at the start of the song."""
    feats = _motion_features(motion, spec, fps, what)
    if len(feats) >= frames:
        raise ConstraintError(f"{what}: the motion ({len(feats) / fps:.1f} s) is not shorter than the song "
                              f"({frames / fps:.1f} s): nothing left to continue.")
    c = _empty(frames, spec)
    c.known[: len(feats)] = feats
    c.mask[: len(feats)] = True
    return c


def inbetween(a: Motion, b: Motion, frames: int, spec: SkeletonSpec, fps: float) -> Constraint:
    """Pin motion A at the start and motion B at the end; the model writes the transition."""
    fa = _motion_features(a, spec, fps, "--inbetween A")
    fb = _motion_features(b, spec, fps, "--inbetween B")
    if len(fa) + len(fb) >= frames:
        raise ConstraintError(f"--inbetween: A and B ({(len(fa) + len(fb)) / fps:.1f} s) leave no gap in a "
                              f"{frames / fps:.1f}-s song.")
    c = _empty(frames, spec)
    c.known[: len(fa)], c.mask[: len(fa)] = fa, True
    c.known[frames - len(fb) :], c.mask[frames - len(fb) :] = fb, True
    # B's first root velocity is a copy of its second (no frame before it): let the model choose it
    lay = FeatureLayout(spec.num_joints)
    c.mask[frames - len(fb), lay.root_vel] = False
    return c


def body_part_joints(spec: SkeletonSpec, part: str) -> list[int]:
    """Indices of the skeleton's joints in the ``lower`` or ``upper`` body (via the common body)."""
    if part not in ("lower", "upper"):
        raise ConstraintError(f"--keep must be 'lower' or 'upper', got {part!r}.")
    lower = {j for name in LOWER_COMMON for j in spec.common[name]}
    lower |= {j for j, name in enumerate(spec.joint_names) if name.endswith(("_heel", "_foot"))}
    return sorted(lower) if part == "lower" else [j for j in range(spec.num_joints) if j not in lower]


def keep_part(motion: Motion, part: str, frames: int, spec: SkeletonSpec, fps: float) -> Constraint:
    """Pin the lower (with the root's path, height and foot contacts) or upper body of a motion."""
    feats = _motion_features(motion, spec, fps, "--from")
    if len(feats) < frames:
        raise ConstraintError(f"--from: the motion ({len(feats) / fps:.1f} s) is shorter than the song "
                              f"({frames / fps:.1f} s).")
    lay = FeatureLayout(spec.num_joints)
    cols = _joint_columns(lay, body_part_joints(spec, part), "both")
    if part == "lower":
        cols = np.r_[cols, np.arange(lay.root_vel.start, lay.root_height.stop), np.arange(lay.contacts.start, lay.contacts.stop)]
    c = _empty(frames, spec)
    c.known[:, cols] = feats[:frames, cols]
    c.mask[:, cols] = True
    return c


def root_path(path: np.ndarray, frames: int, spec: SkeletonSpec, fps: float) -> Constraint:
    """Pin the root's floor velocity so that it follows ``path`` (N, 2) x, z metres per frame.

    A path shorter than the song constrains its first N frames.
    """
    path = np.asarray(path, float)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) < 2:
        raise ConstraintError(f"--path: expected (frames, 2) x, z metres, got shape {path.shape}.")
    if not np.isfinite(path).all():
        raise ConstraintError("--path: contains NaN or infinite values.")
    n = min(len(path), frames)
    vel = np.diff(path[:n], axis=0, prepend=path[:1]) * fps
    vel[0] = vel[1]
    lay = FeatureLayout(spec.num_joints)
    c = _empty(frames, spec)
    c.known[:n, lay.root_vel] = vel
    c.mask[:n, lay.root_vel] = True
    return c


#: Seconds over which a jump at a border between pinned and generated frames is blended away.
BORDER_BLEND_S = 0.3


def blend_borders(feats: np.ndarray, c: Constraint, fps: float, seconds: float = BORDER_BLEND_S) -> np.ndarray:
    """Remove jumps where generated frames meet pinned ones (inertialization-style offset blending).

    Inpainting pins values but does not make the model's neighbouring frames agree with them. At
    each border, the generated frame next to the pinned run is moved to where the pinned run's own
    motion (linear extrapolation) says it should be, and that offset fades out with a smoothstep
    over ``seconds`` into the generated run. Pinned entries are never changed. feats (T, D).
    """
    n = max(1, int(round(seconds * fps)))
    pinned = c.mask.any(axis=1)
    out = feats.copy()
    ramp = 1.0 - (lambda u: u * u * (3 - 2 * u))(np.arange(n) / n)  # 1 at the border, fading to 0
    t_max = len(feats)
    for b in range(1, t_max):
        if pinned[b - 1] == pinned[b]:
            continue
        if pinned[b - 1]:  # generated run starts at b, going forward
            edge, step, cols = b - 1, 1, c.mask[b - 1]
        else:  # generated run ends at b - 1, going backward from it
            edge, step, cols = b, -1, c.mask[b]
        prev = edge - step
        has_prev = 0 <= prev < t_max and pinned[prev]
        expected = 2 * feats[edge, cols] - feats[prev, cols] if has_prev else feats[edge, cols]
        first = edge + step
        offset = expected - feats[first, cols]
        for k in range(n):
            t = first + step * k
            if not (0 <= t < t_max) or pinned[t]:
                break
            out[t, cols] += ramp[k] * offset
    return out


def load_keyframes(path: str | Path) -> tuple[Motion, np.ndarray]:
    """A keyframe file: our motion ``.npz`` plus ``times`` (K,) seconds, one pose per keyframe."""
    motion = load_motion(path)
    with np.load(path, allow_pickle=False) as data:
        if "times" not in data.files:
            raise ConstraintError(f"{path}: a keyframe file needs 'times' (seconds, one per pose).")
        times = np.asarray(data["times"], float)
    return motion, times


def load_path(path: str | Path) -> np.ndarray:
    """A root path file: ``.npy`` or ``.csv`` of (frames, 2) x, z metres."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False) if path.suffix == ".npy" else np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as err:
        raise ConstraintError(f"{path}: cannot read the path ({err}).") from None
    return np.asarray(arr, float)


def constraint_error(motion_feats: np.ndarray, c: Constraint) -> float:
    """Mean absolute difference (feature units: metres, m/s) on the pinned entries."""
    if not c.mask.any():
        return 0.0
    return float(np.abs(motion_feats[c.mask] - c.known[c.mask]).mean())


__all__ = [
    "Constraint", "ConstraintError", "blend_borders", "body_part_joints", "constraint_error", "continuation",
    "inbetween", "keep_part", "keyframes", "load_keyframes", "load_path", "root_path",
]
