"""The command line as a user meets it: end-to-end dance, generate, render, info, and bad input.

Every bad input must give exit code 2, one sentence on stderr naming the file, no traceback, and
no output file left behind.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from clitools import assert_clean_failure, run_cli, write_demo_excerpt

from dancegen.cli import main
from dancegen.demo_song import synthesize_demo_song
from dancegen.motion import load_motion
from dancegen.render import probe_video


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    """A 3-s excerpt of the demo song (120 BPM), 22.05 kHz stereo WAV."""
    return write_demo_excerpt(tmp_path_factory.mktemp("songs") / "song.wav")


def test_dance_end_to_end_as_a_subprocess(song, tmp_path):
    out, motion = tmp_path / "dance.mp4", tmp_path / "dance.npz"
    proc = subprocess.run(
        [sys.executable, "-m", "dancegen", "dance", song, "-o", out, "--save-motion", motion, "--quiet", "--size", "256"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    info = probe_video(out)
    assert info["video_codec"] == "h264" and info["fps"] == pytest.approx(30.0)
    assert (info["width"], info["height"]) == (256, 256)
    assert info["audio_codec"] == "aac"
    assert info["duration"] == pytest.approx(3.0, abs=0.1)
    m = load_motion(motion)
    assert m.num_frames == 90 and m.fps == 30 and m.skeleton == "dwm23"
    assert np.isfinite(m.joints).all()
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)


def test_generate_is_reproducible_and_render_makes_a_video(song, tmp_path, capfd):
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    for path, seed in ((a, 1), (b, 1), (c, 2)):
        code, out, _ = run_cli(["generate", song, "-o", path, "--seed", seed, "--quiet"], capfd)
        assert code == 0 and "wrote" in out
    np.testing.assert_array_equal(load_motion(a).joints, load_motion(b).joints)
    assert not np.allclose(load_motion(a).joints, load_motion(c).joints)
    video = tmp_path / "r.mp4"
    code, _, _ = run_cli(["render", a, "-o", video, "--size", "128", "--quiet"], capfd)
    assert code == 0
    info = probe_video(video)
    assert info["audio_codec"] is None and info["duration"] == pytest.approx(3.0, abs=0.1)


def test_info_describes_the_default_checkpoint(capfd):
    code, out, _ = run_cli(["info"], capfd)
    assert code == 0
    assert "parameters" in out and "model.skeleton" in out and "dwm23" in out and "info.steps" in out


@pytest.mark.parametrize("command", ["dance", "generate", "render", "info", "train", "demo-song", "export"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: dancegen " + command in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# bad input


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture()
def outs(tmp_path) -> tuple[Path, Path]:
    return tmp_path / "out.mp4", tmp_path / "out.npz"


def _dance(audio, outs, *extra):
    video, motion = outs
    return ["dance", audio, "-o", video, "--save-motion", motion, "--quiet", *extra]


def test_missing_audio_file(tmp_path, outs, capfd):
    code, _, err = run_cli(_dance(tmp_path / "nope.mp3", outs), capfd)
    assert_clean_failure(code, err, "nope.mp3", *outs)


def test_text_file_posing_as_mp3(tmp_path, outs, capfd):
    bad = _write(tmp_path / "notes.mp3", b"these are my notes, not a song\n" * 50)
    code, _, err = run_cli(_dance(bad, outs), capfd)
    assert_clean_failure(code, err, "notes.mp3", *outs)


def test_truncated_mp3(tmp_path, outs, capfd):
    import imageio_ffmpeg

    wav = tmp_path / "full.wav"
    sf.write(wav, synthesize_demo_song(6.0, sr=22050), 22050)
    mp3 = tmp_path / "full.mp3"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", wav, mp3], check=True)
    cut = _write(tmp_path / "cut.mp3", mp3.read_bytes()[:1500])
    code, _, err = run_cli(_dance(cut, outs), capfd)
    assert_clean_failure(code, err, "cut.mp3", *outs)


def test_silence(tmp_path, outs, capfd):
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.zeros(22050 * 3, np.float32), 22050)
    code, _, err = run_cli(_dance(quiet, outs), capfd)
    assert_clean_failure(code, err, "quiet.wav", *outs)
    assert "silence" in err


def test_song_under_one_second(tmp_path, outs, capfd):
    short = tmp_path / "short.wav"
    sf.write(short, synthesize_demo_song(0.6, sr=22050), 22050)
    code, _, err = run_cli(_dance(short, outs), capfd)
    assert_clean_failure(code, err, "short.wav", *outs)


def test_hour_long_song_is_refused_before_decoding(tmp_path, outs, capfd):
    long = tmp_path / "hour.wav"
    with sf.SoundFile(long, "w", samplerate=1000, channels=1, subtype="PCM_16") as f:
        f.write(np.zeros(3600 * 1000, np.int16))
    code, _, err = run_cli(_dance(long, outs), capfd)
    assert_clean_failure(code, err, "hour.wav", *outs)
    assert "max-duration" in err


def test_unwritable_output(song, tmp_path, capfd):
    blocker = _write(tmp_path / "file.txt", b"x")
    code, _, err = run_cli(["dance", song, "-o", blocker / "out.mp4", "--quiet"], capfd)
    assert code == 2 and "out.mp4" in err and "Traceback" not in err
    code, _, err = run_cli(["generate", song, "-o", tmp_path / "no" / "dir" / "m.npz", "--quiet"], capfd)
    assert_clean_failure(code, err, "m.npz")


def test_existing_output_is_kept_without_force(song, tmp_path, capfd):
    existing = _write(tmp_path / "keep.mp4", b"precious")
    code, _, err = run_cli(["dance", song, "-o", existing, "--quiet"], capfd)
    assert code == 2 and "keep.mp4" in err and "--force" in err
    assert existing.read_bytes() == b"precious"


def test_corrupt_checkpoint(song, tiny_checkpoint, outs, capfd):
    path, _ = tiny_checkpoint
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:64])
    code, _, err = run_cli(_dance(song, outs, "--checkpoint", path), capfd)
    assert_clean_failure(code, err, "model.safetensors", *outs)


def test_bad_motion_file_for_render(tmp_path, capfd):
    bad = _write(tmp_path / "m.npz", b"not a zip")
    out = tmp_path / "r.mp4"
    code, _, err = run_cli(["render", bad, "-o", out], capfd)
    assert_clean_failure(code, err, "m.npz", out)


def test_continue_edit_from_the_command_line(song, tmp_path, capfd):
    from dancegen.motion import Motion, save_motion

    start = tmp_path / "start.npz"
    code, _, _ = run_cli(["generate", song, "-o", start, "--quiet"], capfd)
    m = load_motion(start)
    head = tmp_path / "head.npz"
    save_motion(Motion(m.joints[:30], m.fps, m.skeleton), head)
    out = tmp_path / "cont.npz"
    code, _, err = run_cli(["generate", song, "-o", out, "--continue", head, "--seed", "5", "--quiet"], capfd)
    assert code == 0, err
    assert "30 constrained frames" in err
    printed = re.search(r"pinned joints within ([0-9.]+) cm of the given poses", err)
    assert printed, err  # the error is reported in centimetres on the joints as saved
    assert float(printed.group(1)) < 0.5
    cont = load_motion(out)
    np.testing.assert_allclose(cont.joints[:30] - cont.joints[0, 0], m.joints[:30] - m.joints[0, 0], atol=5e-3)


def test_edit_files_of_the_wrong_skeleton_are_refused(song, tmp_path, capfd):
    from dancegen.motion import Motion, save_motion

    bad = tmp_path / "smpl.npz"
    save_motion(Motion(np.zeros((20, 24, 3), np.float32), 30, "smpl24"), bad)
    out = tmp_path / "x.npz"
    code, _, err = run_cli(["generate", song, "-o", out, "--continue", bad, "--quiet"], capfd)
    assert_clean_failure(code, err, "smpl24", out)
    code, _, err = run_cli(["generate", song, "-o", out, "--keep", "lower", "--quiet"], capfd)
    assert_clean_failure(code, err, "--keep and --from", out)


def test_style_label_and_beat_options(song, tmp_path, capfd):
    out = tmp_path / "s.npz"
    code, _, err = run_cli(["generate", song, "-o", out, "--style-label", "hip-hop", "--quiet"], capfd)
    assert_clean_failure(code, err, "unknown style label 'hip-hop'", out)  # the default knows the 4 ballroom styles
    assert "waltz" in err
    code, _, err = run_cli(["generate", song, "-o", out, "--beat-align", "1.5", "--quiet"], capfd)
    assert_clean_failure(code, err, "--beat-align", out)
    code, _, err = run_cli(["generate", song, "-o", out, "--style-label", "waltz", "--style-guidance", "-1", "--quiet"], capfd)
    assert_clean_failure(code, err, "--style-guidance", out)
    plain, aligned = tmp_path / "p.npz", tmp_path / "a.npz"
    assert run_cli(["generate", song, "-o", plain, "--quiet"], capfd)[0] == 0
    assert run_cli(["generate", song, "-o", aligned, "--beat-align", "1", "--quiet"], capfd)[0] == 0
    a, p = load_motion(aligned).joints, load_motion(plain).joints
    assert a.shape == p.shape and not np.array_equal(a, p)
    np.testing.assert_allclose(a[0], p[0], atol=1e-5)  # the warp keeps the first frame
    waltz, every = tmp_path / "w.npz", tmp_path / "e.npz"
    assert run_cli(["generate", song, "-o", waltz, "--style-label", "waltz", "--quiet"], capfd)[0] == 0
    unguided = tmp_path / "u.npz"
    assert run_cli(["generate", song, "-o", unguided, "--style-label", "waltz", "--style-guidance", "0", "--quiet"],
                   capfd)[0] == 0
    assert not np.array_equal(load_motion(waltz).joints, load_motion(unguided).joints)
    assert run_cli(["generate", song, "-o", every, "--beat-every", "1", "--quiet"], capfd)[0] == 0
    assert not np.array_equal(load_motion(waltz).joints, p) and not np.array_equal(load_motion(every).joints, p)
    on_beat = tmp_path / "b.npz"
    assert run_cli(["generate", song, "-o", on_beat, "--beat-every", "beat", "--quiet"], capfd)[0] == 0
    assert not np.array_equal(load_motion(on_beat).joints, p)
    with pytest.raises(SystemExit) as exit_:  # argparse refuses it before anything runs
        run_cli(["generate", song, "-o", out, "--beat-every", "fast", "--quiet"], capfd)
    assert exit_.value.code == 2 and "--beat-every" in capfd.readouterr().err and not out.exists()


def test_smooth_option(song, tmp_path, capfd):
    out = tmp_path / "s.npz"
    for bad in ("-0.1", "2", "nan"):
        code, _, err = run_cli(["generate", song, "-o", out, "--smooth", bad, "--quiet"], capfd)
        assert_clean_failure(code, err, "--smooth", out)
    plain = tmp_path / "p.npz"
    assert run_cli(["generate", song, "-o", plain, "--quiet"], capfd)[0] == 0
    assert run_cli(["generate", song, "-o", out, "--smooth", "0.04", "--quiet"], capfd)[0] == 0
    p, s = load_motion(plain).joints, load_motion(out).joints

    def accel(j: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(j, 2, axis=0), axis=-1).mean())

    assert s.shape == p.shape and accel(s) < 0.9 * accel(p)  # measured 0.82x on top of the velocity fusion


def test_guidance_interval_option(song, tmp_path, capfd):
    out = tmp_path / "g.npz"
    for bad in (["0.6", "0.2"], ["0", "1.5"], ["nan", "1"]):
        code, _, err = run_cli(["generate", song, "-o", out, "--guidance-interval", *bad, "--quiet"], capfd)
        assert_clean_failure(code, err, "--guidance-interval", out)
    every, low = tmp_path / "e.npz", tmp_path / "l.npz"
    assert run_cli(["generate", song, "-o", every, "--guidance-interval", "0", "1", "--quiet"], capfd)[0] == 0
    assert run_cli(["generate", song, "-o", low, "--guidance-interval", "0", "0.3", "--quiet"], capfd)[0] == 0
    e, lo = load_motion(every).joints, load_motion(low).joints
    assert e.shape == lo.shape and not np.allclose(e, lo)


def test_velocity_weight_option(song, tmp_path, capfd):
    out = tmp_path / "v.npz"
    for bad in ("-1", "inf"):
        code, _, err = run_cli(["generate", song, "-o", out, "--velocity-weight", bad, "--quiet"], capfd)
        assert_clean_failure(code, err, "--velocity-weight", out)
    fused, plain = tmp_path / "f.npz", tmp_path / "p.npz"
    assert run_cli(["generate", song, "-o", fused, "--quiet"], capfd)[0] == 0
    assert run_cli(["generate", song, "-o", plain, "--velocity-weight", "0", "--quiet"], capfd)[0] == 0
    f, p = load_motion(fused).joints, load_motion(plain).joints

    def accel(j: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(j, 2, axis=0), axis=-1).mean())

    assert f.shape == p.shape and accel(f) < 0.8 * accel(p)  # measured 0.66x: the token-border jumps are gone
