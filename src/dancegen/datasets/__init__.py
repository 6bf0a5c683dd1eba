"""Dataset loaders behind one registry: ``load_dataset(name, root, split, fps)``.

A new dataset is one module: a function ``loader(root: Path, split: str, **options) ->
list[Sequence]`` decorated with ``@register("name")`` (motion at the dataset's own fps, metres,
y-up, floor at y = 0), imported below. ``load_dataset`` checks the name, the folder and the split,
and resamples every motion to the requested fps. Layouts and conversions: docs/DATASETS.md.
"""

from __future__ import annotations

from pathlib import Path

from dancegen.datasets.base import DATASETS, SPLITS, Sequence, register, require_dir
from dancegen.errors import DatasetError

__all__ = ["DATASETS", "Sequence", "load_dataset", "register"]


def load_dataset(
    name: str, root: str | Path, split: str = "train", fps: int = 30, **options: object
) -> list[Sequence]:
    """Load the ``split`` of dataset ``name`` from folder ``root``, motions resampled to ``fps``.

    ``split`` is "train", "test" or "all" (AIST++ also "val"); ``options`` go to the loader (e.g.
    ``music_dir`` for AIST++). Returns sequences sorted by name. Raises DatasetError for an
    unknown name or split, a missing folder, a folder without the expected layout or a corrupt file.
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(DATASETS))}.")
    if split not in SPLITS[name]:
        raise DatasetError(f"unknown split {split!r} for {name}; choose one of: {', '.join(SPLITS[name])}.")
    if not fps > 0:
        raise DatasetError(f"fps must be positive, got {fps}.")
    folder = require_dir(Path(root), name)
    seqs = DATASETS[name](folder, split, **options)
    for seq in seqs:
        if abs(seq.motion.fps - fps) > 1e-9:
            seq.motion = seq.motion.resample(fps)
    return sorted(seqs, key=lambda s: s.name)


# Built-in datasets register themselves on import.
from dancegen.datasets import aistpp as _aistpp  # noqa: E402,F401
from dancegen.datasets import dance_with_melody as _dance_with_melody  # noqa: E402,F401
from dancegen.datasets import synthetic as _synthetic  # noqa: E402,F401
from dancegen.datasets import videos as _videos  # noqa: E402,F401
