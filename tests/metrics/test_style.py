"""The style classifier (metrics.style): segment features, shrunk LDA, leave-one-dance-out."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.metrics.style import (
    SEGMENT_S,
    StyleClassifier,
    leave_one_out,
    leave_one_out_classifiers,
    segment_features,
)

FPS = 30.0


def _dance(rng: np.random.Generator, frames: int, amplitude: float, rate_hz: float) -> np.ndarray:
    """(frames, 24, 3) metres: joints oscillating around a body at amplitude (m) and rate (Hz)."""
    t = np.arange(frames)[:, None, None] / FPS
    base = rng.normal(scale=0.3, size=(1, 24, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(1, 24, 3))
    wobble = amplitude * np.sin(2 * np.pi * rate_hz * t + phase)
    return base + wobble + rng.normal(scale=0.002, size=(frames, 24, 3))


@settings(max_examples=25, deadline=None)
@given(frames=st.integers(min_value=1, max_value=1500))
def test_segment_count_follows_the_half_segment_hop(frames):
    n = int(round(SEGMENT_S * FPS))
    feats = segment_features(np.zeros((frames, 24, 3)), FPS)
    expected = 0 if frames < n else (frames - n) // (n // 2) + 1
    assert feats.shape[0] == expected
    if expected:
        assert feats.shape[1] == 3 * 24
        assert np.all(np.isfinite(feats)) and np.all(feats >= 0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), speed=st.floats(-2.0, 2.0))
def test_features_ignore_where_the_dancer_travels(seed, speed):
    """Root-relative: moving the whole body along any floor path leaves the features unchanged."""
    rng = np.random.default_rng(seed)
    joints = _dance(rng, 400, 0.1, 1.5)
    path = np.zeros((400, 1, 3))
    path[:, 0, 0] = speed * np.arange(400) / FPS
    path[:, 0, 2] = np.sin(np.arange(400) / 20.0)
    np.testing.assert_allclose(segment_features(joints + path, FPS), segment_features(joints, FPS), atol=1e-9)


def _two_styles(rng: np.random.Generator, n_fast: int, n_slow: int) -> tuple[list[np.ndarray], list[str]]:
    feats, labels = [], []
    for label, count, amp, rate in [("fast", n_fast, 0.15, 2.5), ("slow", n_slow, 0.05, 0.7)]:
        for _ in range(count):
            feats.append(segment_features(_dance(rng, 900, amp * rng.uniform(0.8, 1.2), rate), FPS))
            labels.append(label)
    return feats, labels


def test_classifier_separates_two_kinds_of_motion_and_ignores_class_sizes():
    rng = np.random.default_rng(0)
    feats, labels = _two_styles(rng, n_fast=12, n_slow=2)  # 6:1, like waltz against cha-cha
    clf = StyleClassifier.fit(feats, labels)
    assert clf.labels == ["fast", "slow"]
    held_out, truth = _two_styles(rng, n_fast=3, n_slow=3)
    assert [clf.predict(f) for f in held_out] == truth
    scores = clf.scores(held_out[-1])
    assert scores.shape == (len(held_out[-1]), 2) and np.all(scores[:, 1] > scores[:, 0])


def test_a_dance_is_the_majority_of_its_segments():
    rng = np.random.default_rng(1)
    feats, labels = _two_styles(rng, 4, 4)
    clf = StyleClassifier.fit(feats, labels)
    mixed = np.concatenate([feats[0], feats[1], feats[-1][:1]])  # 10 fast segments, 1 slow
    segs = clf.predict_segments(mixed)
    assert Counter(segs) == Counter({"fast": 10, "slow": 1})
    assert clf.predict(mixed) == "fast"
    with pytest.raises(ValueError, match="at least 10 s"):
        clf.predict(segment_features(np.zeros((200, 24, 3)), FPS))


def test_leave_one_out_predicts_every_dance_from_the_others():
    rng = np.random.default_rng(2)
    feats, labels = _two_styles(rng, 4, 3)
    assert leave_one_out(feats, labels) == labels
    # A style with one dance has nothing to learn from once that dance is left out.
    feats2, labels2 = feats[:5], labels[:5]  # 4 fast, 1 slow
    assert leave_one_out(feats2, labels2) == ["fast"] * 5
    short = [segment_features(np.zeros((10, 24, 3)), FPS)]
    assert leave_one_out(feats + short, labels + ["fast"])[-1] == ""
    with pytest.raises(ValueError, match="3 feature sets but 2 labels"):
        leave_one_out(feats[:3], labels[:2])


def test_leave_one_out_classifiers_leave_out_exactly_that_dance():
    rng = np.random.default_rng(3)
    feats, labels = _two_styles(rng, 4, 3)
    short = [segment_features(np.zeros((10, 24, 3)), FPS)]
    clfs = leave_one_out_classifiers(feats + short, labels + ["fast"])
    assert clfs[-1] is None and all(c is not None for c in clfs[:-1])
    for i, clf in enumerate(clfs[:-1]):
        others = [j for j in range(len(feats)) if j != i]
        ref = StyleClassifier.fit([feats[j] for j in others], [labels[j] for j in others])
        np.testing.assert_allclose(clf.scores(feats[i]), ref.scores(feats[i]))
        assert clf.predict_segments(feats[i]) == ref.predict_segments(feats[i])
    assert leave_one_out_classifiers(feats[:1], labels[:1]) == [None]  # nothing else to fit on


def test_real_dances_are_recognised(dwm_root):
    """Golden: fitted on the 29 train dances, all 6 test dances are recognised; leave-one-dance-out
    over all 35 recognises 34 (every cha-cha, rumba and waltz; the one tango dance cannot be)."""
    from dancegen.datasets import load_dataset

    train = list(load_dataset("dance_with_melody", dwm_root, "train", fps=FPS))
    test = list(load_dataset("dance_with_melody", dwm_root, "test", fps=FPS))
    feats = [segment_features(s.motion.joints, FPS) for s in train + test]
    labels = [s.style for s in train + test]
    clf = StyleClassifier.fit(feats[: len(train)], labels[: len(train)])
    assert [clf.predict(f) for f in feats[len(train) :]] == labels[len(train) :]
    pred = leave_one_out(feats, labels)
    missed = [(lab, p) for lab, p in zip(labels, pred) if lab != p]
    assert missed == [("tango", "waltz")]
    assert Counter(labels) == Counter({"waltz": 24, "rumba": 6, "cha-cha": 4, "tango": 1})
