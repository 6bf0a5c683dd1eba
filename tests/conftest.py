"""Shared fixtures: the real data in ../shared/data (tests that need it skip when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinymodels import write_tiny_checkpoint

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not present at {path} (it lies beside the project root in the dev setup)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real datasets."""
    return _require(SHARED_DATA)


@pytest.fixture(scope="session")
def dwm_root() -> Path:
    """The Dance-with-Melody folder (35 sequences with music)."""
    return _require(SHARED_DATA / "dance_with_melody")


@pytest.fixture(scope="session")
def aistpp_root() -> Path:
    """The AIST++ sample in its official layout."""
    return _require(SHARED_DATA / "aistpp")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the feature cache of the test run out of the user's home."""
    import os

    os.environ.setdefault("DANCEGEN_CACHE", str(tmp_path_factory.mktemp("dancegen-cache")))


@pytest.fixture()
def tiny_checkpoint(tmp_path: Path):
    """A saved tiny random checkpoint folder (dwm23) and its Checkpoint object."""
    from dancegen.checkpoint import load_checkpoint

    path = write_tiny_checkpoint(tmp_path / "tiny", {"note": "test"})
    return path, load_checkpoint(path)
