"""Scoring sets of clips ("rows") against a ground-truth pool, under the named protocols.

A :class:`Clip` is one motion (any supported skeleton, any frame rate) with, optionally, the beat
frames of its music at 60 fps. :func:`evaluate_rows` computes, for every row:

- per protocol with features (``bailando``, ``fixed``): kinetic and geometric features of every
  clip, normalised with the pool's statistics, FID_k / FID_g against the pool, Div_k / Div_g;
- ``bailando`` BAS and ``fact`` BAS: the mean over the row's clips that have music;
- ``edge`` PFC: 10,000 x the mean over all 5-s windows of the row's clips;
- ``music`` beat-hit rate (clips with music beats) and energy following (clips with music
  loudness): the means over the row's clips (``music.py``).

Features are computed on the SMPL joint names every clip of the run provides
(``skeletons.common_available``); the joints and geometric rules left out are reported, and a run
on any skeleton other than smpl24 is labelled as not comparable with AIST++ figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dancegen.metrics import EvaluationError
from dancegen.metrics.beats import bailando_bas, bailando_motion_beats, fact_bas
from dancegen.metrics.fid import diversity, fid, normalize
from dancegen.metrics.foot_contact import SCALE, pfc_windows, y_up_to_z_up
from dancegen.metrics.geometric import RULES, evaluable_rules, geometric_features, missing_joints
from dancegen.metrics.kinetic import kinetic_features
from dancegen.metrics.music import beat_hit_rate, energy_following, movement_tempo
from dancegen.metrics.protocols import (
    BEAT_FPS,
    DEFAULT_PROTOCOLS,
    MIN_SECONDS,
    PROTOCOLS,
    prepare_features_clip,
    resample_joints,
)
from dancegen.metrics.skeletons import SMPL_NAMES, common_available, get_metric_skeleton, smpl_view

NOT_COMPARABLE = "not comparable with AIST++ figures"
FEATURE_PROTOCOLS = ("bailando", "fixed")


@dataclass
class Clip:
    """One motion to score: joints (T, J, 3) metres y-up at ``fps`` on ``skeleton``.

    ``music_beats`` are the beat frames of its music at 60 fps (None: no music, no BAS, no
    beat-hit rate); ``music_loudness`` (N,) is its music's loudness in dBFS at 60 fps, frame k at
    k / 60 s from the clip's start (``music.loudness_db``; None: no energy following).
    """

    name: str
    joints: np.ndarray
    fps: float
    skeleton: str
    style: str | None = None
    music_beats: np.ndarray | None = None
    music_name: str | None = None
    music_loudness: np.ndarray | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.joints.shape[0] / self.fps


def share_loudness(rows: list[tuple[str, str, list[Clip]]]) -> None:
    """Give every clip without loudness the loudness of the song whose beats it carries.

    Reference rows (mismatched music, static pose, retrieval: ``references.py``) are built with
    another clip's ``music_beats`` array, the very same object; that clip's ``music_loudness``
    goes with it, so the mismatched row pairs each dance with the other song's beats and loudness.
    """
    by_beats = {id(c.music_beats): c.music_loudness for _, _, clips in rows for c in clips
                if c.music_beats is not None and c.music_loudness is not None}  # fmt: skip
    for _, _, clips in rows:
        for c in clips:
            if c.music_loudness is None and c.music_beats is not None:
                c.music_loudness = by_beats.get(id(c.music_beats))


def check_clip(clip: Clip, what: str = "clip") -> None:
    """Raise EvaluationError (one sentence naming the clip) for unusable input."""
    spec = get_metric_skeleton(clip.skeleton)
    j = np.asarray(clip.joints)
    if j.ndim != 3 or j.shape[1:] != (spec.num_joints, 3):
        raise EvaluationError(
            f"{what} {clip.name}: joints must be (T, {spec.num_joints}, 3) for skeleton {clip.skeleton}, got {j.shape}."
        )
    if not (clip.fps > 0 and math.isfinite(clip.fps)):
        raise EvaluationError(f"{what} {clip.name}: frame rate must be positive, got {clip.fps}.")
    if not np.isfinite(j).all():
        raise EvaluationError(f"{what} {clip.name}: joints contain NaN or infinite values.")
    if clip.duration + 1e-9 < MIN_SECONDS:
        raise EvaluationError(
            f"{what} {clip.name}: {clip.duration:.2f} s is shorter than the {MIN_SECONDS:g}-s evaluation window."
        )


@dataclass
class ClipScores:
    """Per-clip results: features per protocol and the per-clip scores."""

    kinetic: dict[str, np.ndarray] = field(default_factory=dict)
    geometric: dict[str, np.ndarray] = field(default_factory=dict)
    bas: float | None = None
    bas_fact: float | None = None
    bas_fact_fixed: float | None = None
    pfc: list[float] | None = None
    beat_hit: float | None = None
    energy_r: float | None = None
    motion_beats_per_s: float | None = None
    movement_bpm: float | None = None


@dataclass
class FeatureSpace:
    """The joints and rules every clip of a run provides."""

    joints: tuple[str, ...]
    rules: list[int]

    @classmethod
    def for_skeletons(cls, skeletons: list[str]) -> FeatureSpace:
        available = common_available(skeletons)
        return cls(available, evaluable_rules(available))

    @property
    def joint_index(self) -> list[int]:
        return [SMPL_NAMES.index(n) for n in self.joints]

    @property
    def has_pfc(self) -> bool:
        return {"root", "lankle", "ltoes", "rankle", "rtoes"} <= set(self.joints)

    def left_out(self) -> dict[str, Any]:
        """What cannot be evaluated on these joints, by name."""
        return {
            "kinetic_joints": [n for n in SMPL_NAMES if n not in self.joints],
            "geometric_rules": [
                {"rule": i + 1, "test": RULES[i].text, "missing": missing_joints(RULES[i], self.joints)}
                for i in range(len(RULES))
                if i not in self.rules
            ],
            "pfc": None if self.has_pfc else "needs root, ankles and toes",
        }


def score_clip(clip: Clip, space: FeatureSpace, protocols: tuple[str, ...]) -> ClipScores:
    """Features and per-clip scores of one clip under ``protocols``."""
    view = smpl_view(clip.joints, clip.skeleton)
    out = ClipScores()
    for name in protocols:
        proto = PROTOCOLS[name]
        if name in FEATURE_PROTOCOLS:
            j = prepare_features_clip(view, clip.fps, proto)
            out.kinetic[name] = kinetic_features(
                j[:, space.joint_index], 1.0 / proto.fps, accel_quirk=proto.accel_quirk
            )
            out.geometric[name] = geometric_features(
                j, space.rules, tpf=proto.time_per_frame, move_quirk=proto.move_quirk
            )
    sub = None
    if (clip.music_beats is not None and ("bailando" in protocols or "fact" in protocols)) or "music" in protocols:
        sub = resample_joints(view, clip.fps, BEAT_FPS)[:, space.joint_index]
    if sub is not None and clip.music_beats is not None and "bailando" in protocols:
        out.bas = bailando_bas(clip.music_beats, sub)
    if sub is not None and clip.music_beats is not None and "fact" in protocols:
        out.bas_fact = fact_bas(clip.music_beats, sub)
    if sub is not None and "music" in protocols:
        motion, length = bailando_motion_beats(sub)
        out.motion_beats_per_s = motion.size / (length / BEAT_FPS)
        out.movement_bpm = movement_tempo(view[:, space.joint_index], clip.fps)
        if clip.music_beats is not None:
            music = np.asarray(clip.music_beats)
            out.beat_hit = beat_hit_rate(music[music < length], motion, BEAT_FPS)
        if clip.music_loudness is not None:
            out.energy_r = energy_following(clip.music_loudness, sub, BEAT_FPS)
    if clip.music_beats is not None and "fixed" in protocols:
        out.bas_fact_fixed = fact_bas(clip.music_beats, view[:, space.joint_index], fps=clip.fps)
    if "edge" in protocols and space.has_pfc:
        proto = PROTOCOLS["edge"]
        j30 = y_up_to_z_up(resample_joints(view, clip.fps, proto.fps))
        out.pfc = pfc_windows(j30, proto.window_frames, dt=1.0 / proto.fps)
    return out


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(vals)) if vals else None


@dataclass
class RowResult:
    """Metrics of one row: ``metrics[protocol][metric]`` and per-clip values."""

    key: str
    label: str
    clips: list[Clip]
    scores: list[ClipScores]
    metrics: dict[str, dict[str, float | None]]
    fid_numerics: dict[str, dict[str, Any]]

    def per_clip(self) -> list[dict[str, Any]]:
        rows = []
        for c, s in zip(self.clips, self.scores):
            rows.append({
                "name": c.name,
                "style": c.style,
                "music": c.music_name,
                "seconds": round(c.duration, 3),
                "BAS_bailando": _nan_to_none(s.bas),
                "BAS_fact": _nan_to_none(s.bas_fact),
                "BAS_fact_fixed": _nan_to_none(s.bas_fact_fixed),
                "PFC": None if not s.pfc else float(SCALE * np.mean(s.pfc)),
                "beat_hit": _nan_to_none(s.beat_hit),
                "energy_r": _nan_to_none(s.energy_r),
                "motion_beats_per_s": _nan_to_none(s.motion_beats_per_s),
                "movement_bpm": _nan_to_none(s.movement_bpm),
            })  # fmt: skip
        return rows


def _nan_to_none(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


@dataclass
class Evaluation:
    """Everything one run computed: the pool summary, the rows, what was left out."""

    protocols: tuple[str, ...]
    space: FeatureSpace
    skeletons: list[str]
    pool_count: int
    pool_diversity: dict[str, dict[str, float]]
    rows: list[RowResult]
    pool_scores: list[ClipScores]
    not_comparable: list[str]

    @property
    def comparable(self) -> bool:
        return not self.not_comparable

    def row(self, key: str) -> RowResult:
        return next(r for r in self.rows if r.key == key)

    def to_json(self) -> dict[str, Any]:
        fid_complex = sum(v["sqrtm_complex"] for r in self.rows for v in r.fid_numerics.values())
        fid_eps = sum(v["eps_added"] for r in self.rows for v in r.fid_numerics.values())
        return {
            "comparable_with_aistpp": self.comparable,
            "comparability": "comparable with AIST++ figures" if self.comparable
            else f"{NOT_COMPARABLE}: " + "; ".join(self.not_comparable),
            "protocols": {p: {"metrics": list(PROTOCOLS[p].metrics), "summary": PROTOCOLS[p].summary} for p in self.protocols},
            "skeletons": self.skeletons,
            "feature_joints": list(self.space.joints),
            "geometric_rules": [i + 1 for i in self.space.rules],
            "left_out": self.space.left_out(),
            "pool": {"clips": self.pool_count, "diversity": self.pool_diversity},
            "rows": {
                r.key: {
                    "label": r.label,
                    "clips": len(r.clips),
                    "comparable_with_aistpp": self.comparable,
                    "metrics": {p: {k: _nan_to_none(v) for k, v in m.items()} for p, m in r.metrics.items()},
                    "fid_numerics": r.fid_numerics,
                    "per_clip": r.per_clip(),
                }
                for r in self.rows
            },
            "fid_numerics": {"sqrtm_complex": int(fid_complex), "eps_added": int(fid_eps)},
        }  # fmt: skip


def _stack(scores: list[ClipScores], attr: str, proto: str) -> np.ndarray:
    return np.stack([getattr(s, attr)[proto] for s in scores]).astype(np.float64)


def evaluate_rows(
    pool: list[Clip],
    rows: list[tuple[str, str, list[Clip]]],
    protocols: tuple[str, ...] = DEFAULT_PROTOCOLS,
    progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    """Score each row ``(key, label, clips)`` against the ground-truth ``pool`` under ``protocols``.

    The pool and every row need at least 2 clips (FID uses covariances). Raises EvaluationError
    for unusable input.
    """
    for p in protocols:
        if p not in PROTOCOLS:
            raise EvaluationError(f"unknown protocol {p!r}; choose from {', '.join(PROTOCOLS)}.")
    if len(pool) < 2:
        raise EvaluationError(f"the ground-truth pool needs at least 2 clips for FID, got {len(pool)}.")
    for c in pool:
        check_clip(c, "ground-truth clip")
    for key, _, clips in rows:
        if len(clips) < 2:
            raise EvaluationError(f"row {key!r} needs at least 2 clips for FID and diversity, got {len(clips)}.")
        for c in clips:
            check_clip(c)
    skeletons = sorted({c.skeleton for c in pool} | {c.skeleton for _, _, cl in rows for c in cl})
    space = FeatureSpace.for_skeletons(skeletons)
    feat_protocols = tuple(p for p in protocols if p in FEATURE_PROTOCOLS)

    total = len(pool) + sum(len(cl) for _, _, cl in rows)
    done = 0

    def tick(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(what, done, total)

    pool_scores = []
    for c in pool:
        pool_scores.append(score_clip(c, space, feat_protocols))
        tick("pool")

    pool_div: dict[str, dict[str, float]] = {}
    normalised_pool: dict[tuple[str, str], np.ndarray] = {}
    for p in feat_protocols:
        for attr, key in (("kinetic", "k"), ("geometric", "g")):
            gt = _stack(pool_scores, attr, p)
            gt_n, _ = normalize(gt, gt[:1])
            normalised_pool[(p, attr)] = gt_n
            pool_div.setdefault(p, {})[f"Div_{key}"] = diversity(gt_n)

    results = []
    for key, label, clips in rows:
        scores = []
        for c in clips:
            scores.append(score_clip(c, space, protocols))
            tick(key)
        metrics: dict[str, dict[str, float | None]] = {}
        numerics: dict[str, dict[str, Any]] = {}
        for p in feat_protocols:
            m: dict[str, float | None] = {}
            for attr, k in (("kinetic", "k"), ("geometric", "g")):
                gt = _stack(pool_scores, attr, p)
                _, feats_n = normalize(gt, _stack(scores, attr, p))
                res = fid(feats_n, normalised_pool[(p, attr)])
                m[f"FID_{k}"] = res.value
                numerics[f"{p}.FID_{k}"] = res.to_json()
                m[f"Div_{k}"] = diversity(feats_n)
            metrics[p] = m
        if "bailando" in protocols:
            metrics.setdefault("bailando", {})["BAS"] = _mean([s.bas for s in scores])
        if "fact" in protocols:
            metrics["fact"] = {"BAS": _mean([s.bas_fact for s in scores])}
        if "fixed" in protocols:
            metrics.setdefault("fixed", {})["BAS_fact"] = _mean([s.bas_fact_fixed for s in scores])
        if "edge" in protocols:
            windows = [w for s in scores for w in (s.pfc or [])]
            metrics["edge"] = {"PFC": float(SCALE * np.mean(windows)) if windows else None}
        if "music" in protocols:
            metrics["music"] = {"beat_hit": _mean([s.beat_hit for s in scores]),
                                "energy_r": _mean([s.energy_r for s in scores])}  # fmt: skip
        results.append(RowResult(key, label, clips, scores, metrics, numerics))

    reasons = []
    others = [s for s in skeletons if s != "smpl24"]
    if others:
        left = space.left_out()
        rules = ", ".join(str(r["rule"]) for r in left["geometric_rules"]) or "none"
        reasons.append(
            f"skeleton {', '.join(others)} is not SMPL-24 (joints left out: "
            f"{', '.join(left['kinetic_joints']) or 'none'}; geometric rules left out: {rules})"
        )
    return Evaluation(protocols, space, skeletons, len(pool), pool_div, results, pool_scores, reasons)
