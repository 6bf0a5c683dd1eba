"""AIST++: name parsing (property tests) and the loader on the real 4-sequence sample."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancegen.datasets import load_dataset
from dancegen.datasets.aistpp import GENRES, parse_aist_name, read_motion_pickle
from dancegen.errors import DatasetError
from dancegen.motion.kinematics import smpl_joints
from dancegen.motion.skeleton import SMPL24

# ---------------------------------------------------------------------------- names

genre = st.sampled_from(sorted(GENRES))
two_digits = st.integers(0, 99).map(lambda i: f"{i:02d}")


@given(genre, st.sampled_from(["BM", "FM"]), st.one_of(st.just("All"), two_digits), two_digits, genre,
       st.integers(0, 9), two_digits)
def test_parse_aist_name_round_trip(g, s, c, d, mg, k, ch):
    name = f"g{g}_s{s}_c{c}_d{d}_m{mg}{k}_ch{ch}"
    info = parse_aist_name(name)
    assert info == {
        "genre": g,
        "situation": s,
        "camera": c,
        "dancer": d,
        "music": f"m{mg}{k}",
        "tempo": (110.0 + 5 * k) if mg == "HO" else (80.0 + 10 * k),
        "choreo": ch,
    }
    assert name.split("_")[4] == info["music"]


@given(st.text(max_size=40))
def test_parse_aist_name_rejects_junk(text):
    try:
        info = parse_aist_name(text)
    except ValueError:
        return
    assert info["genre"] in GENRES  # only well-formed names get through


@pytest.mark.parametrize(
    ("name", "tempo", "music"),
    [
        ("gBR_sBM_cAll_d04_mBR2_ch08", 100.0, "mBR2"),
        ("gJS_sFM_cAll_d02_mJS4_ch09", 120.0, "mJS4"),
        ("gHO_sFM_cAll_d20_mHO5_ch13", 135.0, "mHO5"),
        ("gKR_sBM_c01_d28_mKR0_ch01", 80.0, "mKR0"),
    ],
)
def test_parse_known_names(name, tempo, music):
    info = parse_aist_name(name)
    assert info["tempo"] == tempo and info["music"] == music


@pytest.mark.parametrize("bad", ["", "gXX_sBM_cAll_d04_mBR2_ch08", "gBR_sBM_cAll_d04_mBR2_ch08 ", "gBR_sBM_cAll_d4_mBR2_ch08"])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        parse_aist_name(bad)


# ---------------------------------------------------------------------------- real sample

SAMPLE = {
    "gBR_sBM_cAll_d04_mBR2_ch08": 576,
    "gBR_sBM_cAll_d06_mBR2_ch06": 576,
    "gJS_sBM_cAll_d03_mJS2_ch07": 576,
    "gJS_sFM_cAll_d02_mJS4_ch09": 1919,
}


@pytest.fixture(scope="module")
def all_seqs(aistpp_root: Path):
    return load_dataset("aistpp", aistpp_root, split="all")


def test_splits_of_the_sample(aistpp_root, all_seqs):
    assert [s.name for s in all_seqs] == sorted(SAMPLE)
    assert len(load_dataset("aistpp", aistpp_root, split="train")) == 4
    assert load_dataset("aistpp", aistpp_root, split="test") == []
    assert load_dataset("aistpp", aistpp_root, split="val") == []  # falls back to the reconstructed list


def test_frame_counts_60_to_30(aistpp_root, all_seqs):
    for s in all_seqs:
        assert s.motion.fps == 30 and s.motion.skeleton == "smpl24"
        assert s.motion.num_frames == round(SAMPLE[s.name] / 2)
    counts = {s.name: s.motion.num_frames for s in all_seqs}
    assert counts["gBR_sBM_cAll_d04_mBR2_ch08"] == 288 and counts["gJS_sFM_cAll_d02_mJS4_ch09"] == 960
    native = load_dataset("aistpp", aistpp_root, split="all", fps=60)
    assert {s.name: s.motion.num_frames for s in native} == SAMPLE


def test_names_hints_and_missing_music(all_seqs):
    by = {s.name: s for s in all_seqs}
    assert by["gBR_sBM_cAll_d04_mBR2_ch08"].tempo_hint == 100
    assert by["gJS_sFM_cAll_d02_mJS4_ch09"].tempo_hint == 120
    assert by["gBR_sBM_cAll_d04_mBR2_ch08"].style == "Break"
    assert by["gJS_sBM_cAll_d03_mJS2_ch07"].style == "Street Jazz"
    for s in all_seqs:
        assert s.audio_path is None  # mBR2/mJS2/mJS4.wav are not in music_clips
        assert s.audio_start == 0.0 and s.audio_end == pytest.approx(s.motion.duration)


def test_joints_are_plausible(all_seqs):
    for s in all_seqs:
        j = s.motion.joints.astype(np.float64)
        for c, p in enumerate(SMPL24.parents):
            if p >= 0:
                length = np.linalg.norm(j[:, c] - j[:, p], axis=-1)
                assert np.ptp(length) < 1e-4, (s.name, c)
        head_over_pelvis = j[:, 15, 1] - j[:, 0, 1]
        # y-up: the head is above the pelvis most of the time (break dance has head-down moves)
        assert np.median(head_over_pelvis) > 0.1
        if s.name.startswith("gJS"):
            assert (head_over_pelvis > 0.3).mean() > 0.99
        lowest = j[..., 1].min(axis=1)
        assert abs(np.percentile(lowest, 5)) < 1e-3  # floor moved to y = 0
        assert np.median(lowest) < 0.1
        feet = j[:, [7, 8, 10, 11], 1].min(axis=1)
        assert np.median(feet) < 0.1  # a foot joint is at the floor most of the time


def test_edge_convention_heights(aistpp_root):
    """smpl_joints keeps AIST++ world heights: the lowest joint sits 0.8-0.95 m above y=0."""
    for name in SAMPLE:
        data = read_motion_pickle(aistpp_root / "annotations" / "motions" / f"{name}.pkl")
        j = smpl_joints(data["smpl_poses"], data["smpl_trans"], data["smpl_scaling"])
        lowest = np.percentile(j[..., 1].min(axis=1), 5)
        assert 0.75 < lowest < 1.0, (name, lowest)
    raw = load_dataset("aistpp", aistpp_root, split="all", floor=False)
    assert all(np.percentile(s.motion.joints[..., 1].min(axis=1), 5) > 0.75 for s in raw)


def test_ignore_list_trailing_space_is_stripped(aistpp_root, tmp_path):
    root = _mini_copy(aistpp_root, tmp_path)
    ignore = root / "annotations" / "splits" / "ignore_list.txt"
    ignore.write_text(ignore.read_text() + "gJS_sFM_cAll_d02_mJS4_ch09 \n")
    names = [s.name for s in load_dataset("aistpp", root, split="all", fps=60)]
    assert names == ["gBR_sBM_cAll_d04_mBR2_ch08"]  # the other one is not a copied motion
    # the official list's entry with a trailing space is read as the bare name
    from dancegen.datasets.aistpp import read_name_list

    entries = read_name_list(aistpp_root / "annotations" / "splits" / "ignore_list.txt")
    assert len(entries) == 45 and "gHO_sFM_cAll_d20_mHO5_ch13" in entries
    assert all(e == e.strip() for e in entries)


def _mini_copy(aistpp_root: Path, tmp_path: Path) -> Path:
    """A copy with two motions (symlinked) and the real split files."""
    root = tmp_path / "aist"
    (root / "annotations" / "motions").mkdir(parents=True)
    shutil.copytree(aistpp_root / "annotations" / "splits", root / "annotations" / "splits")
    for name in ("gBR_sBM_cAll_d04_mBR2_ch08", "gJS_sFM_cAll_d02_mJS4_ch09"):
        (root / "annotations" / "motions" / f"{name}.pkl").symlink_to(
            aistpp_root / "annotations" / "motions" / f"{name}.pkl"
        )
    return root


def test_music_pairing_by_music_id(aistpp_root, tmp_path):
    root = _mini_copy(aistpp_root, tmp_path)
    (root / "music").mkdir()
    (root / "music" / "mBR2.wav").write_bytes(b"")
    seqs = {s.name: s for s in load_dataset("aistpp", root, split="all")}
    assert seqs["gBR_sBM_cAll_d04_mBR2_ch08"].audio_path == root / "music" / "mBR2.wav"
    assert seqs["gJS_sFM_cAll_d02_mJS4_ch09"].audio_path is None
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "mJS4.wav").write_bytes(b"")
    seqs = {s.name: s for s in load_dataset("aistpp", root, split="all", music_dir=other)}
    assert seqs["gJS_sFM_cAll_d02_mJS4_ch09"].audio_path == other / "mJS4.wav"


# ---------------------------------------------------------------------------- errors (no real data)


def _fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "aist"
    (root / "annotations" / "motions").mkdir(parents=True)
    (root / "annotations" / "splits").mkdir()
    (root / "annotations" / "splits" / "crossmodal_train.txt").write_text("gBR_sBM_cAll_d04_mBR2_ch08\n")
    (root / "annotations" / "splits" / "ignore_list.txt").write_text("")
    return root


def test_synthetic_pickle_loads(tmp_path):
    root = _fake_root(tmp_path)
    t = 10
    data = {
        "smpl_poses": np.zeros((t, 72), np.float32),
        "smpl_trans": np.tile(np.array([0, 90, 0], np.float32), (t, 1)),
        "smpl_scaling": np.array([90.0], np.float32),
        "smpl_loss": 1.0,
    }
    with open(root / "annotations" / "motions" / "gBR_sBM_cAll_d04_mBR2_ch08.pkl", "wb") as fh:
        pickle.dump(data, fh)
    (seq,) = load_dataset("aistpp", root, split="train", fps=60)
    assert seq.motion.num_frames == t and seq.tempo_hint == 100


def test_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset("aistpp", tmp_path / "nope")
    with pytest.raises(DatasetError, match="annotations/motions"):
        load_dataset("aistpp", tmp_path)
    root = _fake_root(tmp_path)
    with pytest.raises(DatasetError, match="no motion files"):
        load_dataset("aistpp", root)
    bad = root / "annotations" / "motions" / "gBR_sBM_cAll_d04_mBR2_ch08.pkl"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match="gBR_sBM_cAll_d04_mBR2_ch08.pkl"):
        load_dataset("aistpp", root)
    with open(bad, "wb") as fh:  # a pickle that would run code is refused
        pickle.dump({"smpl_poses": Path("x")}, fh)
    with pytest.raises(DatasetError, match="refusing"):
        load_dataset("aistpp", root)
    with pytest.raises(DatasetError, match="crossmodal_test.txt"):
        load_dataset("aistpp", root, split="test")
    with pytest.raises(DatasetError, match="split"):
        load_dataset("aistpp", root, split="bogus")
