"""User-facing errors: one clear sentence naming the file and the problem (CLI exit code 2)."""

from __future__ import annotations


class DancegenError(Exception):
    """An error caused by the user's input; the CLI prints ``str(err)`` and exits with code 2."""


class AudioError(DancegenError):
    """An audio file is missing, unreadable, corrupt, silent or of unusable length."""


class CheckpointError(DancegenError):
    """A checkpoint is missing, corrupt or incompatible."""


class MotionFileError(DancegenError):
    """A motion file does not follow the ``.npz`` schema (joints, fps, skeleton)."""


class OutputError(DancegenError):
    """An output path exists (without --force) or cannot be written."""


class DatasetError(DancegenError):
    """A dataset folder is missing or does not have the expected layout."""
