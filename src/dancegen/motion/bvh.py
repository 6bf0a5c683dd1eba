"""BVH export: joint rotations solved from joint positions, on the skeleton's own hierarchy.

A Motion stores positions only; a BVH stores one rest skeleton (constant bone offsets) plus, per
frame, the root position and one rotation per joint. ``write_bvh`` builds the rest skeleton from the
motion and solves the rotations so that forward kinematics of the BVH reproduces the joints:

* **Convention.** Y up, the dancer faces +Z in the rest pose with +X on the dancer's left (the
  Motion axes; Blender's BVH importer defaults, forward -Z / up Y, bring it in upright). Positions
  in centimetres by default (``scale=100`` times our metres). Root channels ``Xposition Yposition
  Zposition Zrotation Xrotation Yrotation``, every other joint ``Zrotation Xrotation Yrotation``:
  intrinsic Z-X-Y Euler angles in degrees, so a joint's local rotation is ``Rz @ Rx @ Ry``
  (column vectors, the usual BVH reading). Angles are unwrapped over time (no 360-degree jumps).
* **Hierarchy.** The skeleton's joints and parents (``SkeletonSpec``), joint names as BVH names,
  plus *helper joints*: a joint with several children turns them all with one rotation, which only
  reproduces them if they move as one rigid body (the pelvis with its two hips, the chest with its
  shoulders). Each child that is not listed in ``RIGID_CHILDREN`` for its skeleton hangs from a
  helper joint ``<parent>_to_<child>`` placed on the parent (zero offset, own rotation), so that it
  is reproduced exactly too. Leaf joints end in an ``End Site`` continuing their bone. Points
  with no fixed distance to their parent (``FREE_JOINTS``: the Dance-with-Melody markers 21 and 22)
  also get position channels (``Xposition Yposition Zposition`` before the rotations), which BVH
  readers apply in the parent's frame in place of OFFSET.
* **Rest pose.** Bone lengths are the per-bone medians over the motion; directions come from the
  motion's mean pose with each frame turned to face +Z, then arms straightened out sideways and
  legs straight down (a T-pose, as Blender and Mixamo rigs expect). Children of one rigid body keep
  their mean shape (a Procrustes mean), so the rigid fit is exact when the data are rigid.
* **Rotations.** Each bone of the BVH points exactly where the motion's bone points: a joint with
  one child gets the minimal (swing) rotation, relative to its parent, taking its rest bone onto
  the child's direction: no twist about the bone, so twist is continuous over time except where a
  bone turns through 180 degrees from its rest direction relative to its parent (there the swing
  is undefined and each frame follows the previous one instead). A joint with several children
  gets the weighted best rotation (Kabsch / SVD) of all of them.

Round-trip error (forward kinematics of the parsed BVH against the Motion): zero up to rounding
when bone lengths are constant (forward-kinematics output, such as AIST++ SMPL joints); otherwise
each joint is off by the length differences, accumulated down its chain, between the frame's bones
and the BVH's median bones (bones keep their directions), plus, below a rigid group, by how much
the group deforms in that frame. docs/EXPORT.md has measured values.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import DancegenError
from dancegen.motion.kinematics import topological_order
from dancegen.motion.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS, SkeletonSpec

__all__ = [
    "FREE_JOINTS",
    "RIGID_CHILDREN",
    "BvhSkeleton",
    "bvh_channels",
    "bvh_skeleton",
    "bvh_text",
    "euler_zxy",
    "matrix_from_euler_zxy",
    "rotations_from_positions",
    "write_bvh",
]

#: Per skeleton: joints with several children whose listed children move with the joint as one
#: rigid body (one Kabsch rotation turns them all). Any other child of a joint with several
#: children gets its own helper joint; a skeleton missing here gets helpers for all of them.
RIGID_CHILDREN: dict[str, dict[str, tuple[str, ...]]] = {
    "smpl24": {
        "pelvis": ("left_hip", "right_hip", "spine1"),
        "spine3": ("neck", "left_collar", "right_collar"),
    },
    "dwm23": {  # the torso bends against the hips, the head turns, markers 21/22 float freely
        "spine": ("right_hip", "left_hip"),
        "head": ("right_shoulder", "left_shoulder"),
        "right_ankle": ("right_heel", "right_toe"),
        "left_ankle": ("left_heel", "left_toe"),
    },
    "coco17": {"nose": ("left_eye", "right_eye")},
    "mediapipe": {
        "nose": (
            "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
            "right_eye_outer", "left_ear", "right_ear", "left_mouth", "right_mouth",
        ),
        "left_wrist": ("left_pinky", "left_index", "left_thumb"),
        "right_wrist": ("right_pinky", "right_index", "right_thumb"),
        "left_ankle": ("left_heel", "left_foot_index"),
        "right_ankle": ("right_heel", "right_foot_index"),
    },
}  # fmt: skip

#: Per skeleton: points with no fixed distance to their parent (leaves). They are written with
#: position channels too (their position in the parent's frame, which replaces OFFSET each frame),
#: so they are reproduced exactly; they take no part in their parent's rotation.
FREE_JOINTS: dict[str, tuple[str, ...]] = {"dwm23": ("marker_21", "marker_22")}

# Below this length (metres) a vector has no usable direction.
_EPS = 1e-9
# Swing rotations closer than this (cosine) to 180 degrees take their axis from the previous frame.
_ANTIPARALLEL = -0.9999


@dataclass(frozen=True)
class BvhSkeleton:
    """The BVH hierarchy of a Motion: its joints plus helper joints, with rest offsets.

    ``names`` (N,) BVH joint names; ``parents`` (N,) parent index, -1 for the root; ``source``
    (N,) the Motion joint each BVH joint sits on (a helper sits on its parent's joint);
    ``offsets`` (N, 3) rest offsets from the parent in metres (zero for the root and helpers);
    ``end_sites`` (N, 3) End Site offsets in metres (used for leaves only); ``weights`` (N,) the
    weight of each joint in its parent's rigid fit; ``free`` (N,) joints written with position
    channels (``FREE_JOINTS``).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    source: tuple[int, ...]
    offsets: np.ndarray
    end_sites: np.ndarray
    weights: np.ndarray
    free: tuple[bool, ...]

    @property
    def solver_offsets(self) -> np.ndarray:
        """``offsets`` with the free joints' zeroed: what the rotation solver aims (N, 3)."""
        out = self.offsets.copy()
        out[list(self.free)] = 0.0
        return out

    def is_helper(self, j: int) -> bool:
        """Whether BVH joint j is a helper (it sits on its parent's Motion joint)."""
        p = self.parents[j]
        return p >= 0 and self.source[p] == self.source[j]

    @property
    def children(self) -> list[list[int]]:
        """Children of each joint, in file order (by the Motion joint they lead to)."""
        out: list[list[int]] = [[] for _ in self.names]
        for j, p in enumerate(self.parents):
            if p >= 0:
                out[p].append(j)
        lead = [out[j][0] if self.is_helper(j) else j for j in range(len(self.names))]
        return [sorted(c, key=lambda k: lead[k]) for c in out]

    def file_order(self) -> list[int]:
        """BVH joint indices in the order the file lists them (depth first from the root)."""
        kids = self.children
        order: list[int] = []
        stack = [self.parents.index(-1)]
        while stack:
            j = stack.pop()
            order.append(j)
            stack.extend(reversed(kids[j]))
        return order


# --------------------------------------------------------------------------------------------
# rotations


def _normalize(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (..., 3) and a mask of those that were long enough to have a direction."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    ok = n[..., 0] > _EPS
    return np.where(ok[..., None], v / np.where(ok[..., None], n, 1.0), 0.0), ok


def _axis_angle(axis: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about unit ``axis`` (..., 3) by the angle with ``cos``/``sin``."""
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    c, s = cos, sin
    t = 1.0 - c
    return np.stack(
        [
            np.stack([c + x * x * t, x * y * t - z * s, x * z * t + y * s], -1),
            np.stack([y * x * t + z * s, c + y * y * t, y * z * t - x * s], -1),
            np.stack([z * x * t - y * s, z * y * t + x * s, c + z * z * t], -1),
        ],
        -2,
    )


def _minimal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimal rotations (..., 3, 3) taking unit vectors a onto unit vectors b (..., 3).

    Exact except at 180 degrees, where the axis is undefined (callers avoid it); zero vectors
    (no direction) give the identity.
    """
    cross = np.cross(a, b)
    axis, ok = _normalize(cross)
    out = _axis_angle(axis, np.sum(a * b, axis=-1), np.linalg.norm(cross, axis=-1))
    return np.where((ok | (np.sum(a * b, axis=-1) > 0))[..., None, None], out, np.eye(3))


def _swing(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) taking the unit vector ``rest`` (3,) onto unit vectors ``target`` (T, 3).

    The minimal (swing) rotation, except within about a degree of 180 degrees, where its axis is
    undefined and flips: there each frame turns the previous frame's rotation by the small rotation
    that carries it onto the target, so the result stays exact and continuous over time. A zero
    target (no direction) gives the identity.
    """
    out = _minimal(np.broadcast_to(rest, target.shape), target)
    has_dir = np.linalg.norm(target, axis=-1) > 0.5
    bad = np.flatnonzero(has_dir & (target @ rest < _ANTIPARALLEL))
    if bad.size:
        perp = np.cross(rest, np.eye(3)[int(np.argmin(np.abs(rest)))])
        half_turn = _axis_angle(perp / np.linalg.norm(perp), np.array(-1.0), np.array(0.0))
        for i in bad:
            prev = out[i - 1] if i > 0 else half_turn
            out[i] = _minimal(prev @ rest, target[i]) @ prev
    return out


def _kabsch(rest: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) minimising sum_i w_i |R rest_i - target_i|^2 (rest (K, 3), target (T, K, 3))."""
    h = np.einsum("k,ki,tkj->tij", weights, rest, target)  # (T, 3, 3) = sum w r t^T
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    d = np.where(d == 0, 1.0, d)
    fix = np.ones((h.shape[0], 3))
    fix[:, 2] = d
    return np.swapaxes(vt, -1, -2) @ (fix[:, :, None] * np.swapaxes(u, -1, -2))


def _fit_members(parents: Sequence[int], offsets: np.ndarray) -> list[list[int]]:
    """For each joint, the joints that orient it: its children with a non-zero rest offset; if it has
    none, the nearest such descendants seen through zero-offset children (helper joints)."""
    n = len(parents)
    kids: list[list[int]] = [[] for _ in range(n)]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[p].append(j)
    long = np.linalg.norm(offsets, axis=-1) > _EPS

    def through(j: int) -> list[int]:
        out: list[int] = []
        for c in kids[j]:
            out.extend([c] if long[c] else through(c))
        return out

    members = []
    for j in range(n):
        direct = [c for c in kids[j] if long[c]]
        members.append(direct if direct else through(j))
    return members


def _subtree_sizes(parents: Sequence[int]) -> np.ndarray:
    sizes = np.ones(len(parents))
    for j in reversed(topological_order(parents)):
        if parents[j] >= 0:
            sizes[parents[j]] += sizes[j]
    return sizes


def _is_collinear(vectors: np.ndarray) -> bool:
    unit, ok = _normalize(vectors)
    unit = unit[ok]
    if len(unit) < 2:
        return True
    s = np.linalg.svd(unit, compute_uv=False)
    return bool(s[1] < 1e-3 * s[0])


def rotations_from_positions(
    joints: np.ndarray,
    parents: Sequence[int],
    offsets: np.ndarray,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Root positions (T, 3) and local rotations (T, J, 3, 3) that pose the rest skeleton as ``joints``.

    ``joints`` (T, J, 3) positions; ``parents`` (J,) with -1 for the one root; ``offsets`` (J, 3)
    rest offsets from each parent (any unit, the same as ``joints``; the rest pose has every
    rotation the identity, so offsets are world vectors at rest). ``weights`` (J,) weight a joint
    gets in its parent's fit (default: the size of its subtree). Conventions are those of
    ``kinematics.forward_kinematics``: feeding the result back gives ``joints`` again wherever
    bones have their rest lengths and each joint's fitted children form the rest shape.

    Joints are solved in hierarchy order: a joint with one child (with non-zero offset) gets the
    swing rotation, relative to its parent, taking the rest bone onto the child's current direction;
    a joint with several gets the weighted Kabsch rotation of all of them; a leaf keeps its parent's
    orientation (identity local rotation). Zero-offset children are looked through (helper
    joints). Bone directions are reproduced exactly; bone lengths are the rest lengths. Float64 out.
    """
    x = np.asarray(joints, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.float64)
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"joints must be (T, J, 3), got {x.shape}")
    t, n = x.shape[:2]
    if offsets.shape != (n, 3) or len(parents) != n:
        raise ValueError(f"offsets must be ({n}, 3) and parents of length {n}")
    roots = [j for j, p in enumerate(parents) if p < 0]
    if len(roots) != 1:
        raise ValueError(f"parents must have exactly one root (-1), found {len(roots)}")
    w = _subtree_sizes(parents) if weights is None else np.asarray(weights, dtype=np.float64)
    members = _fit_members(parents, offsets)
    eye = np.broadcast_to(np.eye(3), (t, 3, 3))
    glob = np.empty((t, n, 3, 3))
    local = np.empty((t, n, 3, 3))
    for j in topological_order(parents):
        p = parents[j]
        parent_rot = eye if p < 0 else glob[:, p]
        m = members[j]
        rest = np.stack([_rest_vector(k, j, parents, offsets) for k in m]) if m else np.zeros((0, 3))
        if len(m) >= 2 and _is_collinear(rest):
            m = [max(m, key=lambda k: w[k])]
            rest = np.stack([_rest_vector(m[0], j, parents, offsets)])
        if not m:
            g = parent_rot
        elif len(m) == 1:
            r_unit = rest[0] / np.linalg.norm(rest[0])
            target = np.einsum("tji,tj->ti", parent_rot, x[:, m[0]] - x[:, j])  # in the parent frame
            g = parent_rot @ _swing(r_unit, _normalize(target)[0])
        else:
            g = _kabsch(rest, x[:, m] - x[:, j, None], w[m])
        glob[:, j] = g
        local[:, j] = np.swapaxes(parent_rot, -1, -2) @ g
    return x[:, roots[0]].copy(), local


def _rest_vector(k: int, j: int, parents: Sequence[int], offsets: np.ndarray) -> np.ndarray:
    """Rest vector from joint j to its descendant k (sum of the offsets on the path)."""
    v = np.zeros(3)
    while k != j:
        v += offsets[k]
        k = parents[k]
    return v


# --------------------------------------------------------------------------------------------
# Euler angles


def euler_zxy(rot: np.ndarray) -> np.ndarray:
    """Intrinsic Z-X-Y Euler angles (T, J, 3) in radians, as (z, x, y), of rotations (T, J, 3, 3).

    ``rot = Rz(z) @ Rx(x) @ Ry(y)``. Unwrapped over time (axis 0): of the two equivalent angle
    triples, (z, x, y) and (z + pi, pi - x, y + pi), each frame takes the one nearest the previous
    frame's angles, shifted by whole turns, so no angle jumps by 360 degrees.
    """
    r = np.asarray(rot, dtype=np.float64)
    x = np.arctan2(r[..., 2, 1], np.hypot(r[..., 2, 0], r[..., 2, 2]))
    z = np.arctan2(-r[..., 0, 1], r[..., 1, 1])
    y = np.arctan2(-r[..., 2, 0], r[..., 2, 2])
    lock = np.hypot(r[..., 2, 0], r[..., 2, 2]) < 1e-9  # x = +-90 degrees: only z +- y is defined
    z = np.where(lock, np.arctan2(r[..., 1, 0], r[..., 0, 0]), z)
    y = np.where(lock, 0.0, y)
    a = np.stack([z, x, y], axis=-1)
    b = np.stack([z + np.pi, np.pi - x, y + np.pi], axis=-1)
    out = np.empty_like(a)
    out[0] = a[0]
    two_pi = 2 * np.pi
    for i in range(1, a.shape[0]):
        prev = out[i - 1]
        ca = a[i] + two_pi * np.round((prev - a[i]) / two_pi)
        cb = b[i] + two_pi * np.round((prev - b[i]) / two_pi)
        use_b = np.sum((cb - prev) ** 2, -1) < np.sum((ca - prev) ** 2, -1)
        out[i] = np.where(use_b[..., None], cb, ca)
    return out


def matrix_from_euler_zxy(angles: np.ndarray) -> np.ndarray:
    """Rotations (..., 3, 3) ``Rz(z) @ Rx(x) @ Ry(y)`` from angles (..., 3) = (z, x, y) in radians."""
    a = np.asarray(angles, dtype=np.float64)
    z, x, y = a[..., 0], a[..., 1], a[..., 2]
    one, zero = np.ones_like(z), np.zeros_like(z)
    rz = np.stack([np.stack([np.cos(z), -np.sin(z), zero], -1),
                   np.stack([np.sin(z), np.cos(z), zero], -1),
                   np.stack([zero, zero, one], -1)], -2)  # fmt: skip
    rx = np.stack([np.stack([one, zero, zero], -1),
                   np.stack([zero, np.cos(x), -np.sin(x)], -1),
                   np.stack([zero, np.sin(x), np.cos(x)], -1)], -2)  # fmt: skip
    ry = np.stack([np.stack([np.cos(y), zero, np.sin(y)], -1),
                   np.stack([zero, one, zero], -1),
                   np.stack([-np.sin(y), zero, np.cos(y)], -1)], -2)  # fmt: skip
    return rz @ rx @ ry


# --------------------------------------------------------------------------------------------
# the rest skeleton


def _check_motion(motion: Motion) -> np.ndarray:
    x = np.asarray(motion.joints, dtype=np.float64)
    if x.shape[0] < 1:
        raise DancegenError("cannot export BVH: the motion has no frames.")
    bad = ~np.isfinite(x).all(axis=(1, 2))
    if bad.any():
        raise DancegenError(
            f"cannot export BVH: {int(bad.sum())} of {x.shape[0]} frames have NaN or infinite joint "
            f"positions (first: frame {int(np.argmax(bad))})."
        )
    return x


def _hierarchy(spec: SkeletonSpec) -> tuple[list[str], list[int], list[int], list[bool]]:
    """BVH names, parents, source joints and free flags: the spec's joints (same indices) plus
    helpers after them."""
    roots = [j for j, p in enumerate(spec.parents) if p < 0]
    if len(roots) != 1:
        raise ValueError(f"{spec.name}: a BVH needs exactly one root joint, found {len(roots)}")
    names, parents, source = list(spec.joint_names), list(spec.parents), list(range(spec.num_joints))
    free = [name in FREE_JOINTS.get(spec.name, ()) for name in names]
    if any(f and (p < 0 or j in spec.parents) for j, (f, p) in enumerate(zip(free, spec.parents))):
        raise ValueError(f"{spec.name}: free joints must be leaves")
    rigid = RIGID_CHILDREN.get(spec.name, {})
    kids: list[list[int]] = [[] for _ in names]
    for c, p in enumerate(spec.parents):
        if p >= 0 and not free[c]:
            kids[p].append(c)
    for p, cs in enumerate(kids):
        if len(cs) < 2:
            continue
        keep = rigid.get(spec.joint_names[p], ())
        for c in cs:
            if spec.joint_names[c] in keep:
                continue
            names.append(f"{spec.joint_names[p]}_to_{spec.joint_names[c]}")
            parents.append(p)
            source.append(p)
            free.append(False)
            parents[c] = len(names) - 1
    return names, parents, source, free


def _yaw_frames(x: np.ndarray, spec: SkeletonSpec) -> np.ndarray:
    """Rotations (T, 3, 3) about +Y turning each frame so the dancer faces +Z (left along +X)."""
    common = spec.to_common(x).astype(np.float64)
    ci = {k: COMMON_JOINTS.index(k) for k in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")}
    left = (common[:, ci["left_hip"]] - common[:, ci["right_hip"]]) + (
        common[:, ci["left_shoulder"]] - common[:, ci["right_shoulder"]]
    )
    left[:, 1] = 0.0
    unit, ok = _normalize(left)
    unit[~ok] = (1.0, 0.0, 0.0)
    c, s = unit[:, 0], unit[:, 2]  # turn by -angle(left): x' = c x + s z, z' = -s x + c z
    zero, one = np.zeros_like(c), np.ones_like(c)
    return np.stack(
        [np.stack([c, zero, s], -1), np.stack([zero, one, zero], -1), np.stack([-s, zero, c], -1)], -2
    )


def _min_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A minimal rotation (3, 3) taking unit vector a onto unit vector b (any, at 180 degrees)."""
    return _swing(a, b[None])[0]


def _procrustes_mean(vectors: np.ndarray, lengths: np.ndarray, iterations: int = 4) -> np.ndarray:
    """Mean shape (K, 3) of K vectors over frames (T, K, 3), each rescaled to ``lengths`` (K,).

    Starts from the mean directions and repeatedly aligns every frame to the current mean by the
    best rotation, so the mean keeps (about) the average orientation of the frames.
    """
    unit, _ = _normalize(vectors)
    target = unit * lengths[None, :, None]
    mean = _normalize(target.mean(axis=0))[0] * lengths[:, None]
    for _ in range(iterations):
        r = _kabsch(mean, target, np.ones(len(lengths)))  # frame t ~ r_t @ mean
        aligned = np.einsum("tji,tkj->tki", r, target)  # r_t^T @ target_t
        mean = _normalize(aligned.mean(axis=0))[0] * lengths[:, None]
    return mean


def _chain(parents: Sequence[int], top: int, bottom: int) -> list[int]:
    """Joints from just below ``top`` down to ``bottom`` (empty if bottom is not below top)."""
    path = []
    k = bottom
    while k >= 0 and k != top:
        path.append(k)
        k = parents[k]
    return list(reversed(path)) if k == top else []


def bvh_skeleton(motion: Motion) -> BvhSkeleton:
    """The BVH hierarchy and rest pose (metres) for ``motion``; see the module docstring.

    Raises DancegenError for a motion without frames or with NaN / infinite positions.
    """
    x = _check_motion(motion)
    spec = motion.spec
    names, parents, source, free = _hierarchy(spec)
    n = len(names)
    pos = x[:, source]  # (T, N, 3) BVH joint positions
    bone = np.zeros_like(pos)
    for j, p in enumerate(parents):
        if p >= 0:
            bone[:, j] = pos[:, j] - pos[:, p]
    lengths = np.median(np.linalg.norm(bone, axis=-1), axis=0)
    lengths[[j for j, p in enumerate(parents) if p < 0 or source[p] == source[j]]] = 0.0
    # each frame's bones turned to face +Z
    yaw = _yaw_frames(x, spec)
    bone_h = np.einsum("tij,tnj->tni", yaw, bone)
    unit, ok = _normalize(bone_h)
    offsets = np.zeros((n, 3))
    for j in np.flatnonzero((lengths > 0) & ok.any(axis=0)):
        seen = unit[ok[:, j], j]
        mean = seen.mean(axis=0)
        d = mean if np.linalg.norm(mean) > 0.1 else seen[0]  # a bone pointing every way: its first direction
        offsets[j] = d / np.linalg.norm(d) * lengths[j]
    # rigid groups keep their mean shape
    kids: list[list[int]] = [[] for _ in range(n)]
    for j, p in enumerate(parents):
        if p >= 0:
            kids[p].append(j)
    in_rigid = np.zeros(n, bool)
    for j in range(n):
        group = [c for c in kids[j] if lengths[c] > 0 and not free[c]]
        if len(group) >= 2:
            every = max(1, len(x) // 3000)  # a few thousand frames give the mean shape
            offsets[group] = _procrustes_mean(bone_h[::every, group], lengths[group])
            in_rigid[group] = True
    # T-pose: arms out sideways, legs straight down (rotating everything below each bone along)
    below = _descendants(parents)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for top, bottom, direction in (
            (f"{side}_shoulder", f"{side}_wrist", np.array([sign, 0.0, 0.0])),
            (f"{side}_hip", f"{side}_ankle", np.array([0.0, -1.0, 0.0])),
        ):
            chain = [j for j in _chain(parents, spec.common[top][0], spec.common[bottom][0]) if lengths[j] > 0]
            for j in chain:
                if in_rigid[j]:
                    continue
                rot = _min_rotation(offsets[j] / lengths[j], direction)
                moved = [j, *below[j]]
                offsets[moved] = offsets[moved] @ rot.T
    end_sites = np.zeros((n, 3))
    for j in range(n):
        v = offsets[j]
        ln = np.linalg.norm(v)
        end_sites[j] = v / ln * max(0.25 * ln, 0.02) if ln > _EPS else (0.0, 0.02, 0.0)
    weights = _subtree_sizes(parents)
    return BvhSkeleton(tuple(names), tuple(parents), tuple(source), offsets, end_sites, weights, tuple(free))


def _descendants(parents: Sequence[int]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in parents]
    for j in range(len(parents)):
        k = parents[j]
        while k >= 0:
            out[k].append(j)
            k = parents[k]
    return out


# --------------------------------------------------------------------------------------------
# the file


def _fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".") if abs(v) >= 5e-7 else "0"


def _pose(local: np.ndarray, root_pos: np.ndarray, offsets: np.ndarray, parents: Sequence[int]):
    """Global rotations (T, N, 3, 3) and positions (T, N, 3) by forward kinematics (float64)."""
    glob = np.empty_like(local)
    pos = np.empty(local.shape[:2] + (3,))
    for j in topological_order(parents):
        p = parents[j]
        if p < 0:
            glob[:, j], pos[:, j] = local[:, j], root_pos
        else:
            glob[:, j] = glob[:, p] @ local[:, j]
            pos[:, j] = pos[:, p] + glob[:, p] @ offsets[j]
    return glob, pos


def bvh_channels(motion: Motion, *, scale: float = 100.0) -> tuple[BvhSkeleton, list[list[str]], np.ndarray]:
    """The BVH skeleton, each joint's channel names and the motion values (T, channels).

    Joints and values are in file order (``BvhSkeleton.file_order``); positions are times
    ``scale``, angles in degrees. Raises DancegenError for a motion without frames or with NaN /
    infinite positions.
    """
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive, got {scale}")
    skel = bvh_skeleton(motion)
    x = np.asarray(motion.joints, dtype=np.float64)[:, list(skel.source)]
    solver = skel.solver_offsets
    root_pos, local = rotations_from_positions(x, skel.parents, solver, skel.weights)
    angles = np.degrees(euler_zxy(local))  # (T, N, 3) as (z, x, y)
    glob, pos = _pose(local, root_pos, solver, skel.parents)
    rotation = ["Zrotation", "Xrotation", "Yrotation"]
    position = ["Xposition", "Yposition", "Zposition"]
    channels, columns = [], []
    for j in skel.file_order():
        p = skel.parents[j]
        if p < 0:
            channels.append(position + rotation)
            columns += [root_pos * scale, angles[:, j]]
        elif skel.free[j]:
            channels.append(position + rotation)
            columns += [np.einsum("tji,tj->ti", glob[:, p], x[:, j] - pos[:, p]) * scale, angles[:, j]]
        else:
            channels.append(rotation)
            columns.append(angles[:, j])
    return skel, channels, np.concatenate(columns, axis=1)


def bvh_text(motion: Motion, *, scale: float = 100.0, decimals: int = 4) -> str:
    """The BVH file for ``motion`` as text (positions times ``scale``: 100 gives centimetres).

    ``decimals``: digits after the point of the motion values (positions and degrees). See the
    module docstring for axes, channels and hierarchy. Raises DancegenError for a motion without
    frames or with NaN / infinite positions.
    """
    skel, channels, values = bvh_channels(motion, scale=scale)
    order = skel.file_order()
    chan = dict(zip(order, channels))
    kids = skel.children
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        root = skel.parents[j] < 0
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {skel.names[j]}")
        lines.append(f"{pad}{{")
        off = np.zeros(3) if root else skel.offsets[j] * scale
        lines.append(f"{pad}  OFFSET {' '.join(_fmt(v) for v in off)}")
        lines.append(f"{pad}  CHANNELS {len(chan[j])} {' '.join(chan[j])}")
        for c in kids[j]:
            emit(c, depth + 1)
        if not kids[j]:
            end = skel.end_sites[j] * scale
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {' '.join(_fmt(v) for v in end)}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(order[0], 0)
    lines += ["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {1.0 / motion.fps:.8f}"]
    buf = io.StringIO()
    np.savetxt(buf, np.round(values, decimals) + 0.0, fmt=f"%.{decimals}f", delimiter=" ")  # + 0.0: no "-0.0000"
    return "\n".join(lines) + "\n" + buf.getvalue()


def write_bvh(motion: Motion, path: str | Path, *, scale: float = 100.0) -> None:
    """Write ``motion`` as a BVH file (centimetres by default, Y up, ZXY Euler), atomically.

    Raises DancegenError for a motion without frames or with NaN / infinite positions (nothing is
    written then), OutputError if the file cannot be written.
    """
    from dancegen.io import atomic_path

    text = bvh_text(motion, scale=scale)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
