"""benchmarks/style_control.py: the report of asked vs recognised styles (the generation is generate's)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from benchtools import load_benchmark
from scipy.stats import binom


@pytest.fixture(scope="module")
def sc():
    return load_benchmark("style_control")


def _records(sc):
    """Two songs x two seeds; the model dances rumba whatever it is asked, and waltz only on the waltz song."""
    out = []
    for seed in (0, 1):
        for song, own in (("S_R", "rumba"), ("S_W", "waltz")):
            out.append(sc.Dance(seed, song, "any", own, 0.0, 0.5, np.zeros((1, 6))))
            for asked in ("rumba", "waltz"):
                verdict = "rumba" if asked == "rumba" or own == "rumba" else "waltz"
                out.append(sc.Dance(seed, song, asked, verdict, float(verdict == asked), 0.6, np.zeros((1, 6))))
    return out


def test_report_counts_verdicts_pools_seeds_and_tests_the_margin(sc, capsys):
    sc.report(_records(sc), ["rumba", "waltz"], ["rumba", "waltz"], {"S_R": "rumba", "S_W": "waltz"})
    out = capsys.readouterr().out
    assert "| rumba | 4 | 0 | 100% | 100% | 50% | 0.60 |" in out  # asked rumba: 4 of 4 dances
    assert "| waltz | 2 | 2 | 50% | 50% | 50% | 0.60 |" in out
    assert "| any (no label) | 2 | 2 | - | - | - | 0.50 |" in out
    assert "| S_R | rumba | rumba 2 | 2/2 | 0/2 |" in out  # per song: label-free verdicts, seeds recognising
    assert "| S_W | waltz | waltz 2 | 2/2 | 2/2 |" in out
    assert "per seed 75%, 75%" in out
    m = re.search(r"6/8 labelled dances recognised \(75%, 95% CI (\d+)%-(\d+)%\), one-sided binomial p = ([\d.e-]+)", out)
    assert m, out
    assert float(m.group(3)) == pytest.approx(binom.sf(5, 8, 0.5), abs=0.005)  # printed to 2 digits; P(X >= 6), X ~ B(8, 1/2)
    assert int(m.group(1)) < 75 < int(m.group(2)) < 100


def test_kinetic_profile_averages_z_per_body_part_and_kind(sc, capsys):
    from dancegen.metrics.style import StyleClassifier

    rng = np.random.default_rng(0)
    train = [rng.normal(size=(20, 9)) for _ in range(2)]  # 3 joints x (hKE, vKE, EE)
    clf = StyleClassifier.fit(train, ["a", "b"])
    parts = {"upper": [0], "lower": [1, 2]}
    assert np.allclose(sc.kinetic_profile(clf.mean[None], clf, parts), 0.0)  # the training mean: z = 0
    shifted = clf.mean + clf.std * np.array([1, 2, 3, 0, 0, 0, -2, -2, -2])  # lower: joint 1 +0, joint 2 -2
    np.testing.assert_allclose(sc.kinetic_profile(shifted[None], clf, parts), [1, 2, 3, -1, -1, -1])
    sc.print_profile({"real a": train[0], "odd": shifted[None]}, clf, parts)
    out = capsys.readouterr().out
    assert "| segments | upper horizontal KE | upper vertical KE | upper energy exp. | lower horizontal KE |" in out
    assert "| odd (1) | +1.00 | +2.00 | +3.00 | -1.00 | -1.00 | -1.00 |" in out
