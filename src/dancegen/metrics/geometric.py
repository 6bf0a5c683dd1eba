"""The 32 geometric (Mueller-style) features of the AIST++ API, vectorised over frames.

Each feature is a boolean relational test per frame t = 1..T-1 (a test may use frame t-1),
averaged over those T-1 frames. Joints are SMPL-24 (``skeletons.SMPL_NAMES``), metres, y-up,
root-anchored by the caller. Tests (p is the tested point):

- ``plane(a, b, c, p, th)``: signed distance of p from the plane through a with normal
  (c - a) x (b - a), > th;
- ``nplane(n1, n2, a, p, th)``: signed distance of p from the plane through a with normal n2 - n1;
- ``angle(j1, j2, k1, k2, lo, hi)``: lo < angle(j2 - j1, k2 - k1) in degrees < hi (strict);
- ``fast(p, th)``: |p(t) - p(t-1)| / tpf > th;
- ``nmove(j1, j2, j3, p, th)``: velocity of p relative to j1 projected on the unit normal
  (j3 - j1) x (j2 - j1), > th;
- ``move(j1, j2, j3, j4, th)``: velocity projected on the unit direction j2 - j1, > th. Reference
  quirk (``move_quirk=True``): the tested point is j3, relative to j1, and j4 is ignored (so rules
  5 and 6 are identical). Corrected: the tested point is j4 relative to j3 (Mueller's reading:
  "j4 moves relative to j3 in the direction j1 -> j2"), so 5/6 test the right/left wrist.

``tpf`` (time per frame) is 1/120 s in the reference even on 60-fps data; the corrected protocol
uses 1/fps. Degenerate geometry (zero-length normals or directions) gives NaN and so False, as
in the reference. Special points: zero, y_unit, minus_y_unit, y_min = (0, lowest joint height in
the current frame, 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dancegen.metrics.skeletons import SMPL_NAMES

#: SMPL template points the reference measures its body constants from (metres).
_L_SHOULDER = np.array([1.99113488e-01, 2.36807942e-01, -1.80702247e-02])
_R_SHOULDER = np.array([-1.91692337e-01, 2.36928746e-01, -1.23055102e-02])
_L_ELBOW = np.array([4.54445392e-01, 2.21158922e-01, -4.10167128e-02])
_L_HIP = np.array([5.64076714e-02, -3.23069185e-01, 1.09197125e-02])
_R_HIP = np.array([-6.24834076e-02, -3.31302464e-01, 1.50412619e-02])

#: Humerus length, shoulder width, hip width (m): 0.2568, 0.3908, 0.1192 as METRICS.md rounds them.
HL = float(np.linalg.norm(_L_SHOULDER - _L_ELBOW))
SW = float(np.linalg.norm(_L_SHOULDER - _R_SHOULDER))
HW = float(np.linalg.norm(_L_HIP - _R_HIP))

SPECIAL_POINTS = ("zero", "y_unit", "minus_y_unit", "y_min")

#: The reference's time per frame (s), used on every frame rate.
REFERENCE_TPF = 1.0 / 120.0


class Rule(NamedTuple):
    """One relational test: its kind, point names and threshold (metres or m/s, or degrees)."""

    kind: str
    points: tuple[str, ...]
    threshold: float | tuple[float, float]
    text: str


def _r(kind: str, points: str, threshold, text: str) -> Rule:
    return Rule(kind, tuple(points.split()), threshold, text)


#: The 32 tests, in the reference order (1-based numbers in docs = index + 1).
RULES: tuple[Rule, ...] = (
    _r("nmove", "neck rhip lhip rwrist", 1.8 * HL, "nmove(neck, rhip, lhip, rwrist, 1.8hl)"),
    _r("nmove", "neck lhip rhip lwrist", 1.8 * HL, "nmove(neck, lhip, rhip, lwrist, 1.8hl)"),
    _r("nplane", "chest neck neck rwrist", 0.2 * HL, "nplane(chest, neck, neck, rwrist, 0.2hl)"),
    _r("nplane", "chest neck neck lwrist", 0.2 * HL, "nplane(chest, neck, neck, lwrist, 0.2hl)"),
    _r("move", "belly chest chest rwrist", 1.8 * HL, "move(belly, chest, chest, rwrist, 1.8hl)"),
    _r("move", "belly chest chest lwrist", 1.8 * HL, "move(belly, chest, chest, lwrist, 1.8hl)"),
    _r("angle", "relbow rshoulder relbow rwrist", (0.0, 110.0), "angle(relbow, rshoulder, relbow, rwrist, 0, 110)"),
    _r("angle", "lelbow lshoulder lelbow lwrist", (0.0, 110.0), "angle(lelbow, lshoulder, lelbow, lwrist, 0, 110)"),
    _r("nplane", "lshoulder rshoulder lwrist rwrist", 2.5 * SW, "nplane(lshoulder, rshoulder, lwrist, rwrist, 2.5sw)"),
    _r("move", "lwrist rwrist rwrist lwrist", 1.4 * HL, "move(lwrist, rwrist, rwrist, lwrist, 1.4hl)"),
    _r("move", "rwrist root lwrist root", 1.4 * HL, "move(rwrist, root, lwrist, root, 1.4hl)"),
    _r("move", "lwrist root rwrist root", 1.4 * HL, "move(lwrist, root, rwrist, root, 1.4hl)"),
    _r("fast", "rwrist", 2.5 * HL, "fast(rwrist, 2.5hl)"),
    _r("fast", "lwrist", 2.5 * HL, "fast(lwrist, 2.5hl)"),
    _r("plane", "root lhip ltoes rankle", 0.38 * HL, "plane(root, lhip, ltoes, rankle, 0.38hl)"),
    _r("plane", "root rhip rtoes lankle", 0.38 * HL, "plane(root, rhip, rtoes, lankle, 0.38hl)"),
    _r("nplane", "zero y_unit y_min rankle", 1.2 * HL, "nplane(zero, y_unit, y_min, rankle, 1.2hl)"),
    _r("nplane", "zero y_unit y_min lankle", 1.2 * HL, "nplane(zero, y_unit, y_min, lankle, 1.2hl)"),
    _r("nplane", "lhip rhip lankle rankle", 2.1 * HW, "nplane(lhip, rhip, lankle, rankle, 2.1hw)"),
    _r("angle", "rknee rhip rknee rankle", (0.0, 110.0), "angle(rknee, rhip, rknee, rankle, 0, 110)"),
    _r("angle", "lknee lhip lknee lankle", (0.0, 110.0), "angle(lknee, lhip, lknee, lankle, 0, 110)"),
    _r("fast", "rankle", 2.5 * HL, "fast(rankle, 2.5hl)"),
    _r("fast", "lankle", 2.5 * HL, "fast(lankle, 2.5hl)"),
    _r("angle", "neck root rshoulder relbow", (25.0, 180.0), "angle(neck, root, rshoulder, relbow, 25, 180)"),
    _r("angle", "neck root lshoulder lelbow", (25.0, 180.0), "angle(neck, root, lshoulder, lelbow, 25, 180)"),
    _r("angle", "neck root rhip rknee", (50.0, 180.0), "angle(neck, root, rhip, rknee, 50, 180)"),
    _r("angle", "neck root lhip lknee", (50.0, 180.0), "angle(neck, root, lhip, lknee, 50, 180)"),
    _r("plane", "rankle neck lankle root", 0.5 * HL, "plane(rankle, neck, lankle, root, 0.5hl)"),
    _r("angle", "neck root zero y_unit", (70.0, 110.0), "angle(neck, root, zero, y_unit, 70, 110)"),
    _r("nplane", "zero minus_y_unit y_min rwrist", -1.2 * HL, "nplane(zero, minus_y_unit, y_min, rwrist, -1.2hl)"),
    _r("nplane", "zero minus_y_unit y_min lwrist", -1.2 * HL, "nplane(zero, minus_y_unit, y_min, lwrist, -1.2hl)"),
    _r("fast", "root", 2.3 * HL, "fast(root, 2.3hl)"),
)  # fmt: skip


def rule_joints(rule: Rule) -> set[str]:
    """The SMPL joint names a rule reads (special points excluded)."""
    return {p for p in rule.points if p not in SPECIAL_POINTS}


def missing_joints(rule: Rule, available: tuple[str, ...] | set[str]) -> list[str]:
    """Joint names of ``rule`` that are not in ``available`` (empty when it can be evaluated)."""
    return sorted(rule_joints(rule) - set(available))


def evaluable_rules(available: tuple[str, ...] | set[str]) -> list[int]:
    """Indices (0-based) of the rules whose joints are all in ``available``."""
    return [i for i, r in enumerate(RULES) if not missing_joints(r, available)]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...d,...d->...", a, b)


def _norm(a: np.ndarray) -> np.ndarray:
    return np.sqrt(_dot(a, a))


def geometric_features(
    joints: np.ndarray,
    rules: list[int] | None = None,
    tpf: float = REFERENCE_TPF,
    move_quirk: bool = True,
) -> np.ndarray:
    """Geometric features (..., len(rules)) float32: the fraction of frames 1..T-1 each test holds.

    ``joints`` (..., T, 24, 3) SMPL-24 positions in metres, y-up (NaN for joints a skeleton lacks:
    only ``rules`` that avoid them should be asked for); ``rules`` 0-based indices (default all
    32); ``tpf`` seconds per frame for the velocity tests.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim < 3 or p.shape[-2:] != (24, 3):
        raise ValueError(f"joints must be (..., T, 24, 3), got {p.shape}")
    if p.shape[-3] < 2:
        raise ValueError("geometric features need at least 2 frames")
    rules = list(range(len(RULES))) if rules is None else list(rules)
    cur, prev = p[..., 1:, :, :], p[..., :-1, :, :]
    shape = cur.shape[:-2]  # (..., T-1)
    y_min = np.zeros(shape + (3,))
    y_min[..., 1] = np.nanmin(cur[..., 1], axis=-1)
    special = {
        "zero": np.zeros(3),
        "y_unit": np.array([0.0, 1.0, 0.0]),
        "minus_y_unit": np.array([0.0, -1.0, 0.0]),
        "y_min": y_min,
    }

    def at(name: str) -> np.ndarray:
        if name in special:
            return special[name]
        return cur[..., SMPL_NAMES.index(name), :]

    def before(name: str) -> np.ndarray:
        return prev[..., SMPL_NAMES.index(name), :]

    out = np.empty(shape[:-1] + (len(rules),), dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for col, idx in enumerate(rules):
            rule = RULES[idx]
            kind, pts, th = rule.kind, rule.points, rule.threshold
            if kind == "plane":
                a, b, c, q = (at(n) for n in pts)
                normal = np.cross(c - a, b - a)
                hit = _dot(normal, q - a) / _norm(normal) > th
            elif kind == "nplane":
                n1, n2, a, q = (at(n) for n in pts)
                normal = n2 - n1
                hit = _dot(normal, q - a) / _norm(normal) > th
            elif kind == "angle":
                j1, j2, k1, k2 = (at(n) for n in pts)
                u, v = j2 - j1, k2 - k1
                ang = np.degrees(np.arccos(_dot(u, v) / (_norm(u) * _norm(v))))
                lo, hi = th
                hit = (ang > lo) & (ang < hi)
            elif kind == "fast":
                (q,) = pts
                hit = _norm(at(q) - before(q)) / tpf > th
            elif kind == "nmove":
                j1, j2, j3, q = pts
                vel = (at(q) - at(j1)) - (before(q) - before(j1))
                normal = np.cross(at(j3) - at(j1), at(j2) - at(j1))
                hit = _dot(vel, normal) / _norm(normal) / tpf > th
            elif kind == "move":
                j1, j2, j3, j4 = pts
                q, ref = (j3, j1) if move_quirk else (j4, j3)
                vel = (at(q) - at(ref)) - (before(q) - before(ref))
                direction = at(j2) - at(j1)
                hit = _dot(vel, direction) / _norm(direction) / tpf > th
            else:  # pragma: no cover - the table above is fixed
                raise ValueError(kind)
            out[..., col] = np.mean(hit, axis=-1)
    return out.astype(np.float32)
