"""Video tests: make this folder's helper module (``video_helpers``) importable; shared fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from video_helpers import make_video  # noqa: E402


@pytest.fixture()
def video_with_audio(tmp_path: Path) -> Path:
    """7 s, 64x48, 30 fps, with a 440 Hz audio track."""
    return make_video(tmp_path / "dance.mp4", frames=210, audio=True)
