"""``dancegen evaluate`` as a user meets it: both modes end to end, and every bad input.

Bad input must give exit code 2 and one sentence on stderr (no traceback) naming the problem.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from dancegen.cli import main
from dancegen.datasets.synthetic import make_synthetic_dataset
from dancegen.metrics.foot_contact import y_up_to_z_up
from dancegen.motion import Motion, save_motion
from dancegen.motion.kinematics import forward_kinematics
from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS

ROWS = {"ground_truth", "mismatched_music", "static_mean_pose", "nearest_neighbour", "model"}


def run_cli(args: list, capfd) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capfd.readouterr()
    return code, out, err


def assert_clean_failure(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("dancegen evaluate: ")
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    """6 synthetic dances (2 test songs) of 10 s with click-track music."""
    root = tmp_path_factory.mktemp("synth")
    make_synthetic_dataset(root, num_sequences=6, seconds=10.0, seed=0)
    return root


def smpl_dance(seed: int, frames: int, fps: float = 60.0) -> np.ndarray:
    """SMPL-24 joints (frames, 24, 3) from smooth random rotations, metres, y-up."""
    from dancegen.motion.kinematics import axis_angle_to_matrix

    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    aa = 0.3 * np.sin(2 * np.pi * rng.uniform(0.3, 2, (24, 3)) * t[:, None, None] + rng.uniform(0, 6, (24, 3)))
    root = np.stack([0.3 * np.sin(t), 0.9 + 0.03 * np.sin(3 * t), 0.2 * t], axis=-1)
    return forward_kinematics(axis_angle_to_matrix(aa), root, SMPL24_OFFSETS, SMPL24.parents)


@pytest.fixture(scope="module")
def files(tmp_path_factory, synth) -> dict[str, Path]:
    """A GT pool (our .npz, smpl24), EDGE + Bailando predictions, and their music."""
    base = tmp_path_factory.mktemp("files")
    gt, pred, music = base / "gt", base / "pred", base / "music"
    for d in (gt, pred, music):
        d.mkdir()
    for i in range(5):
        save_motion(Motion(smpl_dance(i, 480), 60, "smpl24"), gt / f"song{i}.npz")
    for i in (0, 1):  # "song0", "song1" are also predicted: they form the ground-truth row
        wav = (synth / f"synth_0{i}.wav").read_bytes()
        (music / f"song{i}.wav").write_bytes(wav)
    with open(pred / "song0.pkl", "wb") as fh:  # EDGE: z-up, 30 fps
        pickle.dump({"full_pose": y_up_to_z_up(smpl_dance(10, 240, 30.0)).astype(np.float32)}, fh)
    (pred / "song1.json").write_text(json.dumps({"pred_position": smpl_dance(11, 480).reshape(480, 72).tolist()}))
    return {"gt": gt, "pred": pred, "music": music, "base": base}


def test_dataset_mode_end_to_end(synth, tmp_path, capfd):
    out, report = tmp_path / "eval.json", tmp_path / "report"
    code, stdout, err = run_cli(
        ["evaluate", "--dataset", "synthetic", "--data-root", synth, "--steps", "5", "--json", out, "--report", report, "--quiet"], capfd
    )
    assert code == 0, err
    assert "NOT COMPARABLE WITH AIST++ FIGURES" in stdout
    for label in ("ground truth", "GT, mismatched music", "static mean pose", "NN retrieval (music)", "model (default, seed 0)"):
        assert label in stdout
    data = json.loads(out.read_text())
    assert set(data["rows"]) == ROWS
    assert data["comparable_with_aistpp"] is False and data["label"] == "not comparable with AIST++ figures"
    assert [r["rule"] for r in data["left_out"]["geometric_rules"]] == [3, 4, 5, 6]
    assert data["test_set"] == ["synth_02", "synth_05"] and data["pool"]["clips"] == 4
    for row in data["rows"].values():
        m = row["metrics"]
        assert set(m) == {"bailando", "fact", "edge", "fixed", "music"}
        assert m["bailando"]["FID_k"] is not None and m["edge"]["PFC"] is not None
        assert 0.0 <= m["music"]["beat_hit"] <= 1.0
        assert len(row["per_clip"]) == 2
        assert {"beat_hit", "energy_r", "motion_beats_per_s", "movement_bpm"} <= set(row["per_clip"][0])
    assert data["rows"]["static_mean_pose"]["metrics"]["bailando"]["Div_k"] == 0.0
    # a still pose hits no beat and has no speed to correlate with the loudness
    assert data["rows"]["static_mean_pose"]["metrics"]["music"] == {"beat_hit": 0.0, "energy_r": None}
    for key in ("ground_truth", "mismatched_music", "nearest_neighbour", "model"):
        assert -1.0 <= data["rows"][key]["metrics"]["music"]["energy_r"] <= 1.0
    model = data["rows"]["model"]["metrics"]
    assert 0.0 <= model["bailando"]["BAS"] <= 1.0
    assert "beat_hit" in stdout and "energy_r" in stdout
    assert set(data["retrieval"]) == {"synth_02", "synth_05"}
    md = (report / "report.md").read_text()
    assert "not comparable" in md.lower() and "kinetic_projection.png" in md
    for png in ("kinetic_projection.png", "per_style.png", "beats_synth_02.png", "beats_synth_05.png"):
        assert (report / png).stat().st_size > 1000


def test_file_mode_scores_edge_and_bailando_outputs(files, tmp_path, capfd):
    out = tmp_path / "files.json"
    code, stdout, err = run_cli(
        ["evaluate", "--gt", files["gt"], "--pred", files["pred"], "--music", files["music"], "--json", out, "--quiet"],
        capfd,
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["comparable_with_aistpp"] is True
    assert set(data["rows"]) == {"ground_truth", "mismatched_music", "static_mean_pose", "system"}
    assert data["test_set"] == ["song0", "song1"]
    system = data["rows"]["system"]
    assert [c["name"] for c in system["per_clip"]] == ["song0", "song1"]
    # the mismatched row pairs each dance with the other song's beats and loudness
    gt_clips = data["rows"]["ground_truth"]["per_clip"]
    mm_clips = data["rows"]["mismatched_music"]["per_clip"]
    assert [c["music"] for c in mm_clips] == ["song1.wav", "song0.wav"]
    assert all(c["energy_r"] is not None and c["beat_hit"] is not None for c in gt_clips + mm_clips)
    assert all(c["seconds"] == pytest.approx(8.0) for c in system["per_clip"])
    assert system["metrics"]["bailando"]["BAS"] is not None
    # without music: no BAS, no mismatched row, the rest still computed; --ignore-names shrinks the pool
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("song4 \n")
    code, stdout, err = run_cli(
        ["evaluate", "--gt", files["gt"], "--pred", files["pred"], "--ignore-names", ignore, "--json", out, "--force",
         "--quiet"], capfd)  # fmt: skip
    assert code == 0, err
    assert "GT, mismatched music" not in stdout and "system (pred)" in stdout
    data = json.loads(out.read_text())
    assert data["pool"]["clips"] == 4 and data["rows"]["system"]["metrics"]["bailando"]["BAS"] is None


def _pred_dir(tmp_path: Path, joints: np.ndarray, fps: float = 60.0, skeleton: str = "smpl24") -> Path:
    d = tmp_path / "bad_pred"
    d.mkdir(exist_ok=True)
    save_motion(Motion(smpl_dance(20, 480), 60, "smpl24"), d / "a.npz")
    np.savez(d / "b.npz", joints=joints, fps=np.float32(fps), skeleton=np.str_(skeleton))
    return d


def test_bad_input(files, tmp_path, capfd):
    gt = files["gt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", empty, "--quiet"], capfd)
    assert_clean_failure(code, err, str(empty), "no motion files")

    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", tmp_path / "nope", "--quiet"], capfd)
    assert_clean_failure(code, err, "does not exist")

    music = tmp_path / "music"
    music.mkdir()
    (music / "song0.wav").write_bytes((files["music"] / "song0.wav").read_bytes())
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", files["pred"], "--music", music, "--quiet"], capfd)
    assert_clean_failure(code, err, "2 --pred clips but only 1 music files", "song1")

    names = tmp_path / "names.txt"
    names.write_text("song0\nsong9\n")
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", files["pred"], "--test-names", names, "--quiet"], capfd)
    assert_clean_failure(code, err, "2 names listed", "song9")

    nan = smpl_dance(21, 480)
    nan[100, 3, 1] = np.nan
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", _pred_dir(tmp_path, nan), "--quiet"], capfd)
    assert_clean_failure(code, err, "b.npz", "NaN")

    short = tmp_path / "short"
    short.mkdir()
    (tmp_path / "bad_pred" / "b.npz").unlink()
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", _pred_dir(tmp_path, smpl_dance(22, 180)), "--quiet"], capfd)
    assert_clean_failure(code, err, "b", "3.00 s is shorter than the 5-s evaluation window")

    code, _, err = run_cli(
        ["evaluate", "--gt", gt, "--pred", _pred_dir(tmp_path, smpl_dance(23, 480), skeleton="bvh31"), "--quiet"], capfd
    )
    assert_clean_failure(code, err, "unknown skeleton 'bvh31'")


def test_dataset_mode_on_every_beat(synth, tmp_path, capfd):
    out = tmp_path / "beat.json"
    code, stdout, err = run_cli(["evaluate", "--dataset", "synthetic", "--data-root", synth, "--steps", "3",
                                 "--beat-every", "beat", "--json", out, "--quiet"], capfd)  # fmt: skip
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["beat_every"] == "beat"
    assert 0.0 <= data["rows"]["model"]["metrics"]["music"]["beat_hit"] <= 1.0


def test_bad_arguments(files, synth, tmp_path, capfd):
    gt, pred = files["gt"], files["pred"]
    code, _, err = run_cli(["evaluate"], capfd)
    assert_clean_failure(code, err, "give either --dataset")
    code, _, err = run_cli(["evaluate", "--dataset", "synthetic", "--data-root", synth, "--gt", gt, "--pred", pred], capfd)
    assert_clean_failure(code, err, "give either --dataset")
    code, _, err = run_cli(["evaluate", "--gt", gt], capfd)
    assert_clean_failure(code, err, "--pred")
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", pred, "--protocols", "bailando,lodge"], capfd)
    assert_clean_failure(code, err, "unknown protocol lodge")
    code, _, err = run_cli(["evaluate", "--dataset", "nosuch", "--data-root", synth, "--quiet"], capfd)
    assert_clean_failure(code, err, "unknown dataset 'nosuch'")
    for flag, values in (("--guidance-interval", ["0.7", "0.2"]), ("--velocity-weight", ["-1"])):
        code, _, err = run_cli(["evaluate", "--dataset", "synthetic", "--data-root", synth, flag, *values, "--quiet"],
                               capfd)
        assert_clean_failure(code, err, flag)
    existing = tmp_path / "out.json"
    existing.write_text("{}")
    code, _, err = run_cli(["evaluate", "--gt", gt, "--pred", pred, "--json", existing], capfd)
    assert_clean_failure(code, err, "already exists")
    assert existing.read_text() == "{}"
    one = tmp_path / "one_gt"
    one.mkdir()
    (one / "song0.npz").write_bytes((gt / "song0.npz").read_bytes())
    code, _, err = run_cli(["evaluate", "--gt", one, "--pred", pred, "--quiet"], capfd)
    assert_clean_failure(code, err, "at least 2 clips")
