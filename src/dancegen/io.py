"""Safe file output: atomic writes (temp name + rename) and output-path checks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

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
