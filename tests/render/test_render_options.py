"""The rendering options of ``dance`` and ``render`` as a user meets them: styles, cameras, fps, OpenPose
JSON, and clean failures (exit code 2, one sentence)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from poses import dance

from dancegen.cli import build_parser, main
from dancegen.motion.motion import save_motion
from dancegen.render import probe_video
from dancegen.render.options import add_render_arguments, render_to_video


@pytest.fixture()
def motion_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.npz"
    save_motion(dance(seconds=0.5, walk=0.5), path)
    return path


def run(args: list, capfd) -> tuple[int, str]:
    code = main([str(a) for a in args])
    _, err = capfd.readouterr()
    return code, err


def test_defaults_and_option_names() -> None:
    parser = build_parser()
    d = parser.parse_args(["dance", "song.wav", "-o", "x.mp4"])
    assert (d.style, d.camera, d.size, d.renderer, d.fps) == ("art", "follow", 512, "builtin", None)
    # dance keeps --steps/--guidance/--seed for its dance model; the diffusion renderer has its own
    # steps and guidance and shares the seed.
    d = parser.parse_args(["dance", "s.wav", "-o", "x.mp4", "--steps", "7", "--diffusion-steps", "3", "--seed", "5"])
    assert (d.steps, d.diffusion_steps, d.seed) == (7, 3, 5)
    r = parser.parse_args(["render", "m.npz", "-o", "x.mp4", "--steps", "9", "--guidance", "3", "--seed", "2",
                           "--camera", "orbit", "--style", "neon"])  # fmt: skip
    assert (r.diffusion_steps, r.diffusion_guidance, r.seed, r.camera, r.style) == (9, 3.0, 2, "orbit", "neon")
    with pytest.raises(SystemExit):
        parser.parse_args(["render", "m.npz", "-o", "x.mp4", "--style", "watercolour"])


@pytest.mark.parametrize("style", ["art", "neon", "skeleton", "openpose"])
def test_every_style_renders_a_video(style: str, motion_file: Path, tmp_path: Path, capfd) -> None:
    out = tmp_path / f"{style}.mp4"
    code, err = run(["render", motion_file, "-o", out, "--style", style, "--size", "64", "--quiet"], capfd)
    assert code == 0, err
    info = probe_video(out)
    assert (info["width"], info["num_frames"]) == (64, 15)


def test_orbit_camera_fps_and_openpose_json(motion_file: Path, tmp_path: Path, capfd) -> None:
    out, poses = tmp_path / "v.mp4", tmp_path / "poses"
    args = ["render", motion_file, "-o", out, "--camera", "orbit", "--fps", "20", "--size", "64",
            "--save-openpose-json", poses, "--quiet"]  # fmt: skip
    code, err = run(args, capfd)
    assert code == 0, err
    info = probe_video(out)
    assert info["fps"] == pytest.approx(20.0) and info["num_frames"] == 10
    files = sorted(poses.iterdir())
    assert len(files) == 10 and files[0].name == "v_000000000000_keypoints.json"
    assert len(json.loads(files[3].read_text())["people"][0]["pose_keypoints_2d"]) == 54
    # The folder exists now: refused before any rendering (the video is not written), then --force.
    out2 = tmp_path / "w.mp4"
    code, err = run([*args[:3], out2, *args[4:]], capfd)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "poses" in err and "--force" in err
    assert not out2.exists()
    code, err = run([*args[:3], out2, *args[4:], "--force"], capfd)
    assert code == 0, err


def test_render_to_video_with_a_minimal_namespace(tmp_path: Path) -> None:
    """Library callers may pass a namespace with only some options; the rest take their defaults."""
    out = render_to_video(dance(seconds=0.3), tmp_path / "a.mp4", argparse.Namespace(size=64), progress=False,
                          energy=np.linspace(0, 1, 9), beat_times=np.array([0.1]))  # fmt: skip
    assert probe_video(out)["num_frames"] == 9
    parser = argparse.ArgumentParser()
    add_render_arguments(parser)
    args = parser.parse_args(["--style", "skeleton", "--size", "64"])
    assert render_to_video(dance(seconds=0.2), tmp_path / "b.mp4", args, progress=False).is_file()


def test_dance_command_uses_the_art_style_and_the_song(tmp_path: Path, capfd) -> None:
    import soundfile as sf

    from dancegen.demo_song import synthesize_demo_song

    song = tmp_path / "song.wav"
    sf.write(song, synthesize_demo_song(2.0, sr=22050), 22050)
    out = tmp_path / "d.mp4"
    code, err = run(["dance", song, "-o", out, "--size", "64", "--quiet", "--steps", "2"], capfd)
    assert code == 0, err
    info = probe_video(out)
    assert info["audio_codec"] == "aac" and info["num_frames"] == 60
