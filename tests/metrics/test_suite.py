"""Scoring rows against a pool: the metric set, reference rows, comparability labels, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from metric_helpers import rest_pose

from dancegen.metrics import EvaluationError
from dancegen.metrics.references import mismatched_music, nearest_neighbours, static_mean_pose
from dancegen.metrics.suite import NOT_COMPARABLE, Clip, evaluate_rows


def dance(seed: int, seconds: float = 6.0, fps: float = 60.0) -> np.ndarray:
    """A wiggling SMPL body (T, 24, 3) walking slowly."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fps)) / fps
    f = rng.uniform(0.5, 2.0, size=(24, 3))
    wiggle = 0.08 * np.sin(2 * np.pi * f * t[:, None, None] + rng.uniform(0, 6, size=(24, 3)))
    walk = np.stack([0.3 * t, 0 * t, 0.1 * np.sin(t)], axis=-1)[:, None]
    return rest_pose()[None] + wiggle + walk


def clips(seeds, beats=True, **kw) -> list[Clip]:
    out = []
    for s in seeds:
        j = dance(s, **kw)
        b = np.arange(10, int(len(j) * 60 / kw.get("fps", 60.0)), 30) if beats else None
        out.append(Clip(f"c{s}", j, kw.get("fps", 60.0), "smpl24", "style" + str(s % 2), b))
    return out


def test_every_metric_for_every_row():
    pool = clips(range(10, 18), beats=False)
    gt = clips([1, 2, 3])
    ev = evaluate_rows(pool, [("ground_truth", "GT", gt), ("mismatched_music", "mm", mismatched_music(gt)),
                              ("static_mean_pose", "static", static_mean_pose(pool, gt))])  # fmt: skip
    data = json.loads(json.dumps(ev.to_json()))
    assert data["comparable_with_aistpp"] is True
    assert data["left_out"] == {"kinetic_joints": [], "geometric_rules": [], "pfc": None}
    gt_m = data["rows"]["ground_truth"]["metrics"]
    assert set(gt_m["bailando"]) == {"FID_k", "FID_g", "Div_k", "Div_g", "BAS"}
    assert set(gt_m["fixed"]) == {"FID_k", "FID_g", "Div_k", "Div_g", "BAS_fact"}
    assert set(gt_m["fact"]) == {"BAS"} and set(gt_m["edge"]) == {"PFC"}
    st = data["rows"]["static_mean_pose"]["metrics"]
    assert st["bailando"]["Div_k"] == 0.0 and st["bailando"]["BAS"] == 0.0 and st["edge"]["PFC"] == 0.0
    assert st["bailando"]["FID_k"] > gt_m["bailando"]["FID_k"]
    # the mismatched row has the same dances: same features, different beats
    mm = data["rows"]["mismatched_music"]["metrics"]
    assert mm["bailando"]["FID_k"] == gt_m["bailando"]["FID_k"]
    assert data["rows"]["mismatched_music"]["per_clip"][0]["music"] == "c2"


def test_other_skeletons_are_labelled_not_comparable():
    pool = clips(range(10, 14), beats=False)
    coco = [Clip(c.name, c.joints[:, [15, 20, 21, 7, 8, 16, 17, 18, 19, 20, 21, 1, 2, 4, 5, 7, 8]], 60.0, "coco17",
                 None, c.music_beats) for c in clips([1, 2])]  # fmt: skip
    ev = evaluate_rows(pool, [("system", "coco", coco)])
    data = ev.to_json()
    assert data["comparable_with_aistpp"] is False
    assert data["comparability"].startswith(NOT_COMPARABLE)
    assert data["rows"]["system"]["comparable_with_aistpp"] is False
    assert [r["rule"] for r in data["left_out"]["geometric_rules"]] == [3, 4, 5, 6, 15, 16]
    assert data["left_out"]["pfc"] and data["rows"]["system"]["metrics"]["edge"]["PFC"] is None
    assert len(data["feature_joints"]) == 15


def test_thirty_fps_clips_are_upsampled():
    pool = clips(range(10, 14), beats=False)
    ev = evaluate_rows(pool, [("model", "m", clips([1, 2], fps=30.0))], protocols=("bailando",))
    assert ev.row("model").metrics["bailando"]["FID_k"] > 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda c: Clip(c.name, c.joints[:200], 60.0, "smpl24"), "shorter than the 5-s evaluation window"),
        (lambda c: Clip(c.name, np.where(np.arange(360)[:, None, None] == 7, np.nan, c.joints), 60.0, "smpl24"), "NaN"),
        (lambda c: Clip(c.name, c.joints, 60.0, "bvh31"), "unknown skeleton"),
    ],
)
def test_bad_clips(make, message):
    pool = clips(range(10, 13), beats=False)
    rows = clips([1, 2])
    rows[1] = make(rows[1])
    with pytest.raises(EvaluationError, match=message):
        evaluate_rows(pool, [("x", "x", rows)])


def test_too_few_clips():
    with pytest.raises(EvaluationError, match="at least 2"):
        evaluate_rows(clips([1]), [("x", "x", clips([2, 3]))])
    with pytest.raises(EvaluationError, match="at least 2"):
        evaluate_rows(clips([1, 4]), [("x", "x", clips([2]))])


def test_nearest_neighbours_by_music_summary():
    rng = np.random.default_rng(0)
    train = [rng.normal(loc=k, scale=1 + k, size=(400, 35)) for k in range(4)]
    test = [rng.normal(loc=2.1, scale=3, size=(400, 35)), rng.normal(loc=-0.2, scale=1, size=(400, 35))]
    assert nearest_neighbours(test, train) == [2, 0]
