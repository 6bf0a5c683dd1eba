"""Dance with Melody on the real data (35 sequences), plus layout errors on fake folders."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from dancegen.datasets import load_dataset
from dancegen.datasets.dance_with_melody import DWM_FPS, DWM_TEST, split_names
from dancegen.errors import DatasetError
from dancegen.motion.skeleton import DWM23

COUNTS = {"cha-cha": 4, "rumba": 6, "tango": 1, "waltz": 24}
TEST_COUNTS = {"cha-cha": 1, "rumba": 1, "waltz": 4}


@pytest.fixture(scope="module")
def all_seqs(dwm_root: Path):
    return load_dataset("dance_with_melody", dwm_root, split="all")


def _config(root: Path, name: str) -> tuple[int, int]:
    cfg = json.loads((root / name / "config.json").read_text())
    return cfg["start_position"], cfg["end_position"]


def test_all_and_styles(all_seqs):
    assert len(all_seqs) == 35
    styles: dict[str, int] = {}
    for s in all_seqs:
        styles[s.style] = styles.get(s.style, 0) + 1
        assert s.motion.fps == 30 and s.motion.skeleton == "dwm23"
        assert s.audio_path is not None and s.audio_path.name == "audio.mp3"
    assert styles == COUNTS


def test_split_partitions_the_data(dwm_root, all_seqs):
    names = [s.name for s in all_seqs]
    train, test = split_names(names, "train"), split_names(names, "test")
    assert len(train) == 29 and len(test) == 6 and sorted(test) == sorted(DWM_TEST)
    assert set(train).isdisjoint(test) and sorted(train + test) == names
    loaded_test = load_dataset("dance_with_melody", dwm_root, split="test")
    assert [s.name for s in loaded_test] == sorted(DWM_TEST)
    by_style: dict[str, int] = {}
    for s in loaded_test:
        by_style[s.style] = by_style.get(s.style, 0) + 1
    assert by_style == TEST_COUNTS
    docs = (Path(__file__).resolve().parents[2] / "docs" / "DATASETS.md").read_text()
    assert all(n in docs for n in DWM_TEST)


def test_timing_matches_config(dwm_root, all_seqs):
    for s in all_seqs:
        start, end = _config(dwm_root, s.name)
        assert s.audio_start == pytest.approx(start / DWM_FPS)
        # every recording is 1-56 frames (25 fps) shorter than end - start; motion starts at s/25
        span = (end - start) / DWM_FPS
        assert span - 56 / DWM_FPS - 1 / 30 <= s.motion.duration <= span + 1e-9, s.name
        assert s.audio_end <= end / DWM_FPS + 1e-9


def test_stretch_timing_spans_the_config(dwm_root, tmp_path):
    root = _copy_sequence(dwm_root, tmp_path, "DANCE_T_5", decompress=False)
    (s,) = load_dataset("dance_with_melody", root, split="all", timing="stretch")
    start, end = _config(dwm_root, "DANCE_T_5")
    assert abs(s.motion.duration - (end - start) / DWM_FPS) <= 1 / 30
    assert abs(s.audio_end - end / DWM_FPS) <= 1 / 30


def test_metres_y_up_floor(all_seqs):
    for s in all_seqs:
        j = s.motion.joints.astype(np.float64)
        lowest = j[..., 1].min(axis=1)
        height = np.percentile(j[:, 0, 1] - lowest, 95)  # head top over the lowest point
        assert 1.4 < height < 2.0, (s.name, height)
        feet = j[:, [9, 10, 11, 18, 19, 20], 1]
        assert (j[:, 0, 1] > feet.max(axis=1)).mean() > 0.99  # y-up: head above both feet
        assert abs(np.percentile(lowest, 5)) < 0.01  # floor at y = 0 ...
        assert np.median(lowest) < 0.03  # ... throughout the dance (drift removed)
        blocks = [np.percentile(lowest[i : i + 60], 10) for i in range(0, len(lowest) - 60, 60)]
        assert max(blocks) < 0.08 and min(blocks) > -0.03, s.name


def test_floor_drift_is_real_without_correction(dwm_root):
    """Without the correction DANCE_W_1's feet rise ~0.4 m over the dance: why it exists."""
    raw = load_dataset("dance_with_melody", dwm_root, split="test", floor=False)
    (w1,) = [s for s in raw if s.name == "DANCE_W_1"]
    lowest = w1.motion.joints[..., 1].min(axis=1)
    assert np.percentile(lowest[:150], 10) < 0.1 and np.percentile(lowest[-150:], 10) > 0.3


