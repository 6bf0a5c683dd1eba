"""``dancegen serve``: its options, and the server it runs, started and stopped as a command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dancegen.cli import build_parser, main


def test_serve_is_a_command_with_its_options() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.share, args.max_upload_mb, args.max_duration, args.max_length) == (
        "127.0.0.1", 7860, "off", 10.0, 300.0, 60.0)  # fmt: skip
    assert (args.concurrency, args.queue_size, args.model) == (1, 16, [])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--share", "yes"])


@pytest.mark.parametrize(
    "argv, message",
    [(["--max-length", "1"], "--max-length must be at least 2"), (["--max-upload-mb", "0"], "--max-upload-mb must be"),
     (["--concurrency", "0"], "--concurrency and --queue-size must be at least 1"),
     (["--port", "70000"], "--port must be between 0 and 65535"),
     (["--model", "gan=/somewhere"], "already has an entry named 'gan'")],
)  # fmt: skip
def test_bad_options_are_one_sentence(argv: list[str], message: str, capsys) -> None:
    assert main(["serve", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_model_folder_stops_it_before_it_listens(tmp_path: Path, capsys) -> None:
    pytest.importorskip("gradio")
    (tmp_path / "nothing").mkdir()
    assert main(["serve", "--port", "0", "--model", str(tmp_path / "nothing")]) == 2
    assert "config.json" in capsys.readouterr().err


def test_serve_runs_the_page_and_cleans_up_when_stopped(tmp_path: Path, tiny_model_dir: Path, free_port) -> None:
    pytest.importorskip("gradio")
    import httpx

    port = free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("GRADIO_TEMP_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dancegen", "serve", "--port", str(port), "--model", f"mine={tiny_model_dir}",
         "--max-length", "20"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        config = None
        deadline = time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).json()
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert config is not None, f"the server did not start: {proc.poll()}"
        props = [c.get("props", {}) for c in config["components"]]
        menu = next(p for p in props if p.get("elem_id") == "model")
        assert [c[1] for c in menu["choices"]] == ["default", "gan", "mine"]
        length = next(p for p in props if p.get("elem_id") == "length")
        assert length["maximum"] == 20
        roots = list(tmp_path.glob("dancegen-serve-*"))
        assert len(roots) == 1 and (roots[0] / "gradio").is_dir()  # Gradio's files live in the server's folder
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "stopped; its files are removed" in out
    assert not list(tmp_path.glob("dancegen-serve-*"))
