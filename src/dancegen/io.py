"""Safe file output: atomic writes (temp name + rename) and output-path checks."""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from dancegen.errors import OutputError


def check_output(path: str | Path, force: bool = False) -> Path:
    """Validate an output path before any work starts.

    Raises OutputError if the file exists and ``force`` is false, if it is a directory, or if its
    folder does not exist or is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory, not an output file.")
    if path.exists() and not force:
        raise OutputError(f"{path}: already exists (use --force to overwrite).")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: cannot write, folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write, folder {parent} is not writable.")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    On any exception (Ctrl-C included) the temporary file is removed and ``path`` is untouched.
    The temporary name keeps the suffix so tools that infer formats from it still work.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=parent)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror}).") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; outputs get normal permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, numbers, strings and numpy arrays; refuses every other global.

    Other projects' files (AIST++ motions, EDGE outputs) are pickles; this reads their data
    without letting a tampered file run code.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def load_numpy_pickle(fh: BinaryIO) -> Any:
    """Read one pickle of plain data and numpy arrays from ``fh`` (NumpyOnlyUnpickler)."""
    return NumpyOnlyUnpickler(fh).load()
