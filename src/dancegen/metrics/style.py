"""A dance-style classifier on kinetic features: does a dance look like the style it was asked for?

Each dance is cut into segments of ``SEGMENT_S`` seconds (hop half a segment); a segment's
features are the kinetic features (``metrics.kinetic``, 3 per joint: horizontal and vertical
kinetic energy, energy expenditure; 30-fps frame time, no reference quirk) of its root-relative
joints, log-compressed (log(1 + x)) and standardised with the training segments' mean and std.
The classifier is regularised linear discriminant analysis (shared covariance shrunk towards its
diagonal, equal class priors, so a frequent style is not favoured), fitted on labelled real
dances. A dance's prediction is the majority vote of its segments.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

#: Segment length (seconds) the classifier sees.
SEGMENT_S = 10.0
#: Shrinkage of the shared covariance towards its diagonal (0 = plain LDA, 1 = diagonal).
SHRINK = 0.5


def segment_features(joints: np.ndarray, fps: float, segment_s: float = SEGMENT_S) -> np.ndarray:
    """Features (S, 3 J) of the segments of joints (T, J, 3) metres; S = 0 if T < one segment."""
    from dancegen.metrics.kinetic import kinetic_features

    p = np.asarray(joints, dtype=np.float64)
    p = p - p[:, :1]  # root-relative: style lives in the body, not in where it travels
    n = int(round(segment_s * fps))
    starts = range(0, len(p) - n + 1, max(1, n // 2))
    feats = [kinetic_features(p[s : s + n], frame_time=1.0 / fps, accel_quirk=False) for s in starts]
    if not feats:
        return np.zeros((0, 3 * p.shape[1]))
    return np.log1p(np.maximum(np.array(feats, dtype=np.float64).reshape(len(feats), -1), 0.0))


@dataclass
class StyleClassifier:
    """Shrunk LDA over standardised segment features; ``labels`` are the class names."""

    labels: list[str]
    mean: np.ndarray  # (F,) feature mean of the training segments
    std: np.ndarray  # (F,)
    centroids: np.ndarray  # (C, F) in standardised units
    precision: np.ndarray  # (F, F) inverse shared covariance

    @classmethod
    def fit(cls, features: list[np.ndarray], labels: list[str], shrink: float = SHRINK) -> StyleClassifier:
        """Fit on per-dance segment features (S_i, F) with one label per dance."""
        names = sorted(set(labels))
        x = np.concatenate(features)
        y = np.concatenate([[names.index(lab)] * len(f) for f, lab in zip(features, labels)])
        mean, std = x.mean(0), x.std(0) + 1e-8
        z = (x - mean) / std
        centroids = np.stack([z[y == c].mean(0) for c in range(len(names))])
        resid = z - centroids[y]
        cov = np.cov(resid, rowvar=False)
        cov = (1 - shrink) * cov + shrink * np.diag(np.diag(cov)) + 1e-3 * np.eye(len(cov))
        return cls(names, mean, std, centroids, np.linalg.inv(cov))

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Discriminant scores (S, C) of segment features (S, F); higher = more likely."""
        z = (np.asarray(features) - self.mean) / self.std
        lin = z @ self.precision @ self.centroids.T
        const = 0.5 * np.einsum("cf,fg,cg->c", self.centroids, self.precision, self.centroids)
        return lin - const

    def predict_segments(self, features: np.ndarray) -> list[str]:
        """One label per segment."""
        return [self.labels[i] for i in self.scores(features).argmax(1)]

    def predict(self, features: np.ndarray) -> str:
        """One label for a dance: the majority over its segments (ties: highest summed score)."""
        if not len(features):
            raise ValueError(f"no segment to classify: a dance needs at least {SEGMENT_S:g} s")
        votes = Counter(self.predict_segments(features))
        top = max(votes.values())
        tied = [lab for lab, v in votes.items() if v == top]
        if len(tied) == 1:
            return tied[0]
        total = self.scores(features).sum(0)
        return max(tied, key=lambda lab: total[self.labels.index(lab)])


def leave_one_out_classifiers(
    features: list[np.ndarray], labels: list[str], shrink: float = SHRINK
) -> list[StyleClassifier | None]:
    """Classifier i is fitted on every dance but dance i (``None`` where dance i has no segment).

    ``features``: per-dance segment features (S_i, F), ``labels``: one style per dance. Dances
    with no segment (shorter than one segment) are left out of every fit; with no other dance to
    fit on, classifier i is ``None`` too.
    """
    if len(features) != len(labels):
        raise ValueError(f"{len(features)} feature sets but {len(labels)} labels")
    out: list[StyleClassifier | None] = []
    for i, f in enumerate(features):
        rest = [(g, lab) for j, (g, lab) in enumerate(zip(features, labels)) if j != i and len(g)]
        out.append(StyleClassifier.fit([g for g, _ in rest], [lab for _, lab in rest], shrink) if len(f) and rest else None)
    return out


def leave_one_out(features: list[np.ndarray], labels: list[str], shrink: float = SHRINK) -> list[str]:
    """Leave-one-dance-out predictions: dance i classified by a classifier fitted on all others.

    ``features``: per-dance segment features (S_i, F), ``labels``: one style per dance. This is
    the ceiling of what the classifier can tell apart on real dances. A style with a single dance
    has no training data when that dance is left out, so that dance is always called something
    else. Dances with no segment (shorter than one segment) are predicted as "".
    """
    clfs = leave_one_out_classifiers(features, labels, shrink)
    return ["" if clf is None else clf.predict(f) for clf, f in zip(clfs, features)]
