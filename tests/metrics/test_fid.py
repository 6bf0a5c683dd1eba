"""FID, normalisation and diversity: analytic values and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.metrics.fid import diversity, fid, frechet_distance, normalize


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(50, 6))
    assert fid(x, x).value == pytest.approx(0.0, abs=1e-8)


def test_fid_one_dimensional_closed_form():
    # a = {-1, 1}: mean 0, variance 2 (ddof 1); b = {2, 4, 6}: mean 4, variance 4
    # FID = (0 - 4)^2 + 2 + 4 - 2 sqrt(8) = 22 - 4 sqrt(2)
    r = fid(np.array([[-1.0], [1.0]]), np.array([[2.0], [4.0], [6.0]]))
    assert r.value == pytest.approx(22 - 4 * math.sqrt(2), rel=1e-12)
    assert not r.sqrtm_complex and not r.eps_added


def test_frechet_distance_of_two_gaussians():
    # diagonal covariances: |mu1 - mu2|^2 + sum (sqrt(s1) - sqrt(s2))^2, in any rotated basis
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, -1.0, 2.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    got = frechet_distance(q @ mu1, q @ np.diag(s1) @ q.T, q @ mu2, q @ np.diag(s2) @ q.T)
    assert got.value == pytest.approx(want, rel=1e-9)


def test_rank_deficient_covariances_are_reported():
    # fewer clips than feature dimensions (the usual case on small test sets)
    rng = np.random.default_rng(2)
    r = fid(rng.normal(size=(4, 12)), rng.normal(size=(5, 12)))
    assert math.isfinite(r.value)
    assert r.to_json()["sqrtm_complex"] == r.sqrtm_complex
    if r.sqrtm_complex:
        assert r.max_imag > 0


def test_normalisation_uses_the_gt_statistics():
    gt = np.array([[0.0, 10.0], [2.0, 30.0]])
    other = np.array([[1.0, 20.0]])
    gt_n, other_n = normalize(gt, other)
    np.testing.assert_allclose(gt_n, [[-1, -1], [1, 1]], atol=1e-9)
    np.testing.assert_allclose(other_n, [[0, 0]], atol=1e-9)
    # a constant GT column is divided by 1e-10: the reference's blow-up, kept on purpose
    _, o = normalize(np.array([[1.0], [1.0]]), np.array([[1.5]]))
    assert o[0, 0] == pytest.approx(5e9)


def test_diversity_small_cases():
    assert diversity(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    assert diversity(np.zeros((4, 3))) == 0.0
    # pairs of an equilateral triangle of side 2
    tri = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3)]])
    assert diversity(tri) == pytest.approx(2.0)
    assert math.isnan(diversity(np.zeros((1, 3))))


feature_sets = st.integers(0, 10_000).map(lambda s: np.random.default_rng(s))


@settings(max_examples=30, deadline=None)
@given(feature_sets, st.integers(3, 30), st.integers(1, 5))
def test_fid_symmetric_and_non_negative(rng, n, d):
    a = rng.normal(size=(n, d))
    b = rng.normal(loc=rng.normal(), scale=rng.uniform(0.5, 2), size=(n + 3, d))
    ab, ba = fid(a, b).value, fid(b, a).value
    assert ab == pytest.approx(ba, rel=1e-6, abs=1e-8)
    assert ab >= -1e-8


@settings(max_examples=30, deadline=None)
@given(feature_sets, st.integers(2, 20), st.floats(0.01, 100.0))
def test_diversity_scales_linearly_and_ignores_shifts(rng, n, c):
    x = rng.normal(size=(n, 4))
    assert diversity(c * x) == pytest.approx(c * diversity(x), rel=1e-9)
    assert diversity(x + 7.0) == pytest.approx(diversity(x), rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(feature_sets, st.floats(0.1, 50.0), st.floats(-5.0, 5.0))
def test_normalised_metrics_ignore_feature_units(rng, scale, shift):
    gt, gen = rng.normal(size=(30, 3)), rng.normal(loc=0.5, size=(10, 3))
    gt_n, gen_n = normalize(gt, gen)
    gt_s, gen_s = normalize(gt * scale + shift, gen * scale + shift)
    assert fid(gen_s, gt_s).value == pytest.approx(fid(gen_n, gt_n).value, rel=1e-6)
    assert diversity(gen_s) == pytest.approx(diversity(gen_n), rel=1e-6)
