"""AIST++ in its official layout (annotations + music), loaded as SMPL-24 joints.

::

    <root>/annotations/motions/<seq>.pkl         smpl_poses (N,72), smpl_trans (N,3), smpl_scaling (1,); 60 fps
    <root>/annotations/splits/crossmodal_{train,test,val}.txt, ignore_list.txt
    <root>/music/<music>.wav  or  <root>/music_clips/<music>.wav  (or the ``music_dir`` option)

The motion pickles are the official format, so they have to be unpickled; a restricted unpickler
accepts only numpy arrays (anything else is refused). Joints come from ``smpl_joints`` (EDGE
convention) and, by default, are shifted vertically so the floor is at y = 0 (the AIST++ world
origin is below the floor; see docs/DATASETS.md).
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.datasets.base import Sequence, floor_offset, register
from dancegen.io import load_numpy_pickle
from dancegen.errors import DatasetError
from dancegen.motion.kinematics import smpl_joints
from dancegen.motion.motion import Motion

log = logging.getLogger(__name__)

#: Frame rate of the AIST++ motion annotations.
AISTPP_FPS = 60.0

#: Genre code -> style name.
GENRES: dict[str, str] = {
    "BR": "Break",
    "PO": "Pop",
    "LO": "Lock",
    "WA": "Waack",
    "MH": "Middle Hip-hop",
    "LH": "LA-style Hip-hop",
    "HO": "House",
    "KR": "Krump",
    "JS": "Street Jazz",
    "JB": "Ballet Jazz",
}

_NAME = re.compile(
    r"g(?P<genre>[A-Z]{2})_s(?P<situation>[A-Z]{2})_c(?P<camera>All|\d{2})_d(?P<dancer>\d{2})"
    r"_m(?P<mgenre>[A-Z]{2})(?P<mnum>\d)_ch(?P<choreo>\d{2})"
)


def music_tempo(music: str) -> float:
    """Tempo in BPM of an AIST music id such as ``mBR2`` (80 + 10 k; House ``mHO{k}``: 110 + 5 k)."""
    m = re.fullmatch(r"m([A-Z]{2})(\d)", music)
    if m is None or m.group(1) not in GENRES:
        raise ValueError(f"not an AIST music id: {music!r}")
    k = int(m.group(2))
    return 110.0 + 5.0 * k if m.group(1) == "HO" else 80.0 + 10.0 * k


def parse_aist_name(name: str) -> dict[str, Any]:
    """Fields of an AIST++ sequence name ``g{genre}_s{situation}_c{camera}_d{dancer}_m{music}_ch{choreo}``.

    Returns ``dict(genre, situation, camera, dancer, music, tempo, choreo)``: genre code (``"BR"``),
    situation (``"BM"`` basic / ``"FM"`` advanced), camera (``"All"`` or ``"01"``..), dancer
    (``"04"``), music id = wav stem (``"mBR2"``), tempo in BPM (float) and choreography (``"08"``).
    Raises ValueError for a name that does not follow the pattern or has an unknown genre.
    """
    m = _NAME.fullmatch(name)
    if m is None:
        raise ValueError(f"not an AIST++ sequence name: {name!r}")
    if m.group("genre") not in GENRES:
        raise ValueError(f"unknown AIST++ genre {m.group('genre')!r} in {name!r}")
    music = f"m{m.group('mgenre')}{m.group('mnum')}"
    return {
        "genre": m.group("genre"),
        "situation": m.group("situation"),
        "camera": m.group("camera"),
        "dancer": m.group("dancer"),
        "music": music,
        "tempo": music_tempo(music),
        "choreo": m.group("choreo"),
    }


def read_motion_pickle(path: Path) -> dict[str, np.ndarray]:
    """``smpl_poses`` (N,72), ``smpl_trans`` (N,3), ``smpl_scaling`` (1,) of an AIST++ motion pickle.

    Raises DatasetError naming the file if it cannot be read or lacks these arrays.
    """
    try:
        with open(path, "rb") as fh:
            data = load_numpy_pickle(fh)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise DatasetError(f"{path}: not a readable AIST++ motion file ({err}).") from None
    if not isinstance(data, dict) or not {"smpl_poses", "smpl_trans", "smpl_scaling"} <= set(data):
        raise DatasetError(f"{path}: not an AIST++ motion file (needs smpl_poses, smpl_trans, smpl_scaling).")
    poses = np.asarray(data["smpl_poses"], dtype=np.float64)
    trans = np.asarray(data["smpl_trans"], dtype=np.float64)
    scaling = np.asarray(data["smpl_scaling"], dtype=np.float64).reshape(-1)
    n = poses.shape[0] if poses.ndim == 2 else -1
    if poses.ndim != 2 or poses.shape[1] != 72 or trans.shape != (n, 3) or scaling.size != 1 or n < 2:
        raise DatasetError(
            f"{path}: AIST++ motion arrays have wrong shapes "
            f"(smpl_poses {poses.shape}, smpl_trans {trans.shape}, smpl_scaling {scaling.shape})."
        )
    if not (np.isfinite(poses).all() and np.isfinite(trans).all() and scaling[0] > 0):
        raise DatasetError(f"{path}: AIST++ motion file holds non-finite values or a bad scaling.")
    return {"smpl_poses": poses, "smpl_trans": trans, "smpl_scaling": scaling}


def read_name_list(path: Path) -> list[str]:
    """Names in a split / ignore file: one a line, surrounding whitespace stripped, blanks skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read the list file ({err}).") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def _split_file(splits_dir: Path, split: str) -> Path:
    path = splits_dir / f"crossmodal_{split}.txt"
    if split == "val" and not path.is_file():
        alt = splits_dir / "crossmodal_val.reconstructed.txt"
        if alt.is_file():
            return alt
    if not path.is_file():
        raise DatasetError(f"{path}: split file missing (the AIST++ annotations ship it in annotations/splits).")
    return path


