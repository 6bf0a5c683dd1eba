"""Golden numbers on the real AIST++ sample (4 sequences, FK joints at 60 fps).

Computed once with this code and reviewed by hand for plausibility:

- root horizontal kinetic energy 0.23 / 0.98 / 0.028 / 0.32 (m/s)^2, i.e. rms root speeds of
  0.5, 1.0, 0.17 and 0.57 m/s: the two break sequences move most, the basic jazz one least;
- corrected energy expenditure (summed over joints) follows the same order, 525 / 412 / 57 /
  174, while the reference quirk gives 39,170 / 55,154 / 43,592 / 72,603: it ranks the calmest
  sequence above the liveliest, because it mostly measures distance from the first root position;
- gBR d04 is the floor-work sequence (docs/DATASETS.md): torso horizontal (rule 29) in 45 % of
  frames, wrists near the floor (rules 30/31) 72 / 77 %, thighs bent against the torso (26/27)
  ~100 %; the jazz sequences never have the torso horizontal;
- PFC (EDGE, 5-s windows): 39.6 for the floor-work break sequence (feet sweeping while the root
  accelerates), 4.3 for the other break one, 0.06 and 0.48 for jazz (EDGE's AIST++ GT: 1.33).
"""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.metrics.fid import diversity, normalize
from dancegen.metrics.suite import Clip, FeatureSpace, score_clip

GOLDEN = {
    # name: (KE_h sum, KE_v sum, EE sum bailando, EE sum fixed, geo mean bailando, geo mean fixed, PFC)
    "gBR_sBM_cAll_d04_mBR2_ch08": (82.9764, 25.4542, 39170.46, 524.5963, 0.47810, 0.45859, 39.6089),
    "gBR_sBM_cAll_d06_mBR2_ch06": (62.5461, 32.0961, 55154.04, 411.8207, 0.36147, 0.36364, 4.2923),
    "gJS_sBM_cAll_d03_mJS2_ch07": (3.5973, 2.8616, 43591.81, 56.6447, 0.23174, 0.19946, 0.0625),
    "gJS_sFM_cAll_d02_mJS4_ch09": (29.4794, 6.1037, 72603.30, 174.1046, 0.27309, 0.25388, 0.4781),
}
D04_GEO = [0.5374, 0.5252, 0.3687, 0.207, 0.0174, 0.0174, 0.0557, 0.0939, 0.0, 0.3357, 0.167, 0.68, 0.6504,
           0.6226, 0.1774, 0.673, 0.0, 0.0, 0.5913, 0.5965, 0.6, 0.9148, 0.927, 0.8557, 0.8922, 0.9983, 1.0,
           0.0017, 0.4487, 0.72, 0.7704, 0.8539]  # fmt: skip


@pytest.fixture(scope="module")
def scored(aistpp_root):
    from dancegen.datasets import load_dataset

    seqs = load_dataset("aistpp", aistpp_root, "all", fps=60)
    space = FeatureSpace.for_skeletons(["smpl24"])
    return {s.name: (s, score_clip(Clip(s.name, s.motion.joints, 60.0, "smpl24"), space, ("bailando", "fixed", "edge")))
            for s in seqs}  # fmt: skip


def test_golden_features(scored):
    assert sorted(scored) == sorted(GOLDEN)
    for name, (_, sc) in scored.items():
        kb = sc.kinetic["bailando"].reshape(24, 3)
        kf = sc.kinetic["fixed"].reshape(24, 3)
        got = (kb[:, 0].sum(), kb[:, 1].sum(), kb[:, 2].sum(), kf[:, 2].sum(),
               sc.geometric["bailando"].mean(), sc.geometric["fixed"].mean(), 10000 * np.mean(sc.pfc))  # fmt: skip
        np.testing.assert_allclose(got, GOLDEN[name], rtol=2e-4, atol=2e-4, err_msg=name)
        # horizontal and vertical kinetic energy do not depend on the quirk
        np.testing.assert_allclose(kb[:, :2], kf[:, :2], rtol=1e-6)


def test_golden_geometric_vector(scored):
    _, sc = scored["gBR_sBM_cAll_d04_mBR2_ch08"]
    np.testing.assert_allclose(sc.geometric["bailando"], D04_GEO, atol=1e-4)


def test_golden_diversity(scored):
    k = np.stack([sc.kinetic["bailando"] for _, sc in scored.values()])
    g = np.stack([sc.geometric["bailando"] for _, sc in scored.values()])
    kn, _ = normalize(k, k[:1])
    gn, _ = normalize(g, g[:1])
    assert diversity(kn) == pytest.approx(13.7348, rel=1e-4)
    assert diversity(gn) == pytest.approx(9.0387, rel=1e-4)


def test_loader_floor_shift_does_not_change_root_anchored_features(aistpp_root, scored):
    from dancegen.datasets.aistpp import read_motion_pickle
    from dancegen.motion.kinematics import smpl_joints

    name = "gJS_sBM_cAll_d03_mJS2_ch07"
    seq, sc = scored[name]
    d = read_motion_pickle(aistpp_root / "annotations" / "motions" / f"{name}.pkl")
    raw = smpl_joints(d["smpl_poses"], d["smpl_trans"], float(d["smpl_scaling"][0]))
    assert abs(float(np.median(raw[:, :, 1].min(axis=1)) - np.median(seq.motion.joints[:, :, 1].min(axis=1)))) > 0.5
    space = FeatureSpace.for_skeletons(["smpl24"])
    raw_sc = score_clip(Clip(name, raw, 60.0, "smpl24"), space, ("bailando", "fixed", "edge"))
    for p in ("bailando", "fixed"):
        np.testing.assert_allclose(raw_sc.kinetic[p], sc.kinetic[p], rtol=1e-4)
        np.testing.assert_allclose(raw_sc.geometric[p], sc.geometric[p], atol=1e-6)
    assert raw_sc.pfc == pytest.approx(sc.pfc, rel=1e-4)
