"""Reading other systems' outputs: our .npz, EDGE pickles, Bailando json/npy, AIST++ pickles."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from dancegen.metrics import EvaluationError
from dancegen.metrics.formats import clip_name, find_music, motion_files, read_motion_file
from dancegen.metrics.foot_contact import y_up_to_z_up


@pytest.fixture()
def smpl() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(40, 24, 3))


def test_npz(tmp_path, smpl):
    np.savez(tmp_path / "a.npz", joints=smpl, fps=np.float32(30), skeleton=np.str_("smpl24"))
    j, fps, sk = read_motion_file(tmp_path / "a.npz")
    np.testing.assert_allclose(j, smpl)
    assert (fps, sk) == (30.0, "smpl24")


def test_edge_pickle_is_converted_from_z_up(tmp_path, smpl):
    with open(tmp_path / "test_mBR0.pkl", "wb") as fh:
        pickle.dump({"smpl_poses": np.zeros((40, 72)), "smpl_trans": np.zeros((40, 3)),
                     "full_pose": y_up_to_z_up(smpl).astype(np.float32)}, fh)  # fmt: skip
    j, fps, sk = read_motion_file(tmp_path / "test_mBR0.pkl")
    np.testing.assert_allclose(j, smpl, atol=1e-6)
    assert (fps, sk) == (30.0, "smpl24")


def test_bailando_json_and_npy(tmp_path, smpl):
    flat = smpl.reshape(40, 72)
    (tmp_path / "a.json").write_text(json.dumps({"pred_position": flat.tolist()}))
    (tmp_path / "b.json").write_text(json.dumps(flat.tolist()))
    np.save(tmp_path / "c.npy", flat)
    np.save(tmp_path / "d.pkl.npy", {"pred_position": flat}, allow_pickle=True)
    for name in ("a.json", "b.json", "c.npy", "d.pkl.npy"):
        j, fps, sk = read_motion_file(tmp_path / name)
        np.testing.assert_allclose(j, smpl)
        assert (fps, sk) == (60.0, "smpl24")
    assert clip_name(tmp_path / "d.pkl.npy") == "d"


def test_aistpp_annotation_pickle(aistpp_root):
    path = next((aistpp_root / "annotations" / "motions").glob("*.pkl"))
    j, fps, sk = read_motion_file(path)
    assert fps == 60.0 and sk == "smpl24" and j.shape[1:] == (24, 3)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_bad_files(tmp_path, smpl):
    with open(tmp_path / "evil.pkl", "wb") as fh:
        pickle.dump({"full_pose": _Evil()}, fh)
    with pytest.raises(EvaluationError, match="refusing to load"):
        read_motion_file(tmp_path / "evil.pkl")
    bad = smpl.copy()
    bad[3, 2, 1] = np.nan
    np.savez(tmp_path / "nan.npz", joints=bad, fps=60.0, skeleton="smpl24")
    with pytest.raises(EvaluationError, match="NaN"):
        read_motion_file(tmp_path / "nan.npz")
    np.savez(tmp_path / "sk.npz", joints=smpl, fps=60.0, skeleton="bvh31")
    with pytest.raises(EvaluationError, match="unknown skeleton"):
        read_motion_file(tmp_path / "sk.npz")
    (tmp_path / "x.json").write_text(json.dumps({"something": [1, 2]}))
    with pytest.raises(EvaluationError, match="pred_position"):
        read_motion_file(tmp_path / "x.json")
    np.save(tmp_path / "y.npy", np.zeros((10, 70)))
    with pytest.raises(EvaluationError, match=r"\(T, 72\)"):
        read_motion_file(tmp_path / "y.npy")


def test_folders_and_music_pairing(tmp_path):
    with pytest.raises(EvaluationError, match="does not exist"):
        motion_files(tmp_path / "none", "--pred")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(EvaluationError, match="no motion files"):
        motion_files(tmp_path, "--pred")
    music = tmp_path / "music"
    music.mkdir()
    (music / "mBR0.wav").write_bytes(b"x")
    (music / "song.mp3").write_bytes(b"x")
    assert find_music("gBR_sBM_cAll_d04_mBR0_ch01", music).name == "mBR0.wav"
    assert find_music("test_song", music).name == "song.mp3"
    assert find_music("other", music) is None