def _music_dir(root: Path, music_dir: str | Path | None) -> Path | None:
    if music_dir is not None:
        music = Path(music_dir).expanduser()
        if not music.is_dir():
            raise DatasetError(f"{music}: music folder does not exist.")
        return music
    for cand in (root / "music", root / "music_clips"):
        if cand.is_dir():
            return cand
    return None


def split_names(root: Path, split: str) -> list[str]:
    """Names of the sequences of ``split`` ("train", "test", "val", "all") present under ``root``.

    Ignore-list entries are excluded; names listed in a split file whose motion file is absent are
    skipped (a partial download is fine).
    """
    motions_dir = root / "annotations" / "motions"
    if not motions_dir.is_dir():
        raise DatasetError(f"{root}: not an AIST++ folder (no annotations/motions inside).")
    available = {p.stem for p in motions_dir.glob("*.pkl")}
    if not available:
        raise DatasetError(f"{motions_dir}: no motion files (*.pkl) in the AIST++ motions folder.")
    splits_dir = root / "annotations" / "splits"
    ignore_file = splits_dir / "ignore_list.txt"
    ignored = set(read_name_list(ignore_file)) if ignore_file.is_file() else set()
    if not ignore_file.is_file():
        log.warning("%s missing: no AIST++ sequence is excluded", ignore_file)
    if split == "all":
        wanted = available
    else:
        wanted = set(read_name_list(_split_file(splits_dir, split)))
    return sorted((wanted & available) - ignored)


@register("aistpp", splits=("train", "test", "val", "all"))
def load_aistpp(
    root: Path, split: str = "train", music_dir: str | Path | None = None, floor: bool = True
) -> list[Sequence]:
    """AIST++ sequences of ``split`` as SMPL-24 joints at 60 fps (metres, y-up).

    ``floor``: shift each sequence vertically so the 5th percentile of its per-frame lowest joint
    height is y = 0 (False keeps the EDGE/AIST++ world heights of ``smpl_joints``). Music is paired
    by the music id (``mBR2.wav``), falling back to ``<sequence>.wav``; ``audio_path`` is None when
    absent. ``tempo_hint`` and ``style`` come from the name.
    """
    root = Path(root)
    names = split_names(root, split)
    music = _music_dir(root, music_dir)
    seqs: list[Sequence] = []
    for name in names:
        path = root / "annotations" / "motions" / f"{name}.pkl"
        data = read_motion_pickle(path)
        joints = smpl_joints(data["smpl_poses"], data["smpl_trans"], float(data["smpl_scaling"][0]))
        if floor:
            joints[..., 1] -= floor_offset(joints)
        try:
            info: dict[str, Any] | None = parse_aist_name(name)
        except ValueError:
            info = None
        audio = None
        if music is not None:
            fields = name.split("_")
            cands = ([f"{fields[4]}.wav"] if len(fields) >= 5 else []) + [f"{name}.wav"]
            audio = next((music / c for c in cands if (music / c).is_file()), None)
        seqs.append(
            Sequence(
                name=name,
                motion=Motion(joints, AISTPP_FPS, "smpl24"),
                audio_path=audio,
                audio_start=0.0,
                tempo_hint=info["tempo"] if info else None,
                style=GENRES[info["genre"]] if info else None,
            )
        )
    return seqs
