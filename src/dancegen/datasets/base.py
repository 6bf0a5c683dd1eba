"""The Sequence type, the loader registry and helpers shared by the dataset loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import DatasetError
from dancegen.motion.motion import Motion

#: A loader: ``loader(root, split, **options) -> list[Sequence]`` (motion at the dataset's fps).
Loader = Callable[..., "list[Sequence]"]

#: Registered loaders by dataset name (filled by ``register``; the built-in modules register on
#: import of ``dancegen.datasets``).
DATASETS: dict[str, Loader] = {}

#: Splits each registered dataset accepts.
SPLITS: dict[str, tuple[str, ...]] = {}

DEFAULT_SPLITS: tuple[str, ...] = ("train", "test", "all")


@dataclass
class Sequence:
    """One dance with its music.

    ``motion`` is metres, y-up, floor at y = 0 (at the model fps once returned by
    ``load_dataset``); frame 0 of the motion plays at ``audio_start`` seconds into ``audio_path``.
    """

    name: str
    motion: Motion
    audio_path: Path | None
    audio_start: float = 0.0
    tempo_hint: float | None = None
    style: str | None = None

    @property
    def audio_end(self) -> float:
        """Seconds into ``audio_path`` where the motion ends (audio_start + motion duration)."""
        return self.audio_start + self.motion.duration


def register(name: str, splits: tuple[str, ...] = DEFAULT_SPLITS) -> Callable[[Loader], Loader]:
    """Decorator: register ``loader(root: Path, split: str, **options) -> list[Sequence]``.

    ``splits`` lists the split names the loader accepts (checked by ``load_dataset``).
    """

    def deco(fn: Loader) -> Loader:
        if name in DATASETS and DATASETS[name] is not fn:
            raise ValueError(f"dataset {name!r} is already registered")
        DATASETS[name] = fn
        SPLITS[name] = tuple(splits)
        return fn

    return deco


def require_dir(root: Path, what: str) -> Path:
    """``root`` as a Path if it is an existing folder, else DatasetError naming it and ``what``."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DatasetError(f"{root}: {what} folder does not exist.")
    if not root.is_dir():
        raise DatasetError(f"{root}: is not a folder (expected the {what} folder).")
    return root


def floor_offset(joints: np.ndarray, percentile: float = 5.0) -> float:
    """A constant floor height (metres) for joints (T, J, 3), y-up.

    The ``percentile`` of the per-frame lowest joint height: during ground contact the lowest
    joint (ankle/toe) is the floor reference; a low percentile ignores rare outliers and jumps.
    """
    lowest = joints[..., 1].min(axis=-1)
    return float(np.percentile(lowest, percentile))


def drifting_floor(
    joints: np.ndarray,
    fps: float,
    window_s: float = 4.0,
    smooth_s: float = 2.0,
    percentile: float = 10.0,
) -> np.ndarray:
    """A slowly varying floor height (T,) in metres for joints (T, J, 3), y-up.

    For capture whose vertical position drifts over time: the ``percentile`` of the per-frame
    lowest joint height in a centred window of ``window_s`` seconds, then a centred moving average
    over ``smooth_s`` seconds (so subtracting it adds no jitter). Motion on shorter time scales
    than the window (steps, rise and fall) is kept.
    """
    lowest = joints[..., 1].min(axis=-1).astype(np.float64)
    t = lowest.shape[0]
    if t == 0:
        return lowest
    half = max(1, int(round(window_s * fps / 2)))
    padded = np.pad(lowest, half, mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    floor = np.percentile(win, percentile, axis=-1)
    k = max(1, int(round(smooth_s * fps)) | 1)  # odd
    kernel = np.ones(k) / k
    floor = np.convolve(np.pad(floor, k // 2, mode="edge"), kernel, mode="valid")
    return floor[:t]
