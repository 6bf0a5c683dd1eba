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

Borders (where generated frames meet pinned ones) need more than pinning: the model decides a
window's facing and stance in the first, noisiest steps, before the pinned values show through
the noise, and then snaps to them in one token. ``generate.generate_features`` therefore (1) turns
the constraint about the vertical axis to the facing a cheap unconstrained pass has at its
borders (``orientation_offset``, ``turn_features``; the result is turned back, so pinned frames
are exact), (2) starts the frames next to each border from a draft that holds the pinned edge
frame (``border_draft``, injected once at 80% noise by ``models.sampling``), and (3) at every step
carries the model's own error at each pinned edge frame into the 0.3 s of generated frames beside
it (the sampler's ``carry_frames``). Pinning alone (``GenerationSettings.edit_draft = False``)
blends the jumps it leaves afterwards (``blend_borders``). ``constraint_report`` measures a result
against its constraint in metres (what ``dancegen generate`` prints).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import DancegenError
from dancegen.motion.motion import Motion, load_motion
from dancegen.motion.representation import FeatureLayout, encode
from dancegen.motion.skeleton import SkeletonSpec
from dancegen.motion.smoothing import smoothstep

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

    def turned(self, angle: float, num_joints: int) -> Constraint:
        """The same constraint for the motion turned by ``angle`` radians about the vertical axis."""
        return Constraint(turn_features(self.known, angle, num_joints), self.mask.copy())


@dataclass(frozen=True)
class Border:
    """Where a generated run meets a pinned frame: ``edge`` is the pinned frame, ``step`` (+1 or -1)
    points from it into the generated run, ``cols`` (D,) bool are the entries pinned at ``edge``."""

    edge: int
    step: int
    cols: np.ndarray


def borders(c: Constraint) -> list[Border]:
    """Every border between a pinned frame and a generated (fully free) one, in time order."""
    pinned = c.mask.any(axis=1)
    out = []
    for b in np.flatnonzero(pinned[1:] != pinned[:-1]) + 1:  # frames b - 1 and b differ
        edge, step = (b - 1, 1) if pinned[b - 1] else (b, -1)
        out.append(Border(int(edge), step, c.mask[edge].copy()))
    return out


def turn_features(feats: np.ndarray, angle: float, num_joints: int) -> np.ndarray:
    """Features (..., D) of the motion turned by ``angle`` radians about the vertical (y) axis.

    Every vector feature (root velocity, root-relative joints, joint velocities) turns on the
    floor as x + iz -> (x + iz) e^(i angle), so ``facing`` grows by ``angle``; root height and foot
    contacts stay. Exact up to float round-off.
    """
    if angle == 0.0:
        return feats.copy()
    lay = FeatureLayout(num_joints)
    out = np.array(feats, dtype=np.float64, copy=True)
    c, s = np.cos(angle), np.sin(angle)

    def turn(v: np.ndarray) -> np.ndarray:  # (..., n, 3) -> same, turned about y
        x, z = v[..., 0].copy(), v[..., 2].copy()
        v[..., 0], v[..., 2] = c * x - s * z, s * x + c * z
        return v

    rv = out[..., lay.root_vel]
    out[..., lay.root_vel] = np.stack([c * rv[..., 0] - s * rv[..., 1], s * rv[..., 0] + c * rv[..., 1]], axis=-1)
    for sl in (lay.local, lay.joint_vel):
        v = out[..., sl].reshape(*out.shape[:-1], num_joints, 3)
        out[..., sl] = turn(v).reshape(*out.shape[:-1], 3 * num_joints)
    return out.astype(feats.dtype)


def facing(feats: np.ndarray, spec: SkeletonSpec) -> np.ndarray:
    """Facing (..., T) radians on the floor: the angle of the left-minus-right hip axis, atan2(z, x)."""
    lay = FeatureLayout(spec.num_joints)
    local = feats[..., lay.local].reshape(*feats.shape[:-1], spec.num_joints, 3)
    axis = local[..., list(spec.common["left_hip"]), :].mean(-2) - local[..., list(spec.common["right_hip"]), :].mean(-2)
    return np.arctan2(axis[..., 2], axis[..., 0])


def _hip_columns(spec: SkeletonSpec) -> np.ndarray:
    lay = FeatureLayout(spec.num_joints)
    hips = sorted(set(spec.common["left_hip"]) | set(spec.common["right_hip"]))
    return _joint_columns(lay, hips, "positions")


def pose_borders(c: Constraint, spec: SkeletonSpec) -> list[Border]:
    """The borders whose pinned frame fixes the hips (so the facing of the pinned pose)."""
    hips = _hip_columns(spec)
    return [b for b in borders(c) if b.cols[hips].all()]


def orientation_offset(c: Constraint, feats: np.ndarray, spec: SkeletonSpec, span: int = 15) -> float:
    """Angle (radians) to turn ``c`` by so that its pinned poses face, at each border, the way the
    unconstrained features ``feats`` (T, D) face over the ``span`` generated frames beside it.

    Averaged (as unit vectors) over the borders whose pinned frame fixes the hips; 0 without any.
    """
    pinned = c.mask.any(axis=1)
    diffs = []
    for b in pose_borders(c, spec):
        run = []
        for k in range(1, span + 1):
            t = b.edge + b.step * k
            if not 0 <= t < len(pinned) or pinned[t]:
                break
            run.append(t)
        if run:
            free = np.exp(1j * facing(feats[run], spec)).mean()
            diffs.append(free / abs(free) * np.exp(-1j * facing(c.known[b.edge], spec)) if abs(free) > 1e-6 else 0)
    total = np.sum(diffs) if diffs else 0
    return float(np.angle(total)) if abs(total) > 1e-6 else 0.0


#: Border draft: the pinned edge frame is held this many seconds into the generated run, then faded out.
DRAFT_HOLD_S = 0.5
DRAFT_FADE_S = 0.5
#: Seconds over which the sampler carries the model's error at a pinned edge frame into the frames beside it.
CARRY_S = 0.3


def border_draft(c: Constraint, fps: float, hold_s: float = DRAFT_HOLD_S,
                 fade_s: float = DRAFT_FADE_S) -> tuple[np.ndarray, np.ndarray]:
    """Where the generated frames next to each border should start: (values, weight), both (T, D).

    Per feature column, each pinned value next to a generated run is held into that run, with
    weight 1 for ``hold_s`` and then a smoothstep fade to 0 over ``fade_s``; between two pinned runs
    the two holds are averaged by their weights. Pinned entries keep their own value and weight 1.
    The sampler starts the generated frames from this draft at a high noise level
    (``models.sampling``), so the model's first decisions there (facing, stance, pose) agree with
    the pinned frames and it dances away from them instead of snapping to its own at the border.
    """
    t_max, d = c.known.shape
    hold, fade = int(round(hold_s * fps)), max(1, int(round(fade_s * fps)))
    u = np.arange(1, fade + 1) / (fade + 1)
    ramp = np.r_[np.ones(hold), 1 - smoothstep(u)]  # weight at distance 1, 2, ... from the edge
    total_w = np.zeros((t_max, d))
    total_v = np.zeros((t_max, d))
    best = np.zeros((t_max, d))
    for direction in (1, -1):
        order = range(t_max) if direction == 1 else range(t_max - 1, -1, -1)
        last = np.full(d, np.nan)  # the latest pinned value per column, walking in ``direction``
        dist = np.zeros(d, int)
        for t in order:
            m = c.mask[t]
            dist += 1
            last[m] = c.known[t, m]
            dist[m] = 0
            free = ~m & ~np.isnan(last) & (dist >= 1) & (dist <= len(ramp))
            if free.any():
                w = ramp[dist[free] - 1]
                total_w[t, free] += w
                total_v[t, free] += w * last[free]
                best[t, free] = np.maximum(best[t, free], w)
    values = np.where(total_w > 0, total_v / np.maximum(total_w, 1e-12), 0.0)
    values[c.mask] = c.known[c.mask]
    weight = np.where(c.mask, 1.0, best)
    return values.astype(np.float32), weight.astype(np.float32)


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
    ramp = 1.0 - smoothstep(np.arange(n) / n)  # 1 at the border, fading to 0
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
    """Mean absolute difference (feature units: metres, m/s) on the pinned entries of features as
    the sampler returns them (not re-encoded from joints: see ``constraint_report``)."""
    if not c.mask.any():
        return 0.0
    return float(np.abs(motion_feats[c.mask] - c.known[c.mask]).mean())


@dataclass
class ConstraintReport:
    """How far a motion is from its constraint, in metres.

    ``joints``: pinned joints (root-relative position, plus the root height where that is pinned
    too) against the given pose, over ``joint_count`` (frame, joint) pairs. ``path``: the root's
    floor position over each run of frames whose root velocity is pinned, relative to the run's
    first frame, against the path those velocities give, over ``path_frames`` frames.
    """

    joint_count: int
    joints_mean: float
    joints_max: float
    path_frames: int
    path_mean: float
    path_max: float

    def summary(self) -> str:
        parts = []
        if self.joint_count:
            parts.append(f"pinned joints within {self.joints_max * 100:.2f} cm of the given poses "
                         f"(mean {self.joints_mean * 100:.2f} cm)")
        if self.path_frames:
            parts.append(f"root path within {self.path_max * 100:.2f} cm of the given one "
                         f"(mean {self.path_mean * 100:.2f} cm)")
        return "; ".join(parts) if parts else "nothing pinned"


def constraint_report(joints: np.ndarray, c: Constraint, spec: SkeletonSpec, fps: float) -> ConstraintReport:
    """Joints (T, J, 3) metres of the final motion against constraint ``c``, in metres."""
    lay = FeatureLayout(spec.num_joints)
    root = spec.root_position(joints)
    local = joints - root[:, None, :]
    known_local = c.known[:, lay.local].reshape(-1, spec.num_joints, 3)
    local_pinned = c.mask[:, lay.local].reshape(-1, spec.num_joints, 3).all(-1)  # (T, J)
    height = c.mask[:, lay.root_height.start]
    got = local + np.where(height[:, None, None], root[:, None, 1:2] * np.array([0, 1, 0]), 0)
    want = known_local + np.where(height[:, None, None], c.known[:, None, lay.root_height] * np.array([0, 1, 0]), 0)
    err = np.linalg.norm(got - want, axis=-1)[local_pinned]
    path_err = []
    vel_pinned = c.mask[:, lay.root_vel].all(axis=1)
    t = 0
    while t < len(vel_pinned):
        if not vel_pinned[t]:
            t += 1
            continue
        end = t
        while end + 1 < len(vel_pinned) and vel_pinned[end + 1]:
            end += 1
        if end > t:  # positions t..end: the velocities of frames t+1..end move the root from frame t
            given = np.cumsum(c.known[t + 1 : end + 1, lay.root_vel], axis=0) / fps
            made = root[t + 1 : end + 1][:, [0, 2]] - root[t, [0, 2]]
            path_err.append(np.linalg.norm(made - given, axis=1))
        t = end + 1
    path_err = np.concatenate(path_err) if path_err else np.zeros(0)
    return ConstraintReport(
        int(err.size), float(err.mean()) if err.size else 0.0, float(err.max()) if err.size else 0.0,
        int(path_err.size), float(path_err.mean()) if path_err.size else 0.0,
        float(path_err.max()) if path_err.size else 0.0,
    )


__all__ = [
    "CARRY_S", "Border", "Constraint", "ConstraintError", "ConstraintReport", "blend_borders", "body_part_joints", "border_draft",
    "borders", "constraint_error", "constraint_report", "continuation", "facing", "inbetween", "keep_part", "keyframes",
    "load_keyframes", "load_path", "orientation_offset", "pose_borders", "root_path", "turn_features",
]
