"""Fixtures of the web page tests: a tiny model, short songs, and one page served on 127.0.0.1.

The server (``web_server``) is started once for the session, in this process, on a free port of the
loopback address, with the tiny model selected and Gradio's files in a temporary folder; nothing
is sent anywhere else.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from tinymodels import write_tiny_checkpoint

SONG_SECONDS = 3.5


def write_tone(path: Path, seconds: float, sr: int = 22050) -> Path:
    """A WAV of clicks on a 120-BPM pulse over a soft tone (quick to make, has beats)."""
    import soundfile as sf

    t = np.arange(int(seconds * sr)) / sr
    y = 0.2 * np.sin(2 * np.pi * 220 * t)
    for b in np.arange(0, seconds, 0.5):
        i = int(b * sr)
        y[i : i + 400] += 0.7 * np.exp(-np.arange(len(y[i : i + 400])) / 80)
    sf.write(str(path), y.astype(np.float32), sr)
    return path


@pytest.fixture(scope="session")
def make_tone():
    """``make_tone(path, seconds)``: a quick WAV with beats (see ``write_tone``)."""
    return write_tone


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("web-model") / "tiny")


@pytest.fixture(scope="session")
def short_song(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo song, 3.5 s (44.1 kHz stereo WAV)."""
    from dancegen.demo_song import write_demo_song

    return write_demo_song(tmp_path_factory.mktemp("web-song") / "short song.wav", duration=SONG_SECONDS)


@pytest.fixture(scope="session")
def gradio_env(tmp_path_factory: pytest.TempPathFactory):
    """Gradio's upload/cache folder in a temporary folder, no analytics; restored afterwards."""
    saved = {k: os.environ.get(k) for k in ("GRADIO_TEMP_DIR", "GRADIO_ANALYTICS_ENABLED")}
    os.environ["GRADIO_TEMP_DIR"] = str(tmp_path_factory.mktemp("gradio-cache"))
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    yield Path(os.environ["GRADIO_TEMP_DIR"])
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture():
    """``free_port()``: a free TCP port on 127.0.0.1."""
    return free_port


@dataclass
class Server:
    url: str
    demo: object
    work: Path
    upload_dir: Path


#: The server's limits: small, so that the refusals are quick to provoke.
MAX_UPLOAD_MB = 1.0
MAX_SONG_S = 12.0
MAX_LENGTH_S = 10.0


@contextlib.contextmanager
def serve(model_dir: Path, work: Path, upload_dir: Path, concurrency: int = 2):
    pytest.importorskip("gradio")
    from dancegen.web.app import Limits, build_app, close_app, launch_app

    limits = Limits(max_upload_mb=MAX_UPLOAD_MB, max_song_s=MAX_SONG_S, max_length_s=MAX_LENGTH_S, sizes=(128, 256))
    demo = build_app(limits, {"tiny": model_dir}, work_dir=work, concurrency=concurrency, default_model="tiny")
    url = launch_app(demo, "127.0.0.1", free_port(), block=False, quiet=True)
    try:
        yield Server(url, demo, work, upload_dir)
    finally:
        close_app(demo)


@pytest.fixture(scope="session")
def web_limits() -> dict:
    """The served page's limits (``Limits`` keywords)."""
    return {"max_upload_mb": MAX_UPLOAD_MB, "max_song_s": MAX_SONG_S, "max_length_s": MAX_LENGTH_S}


@pytest.fixture(scope="session")
def web_server(tiny_model_dir: Path, gradio_env: Path, tmp_path_factory: pytest.TempPathFactory):
    """The page, served on 127.0.0.1 (tiny model selected, two requests at once)."""
    with serve(tiny_model_dir, tmp_path_factory.mktemp("web-work"), gradio_env) as server:
        yield server