def _copy_sequence(dwm_root: Path, tmp_path: Path, name: str, decompress: bool) -> Path:
    root = tmp_path / "dwm"
    seq = root / name
    seq.mkdir(parents=True)
    for f in ("config.json", "audio.mp3"):
        (seq / f).symlink_to(dwm_root / name / f)
    if decompress:
        (seq / "skeletons.json").write_bytes(gzip.decompress((dwm_root / name / "skeletons.json.gz").read_bytes()))
    else:
        (seq / "skeletons.json.gz").symlink_to(dwm_root / name / "skeletons.json.gz")
    return root


def test_json_and_gz_load_the_same(dwm_root, tmp_path, all_seqs):
    plain = load_dataset("dance_with_melody", _copy_sequence(dwm_root, tmp_path / "a", "DANCE_W_23", True), "all")
    packed = load_dataset("dance_with_melody", _copy_sequence(dwm_root, tmp_path / "b", "DANCE_W_23", False), "all")
    assert len(plain) == len(packed) == 1
    np.testing.assert_array_equal(plain[0].motion.joints, packed[0].motion.joints)
    (ref,) = [s for s in all_seqs if s.name == "DANCE_W_23"]
    np.testing.assert_array_equal(plain[0].motion.joints, ref.motion.joints)
    # W_23 is in the test split; the train split of this one-sequence folder is empty
    assert load_dataset("dance_with_melody", tmp_path / "a" / "dwm", "train") == []


# ---------------------------------------------------------------------------- fake folders


def _fake(tmp_path: Path, t: int = 50) -> Path:
    seq = tmp_path / "DANCE_C_1"
    seq.mkdir(parents=True)
    (seq / "config.json").write_text(json.dumps({"start_position": 10, "end_position": 10 + t}))
    rng = np.random.default_rng(0)
    skel = rng.normal(scale=30, size=(t, 23, 3))
    skel[:, 0, 1] += 80  # head well above
    center = np.tile([0.0, 100.0, 0.0], (t, 1))
    (seq / "skeletons.json").write_text(json.dumps({"length": t, "center": center.tolist(), "skeletons": skel.tolist()}))
    return tmp_path


def test_fake_sequence_conversion(tmp_path):
    root = _fake(tmp_path)
    (s,) = load_dataset("dance_with_melody", root, "all", fps=25, floor=False)
    raw = json.loads((root / "DANCE_C_1" / "skeletons.json").read_text())
    expect = (np.asarray(raw["skeletons"]) + np.asarray(raw["center"])[:, None]) / 100
    np.testing.assert_allclose(s.motion.joints, expect, atol=1e-5)
    assert s.audio_path is None and s.audio_start == pytest.approx(0.4) and s.style == "cha-cha"
    assert s.motion.joints.shape[1] == DWM23.num_joints


def test_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset("dance_with_melody", tmp_path / "missing")
    with pytest.raises(DatasetError, match="DANCE_"):
        load_dataset("dance_with_melody", tmp_path)
    root = _fake(tmp_path / "x")
    (root / "DANCE_C_1" / "skeletons.json").write_text("{not json")
    with pytest.raises(DatasetError, match="skeletons.json"):
        load_dataset("dance_with_melody", root, "all")
    (root / "DANCE_C_1" / "skeletons.json").unlink()
    (root / "DANCE_C_1" / "skeletons.json.gz").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="skeletons.json.gz"):
        load_dataset("dance_with_melody", root, "all")
    (root / "DANCE_C_1" / "skeletons.json.gz").unlink()
    with pytest.raises(DatasetError, match="DANCE_C_1"):
        load_dataset("dance_with_melody", root, "all")
    (root / "DANCE_C_1" / "config.json").unlink()
    with pytest.raises(DatasetError, match="config.json"):
        load_dataset("dance_with_melody", root, "all")
    with pytest.raises(DatasetError, match="val"):
        load_dataset("dance_with_melody", root, "val")
