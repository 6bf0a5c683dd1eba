"""Feature normalisation, the Frechet distance (FID) with the reference numerics, and diversity.

- Normalisation: mean and std over the ground-truth feature set; both sets are mapped with the
  GT statistics, ``(f - mean) / (std + 1e-10)``.
- FID = |mu1 - mu2|^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2)), covariances ``rowvar=False`` (ddof 1),
  ``scipy.linalg.sqrtm``; if the square root is not finite, 1e-5 is added to both diagonals and
  it is recomputed; a complex square root keeps its real part (the reference does so silently:
  here the result says so, with the largest imaginary magnitude).
- Diversity = mean Euclidean distance over all unordered pairs of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Added to the GT std before dividing (reference value).
STD_EPS = 1e-10
#: Added to both covariance diagonals when sqrtm is not finite (reference value).
COV_EPS = 1e-5


@dataclass(frozen=True)
class FIDResult:
    """A Frechet distance and how its matrix square root behaved."""

    value: float
    sqrtm_complex: bool
    max_imag: float
    eps_added: bool

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "sqrtm_complex": self.sqrtm_complex,
            "sqrtm_max_imag": self.max_imag,
            "eps_added": self.eps_added,
        }


def normalize(gt: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gt, other) features (N, D) and (M, D) both normalised with the GT mean and std (+1e-10)."""
    gt = np.asarray(gt, dtype=np.float64)
    other = np.asarray(other, dtype=np.float64)
    mean = gt.mean(axis=0)
    std = gt.std(axis=0)
    return (gt - mean) / (std + STD_EPS), (other - mean) / (std + STD_EPS)


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> FIDResult:
    """Frechet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2) (reference numerics)."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    diff = mu1 - mu2
    eps_added = False
    with np.errstate(all="ignore"):
        covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
        if not np.isfinite(covmean).all():
            eps_added = True
            offset = np.eye(s1.shape[0]) * COV_EPS
            covmean, _ = linalg.sqrtm((s1 + offset) @ (s2 + offset), disp=False)
    is_complex = bool(np.iscomplexobj(covmean))
    max_imag = float(np.max(np.abs(covmean.imag))) if is_complex else 0.0
    covmean = covmean.real
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))
    return FIDResult(value, is_complex, max_imag, eps_added)


def fid(generated: np.ndarray, gt: np.ndarray) -> FIDResult:
    """FID between feature sets (N, D) and (M, D), each with at least 2 rows (already normalised)."""
    a = np.asarray(generated, dtype=np.float64)
    b = np.asarray(gt, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (N, D) and (M, D), got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("FID needs at least 2 feature vectors in each set")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def diversity(features: np.ndarray) -> float:
    """Mean Euclidean distance over all unordered pairs of rows of (N, D); NaN for N < 2."""
    from scipy.spatial.distance import pdist

    f = np.asarray(features, dtype=np.float64)
    if len(f) < 2:
        return float("nan")
    return float(np.mean(pdist(f)))
