"""The Docker image's entrypoint (run directly: there is no Docker engine here) and the Dockerfile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


@pytest.fixture()
def stub(tmp_path) -> Path:
    """A stand-in for the dancegen binary that records its arguments."""
    script = tmp_path / "dancegen-stub"
    script.write_text('#!/usr/bin/env sh\nprintf "%s\\n" "$@" > "$STUB_LOG"\n')
    script.chmod(0o755)
    return script


def run(args: list[str], stub: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    log = tmp_path / "args.txt"
    env = {**os.environ, "DANCEGEN_BIN": str(stub), "STUB_LOG": str(log), "DANCEGEN_DATA": "/data"}
    proc = subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, env=env, timeout=30)
    return proc, (log.read_text().splitlines() if log.exists() else [])


def test_train_defaults_to_the_mounted_data(stub, tmp_path):
    proc, args = run(["train", "--max-steps", "5"], stub, tmp_path)
    assert proc.returncode == 0
    assert args == ["train", "--out", "/data/runs/default", "--data-root", "/data/dance_with_melody", "--max-steps", "5"]
    _, args = run(["train", "--data-root", "/data/aist", "--out", "/data/x"], stub, tmp_path)
    assert args == ["train", "--data-root", "/data/aist", "--out", "/data/x"]


@pytest.mark.parametrize("alias", ["predict", "inference"])
def test_predict_and_its_alias_dance_next_to_the_song(alias, stub, tmp_path):
    _, args = run([alias, "/data/song.mp3", "--seed", "3"], stub, tmp_path)
    assert args == ["dance", "/data/song.mp3", "-o", "/data/song.mp4", "--seed", "3"]
    _, args = run([alias, "/data/song.mp3", "-o", "/data/out/x.mp4"], stub, tmp_path)
    assert args == ["dance", "/data/song.mp3", "-o", "/data/out/x.mp4"]


@pytest.mark.parametrize("command", ["evaluate", "serve", "info"])
def test_passthrough_commands(command, stub, tmp_path):
    _, args = run([command, "--flag", "v"], stub, tmp_path)
    assert args == [command, "--flag", "v"]


def test_unknown_command_and_missing_audio_are_clear(stub, tmp_path):
    proc, args = run(["fly"], stub, tmp_path)
    assert proc.returncode == 2 and "unknown command 'fly'" in proc.stderr and not args
    proc, _ = run(["predict"], stub, tmp_path)
    assert proc.returncode == 2 and "needs an audio file" in proc.stderr
    proc, _ = run([], stub, tmp_path)
    assert proc.returncode == 0 and "predict AUDIO" in proc.stdout


def test_predict_end_to_end_with_the_real_cli(tmp_path):
    import soundfile as sf

    from dancegen.demo_song import synthesize_demo_song

    song = tmp_path / "song.wav"
    sf.write(song, synthesize_demo_song(2.0, sr=22050), 22050)
    bindir = Path(sys.executable).parent
    env = {**os.environ, "DANCEGEN_BIN": f"{sys.executable} -m dancegen", "PATH": f"{bindir}:{os.environ['PATH']}"}
    proc = subprocess.run(["sh", str(ENTRYPOINT), "predict", str(song), "--quiet", "--size", "128"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "song.mp4").stat().st_size > 1000


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_dockerfile_pins_its_base_image():
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", _dockerfile(), re.M)
    assert base, "the base image is a build argument with a default"
    image = base.group(1)
    assert ":" in image and not image.endswith(":latest")
    assert re.search(r":\d+\.\d+\.\d+", image), f"{image}: pin an exact version"
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", _dockerfile(), re.M)


def test_dockerfile_runs_as_a_non_root_user_and_carries_no_secrets():
    text = _dockerfile()
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert text.rindex("USER ") > text.rindex("RUN ")
    for line in text.splitlines():
        if line.startswith(("ENV", "ARG")) or line.startswith("    "):
            assert not re.search(r"(TOKEN|PASSWORD|SECRET|API_KEY|HF_TOKEN)\s*=", line, re.I), line


def test_image_carries_the_default_checkpoint_and_the_entrypoint():
    text = _dockerfile()
    assert "COPY src ./src" in text and "docker/entrypoint.sh" in text
    assert 'ENTRYPOINT ["dancegen-entrypoint"]' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not any(p.startswith("src") for p in ignored)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"assets/*/*"' in pyproject  # the shipped checkpoint folder is package data
    assert os.access(ENTRYPOINT, os.X_OK)
