"""``--save-bvh`` on ``dance`` and ``generate``: the BVH matches the motion, outputs follow the rules.

Output rules as for every output: checked before any work (an existing file needs --force, an
unwritable folder is one sentence and exit code 2), written atomically, nothing partial left.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bvhtools import bvhio_positions
from clitools import assert_clean_failure, run_cli, write_demo_excerpt

from dancegen.cli import main
from dancegen.motion import load_motion


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    """A 3-s excerpt of the demo song (120 BPM), 22.05 kHz stereo WAV."""
    return write_demo_excerpt(tmp_path_factory.mktemp("songs") / "song.wav")


def test_generate_saves_a_bvh_that_plays_back_as_the_motion(song, tmp_path, capfd):
    motion_path, bvh = tmp_path / "dance.npz", tmp_path / "dance.bvh"
    code, out, err = run_cli(["generate", song, "-o", motion_path, "--save-bvh", bvh, "--quiet"], capfd)
    assert code == 0, err
    motion = load_motion(motion_path)
    text = bvh.read_text()
    assert text.startswith("HIERARCHY\nROOT spine\n") and f"Frames: {motion.num_frames}\n" in text
    assert oct(bvh.stat().st_mode & 0o777) == oct(0o644)
    back = bvhio_positions(bvh, motion.spec.joint_names, motion.num_frames) / 100.0
    joints = motion.joints.astype(np.float64)
    err_cm = np.linalg.norm(back - joints, axis=-1) * 100
    # the root and the free markers are exact; the rest is off by the bone-length changes of the
    # generated dance (a BVH bone has one length). Measured: mean 2.0 cm for the default of
    # 2026-11-27 (the earlier one: 0.2-0.4 cm); the real Dance-with-Melody dances give 2.4 cm
    assert err_cm[:, [2, 21, 22]].max() < 0.01
    assert err_cm.mean() < 3.0
    # the bones aimed on their own (arms below the shoulders, legs below the hips, the torso, the
    # head) point exactly where the motion's point
    names = motion.spec.joint_names
    for child in ("head", "head_top", "right_elbow", "right_hand", "left_forearm", "left_knee", "right_ankle"):
        c = names.index(child)
        p = motion.spec.parents[c]
        a, b = back[:, c] - back[:, p], joints[:, c] - joints[:, p]
        cos = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        assert np.degrees(np.arccos(np.clip(cos, -1, 1))).max() < 0.1, child


def test_dance_saves_video_motion_and_bvh(song, tiny_checkpoint, tmp_path, capfd):
    path, _ = tiny_checkpoint
    video, motion_path, bvh = tmp_path / "d.mp4", tmp_path / "d.npz", tmp_path / "d.bvh"
    code, _, err = run_cli(
        ["dance", song, "-o", video, "--save-motion", motion_path, "--save-bvh", bvh, "--checkpoint", path,
         "--size", "64", "--quiet"],
        capfd,
    )
    assert code == 0, err
    assert video.stat().st_size > 0 and motion_path.exists()
    frames = load_motion(motion_path).num_frames
    lines = bvh.read_text().split("MOTION\n")[1].strip().splitlines()
    assert lines[0] == f"Frames: {frames}" and len(lines) == frames + 2


def test_existing_bvh_is_kept_without_force_and_replaced_with_it(song, tiny_checkpoint, tmp_path, capfd):
    path, _ = tiny_checkpoint
    out, bvh = tmp_path / "m.npz", tmp_path / "keep.bvh"
    bvh.write_text("precious")
    code, _, err = run_cli(["generate", song, "-o", out, "--save-bvh", bvh, "--checkpoint", path, "--quiet"], capfd)
    assert_clean_failure(code, err, "keep.bvh", out)
    assert "--force" in err and bvh.read_text() == "precious"
    video = tmp_path / "v.mp4"
    code, _, err = run_cli(["dance", song, "-o", video, "--save-bvh", bvh, "--checkpoint", path, "--quiet"], capfd)
    assert_clean_failure(code, err, "keep.bvh", video)
    code, _, err = run_cli(
        ["generate", song, "-o", out, "--save-bvh", bvh, "--checkpoint", path, "--quiet", "--force"], capfd
    )
    assert code == 0, err
    assert bvh.read_text().startswith("HIERARCHY\n")


@pytest.mark.parametrize("command", ["generate", "dance"])
def test_unwritable_bvh_path_fails_before_any_work(command, song, tmp_path, capfd):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    out = tmp_path / ("o.npz" if command == "generate" else "o.mp4")
    for bad in (tmp_path / "no" / "dir" / "x.bvh", blocker / "x.bvh", tmp_path):
        code, _, err = run_cli([command, song, "-o", out, "--save-bvh", bad, "--quiet"], capfd)
        assert_clean_failure(code, err, bad.name, out)


def test_help_lists_save_bvh(capsys):
    for command in ("dance", "generate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--save-bvh OUT.bvh" in capsys.readouterr().out
