"""Skeleton mappings onto SMPL names, and the protocols' clip preparation."""

from __future__ import annotations

import numpy as np
import pytest

from dancegen.metrics import EvaluationError
from dancegen.metrics.protocols import PROTOCOLS, prepare_features_clip, resample_joints
from dancegen.metrics.skeletons import SMPL_NAMES, common_available, get_metric_skeleton, smpl_view
from dancegen.motion import Motion


def test_dwm23_mapping():
    rng = np.random.default_rng(0)
    j = rng.normal(size=(5, 23, 3))
    v = smpl_view(j, "dwm23")
    assert v.shape == (5, 24, 3)
    np.testing.assert_allclose(v[:, SMPL_NAMES.index("root")], (j[:, 7] + j[:, 16]) / 2)
    np.testing.assert_allclose(v[:, SMPL_NAMES.index("neck")], (j[:, 3] + j[:, 12]) / 2)
    np.testing.assert_allclose(v[:, SMPL_NAMES.index("rwrist")], j[:, 6])
    np.testing.assert_allclose(v[:, SMPL_NAMES.index("ltoes")], j[:, 20])
    for name in ("belly", "spine", "chest", "linshoulder", "rinshoulder", "lhand", "rhand"):
        assert np.isnan(v[:, SMPL_NAMES.index(name)]).all()


def test_smpl24_is_identity_and_unknown_skeleton_is_refused():
    j = np.random.default_rng(1).normal(size=(3, 24, 3))
    np.testing.assert_array_equal(smpl_view(j, "smpl24"), j)
    with pytest.raises(EvaluationError, match="unknown skeleton 'bvh31'"):
        get_metric_skeleton("bvh31")
    with pytest.raises(EvaluationError, match="has 23 joints"):
        smpl_view(j, "dwm23")


def test_common_available():
    assert common_available(["smpl24"]) == SMPL_NAMES
    both = common_available(["smpl24", "coco17"])
    assert "ltoes" not in both and "root" in both
    assert set(common_available(["dwm23", "coco17"])) == set(get_metric_skeleton("coco17").available)


def test_resample_matches_motion_resample():
    j = np.random.default_rng(2).normal(size=(50, 23, 3)).astype(np.float32)
    want = Motion(j, 25, "dwm23").resample(60).joints
    np.testing.assert_allclose(resample_joints(j, 25, 60), want, atol=1e-6)
    up = resample_joints(j[:10], 30, 60)
    assert up.shape[0] == 20
    np.testing.assert_allclose(up[1], (j[0] + j[1]) / 2, atol=1e-6)


def test_bailando_preparation_anchors_and_cuts():
    rng = np.random.default_rng(3)
    j = rng.normal(size=(1500, 24, 3)) + [5.0, 1.0, -3.0]
    out = prepare_features_clip(j, 60.0, PROTOCOLS["bailando"])
    assert out.shape == (1200, 24, 3)
    np.testing.assert_allclose(out[0, 0], 0.0, atol=1e-12)  # first frame's root at the origin
    np.testing.assert_allclose(out[5] - out[5, :1] , j[5] - j[5, :1], atol=1e-12)
    # a 30-fps model is upsampled to 60 fps first
    assert prepare_features_clip(j[:300], 30.0, PROTOCOLS["bailando"]).shape[0] == 600


def test_protocol_settings():
    b, f = PROTOCOLS["bailando"], PROTOCOLS["fixed"]
    assert (b.fps, b.max_frames, b.accel_quirk, b.time_per_frame, b.move_quirk) == (60.0, 1200, True, 1 / 120, True)
    assert (f.accel_quirk, f.time_per_frame, f.move_quirk) == (False, 1 / 60, False)
    assert PROTOCOLS["edge"].fps == 30.0 and PROTOCOLS["edge"].window_frames == 150
