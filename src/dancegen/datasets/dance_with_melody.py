"""Dance with Melody (Tang, Jia, Mao, ACM MM 2018): 23-joint ballroom dances with their songs.

::

    <root>/DANCE_<style>_<n>/skeletons.json   (or skeletons.json.gz)  {"length": T, "center": (T,3),
                                               "skeletons": (T,23,3)}: cm, y-up, 25 fps, skeletons
                                               relative to ``center`` (the root trajectory)
    <root>/DANCE_<style>_<n>/config.json      {"start_position": s, "end_position": e} (25-fps frames)
    <root>/DANCE_<style>_<n>/audio.mp3        the whole song

Conversion: joints = (skeletons + center) / 100 metres, skeleton ``dwm23``; motion frame 0 plays at
s / 25 s of audio.mp3. The recordings' vertical position drifts (the feet rise by up to ~0.5 m over
a dance), so by default a slowly varying floor estimate is subtracted (``drifting_floor``).
Every sequence has T < e - s (by 1-56 frames); by default the motion keeps its 25 fps from s / 25
(the dataset authors' convention) and ends before e / 25. Measurements: docs/DATASETS.md.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path

import numpy as np

from dancegen.datasets.base import Sequence, drifting_floor, register
from dancegen.errors import DatasetError
from dancegen.motion.motion import Motion

#: Frame rate of the skeletons and of config.json's positions.
DWM_FPS = 25.0

#: Style letter of the folder name -> style.
STYLES: dict[str, str] = {"C": "cha-cha", "R": "rumba", "T": "tango", "W": "waltz"}

#: The project's held-out test split (6 of 35, stratified by style: 1 of 4 cha-cha, 1 of 6 rumba,
#: 4 of 24 waltz; the single tango stays in train). Drawn once with numpy default_rng(0) choice per
#: style over the sorted names, then frozen here. Every other DANCE_* folder is train.
DWM_TEST: tuple[str, ...] = (
    "DANCE_C_7",
    "DANCE_R_5",
    "DANCE_W_1",
    "DANCE_W_16",
    "DANCE_W_18",
    "DANCE_W_23",
)

_FOLDER = re.compile(r"DANCE_([A-Z])_(\d+)")

#: Timing modes: "start" = 25 fps from s / 25 (default); "stretch" = the T frames span s/25..e/25.
TIMINGS = ("start", "stretch")


def sequence_folders(root: Path) -> list[Path]:
    """The ``DANCE_<style>_<n>`` folders of ``root``, sorted by name; DatasetError if there are none."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and _FOLDER.fullmatch(p.name))
    if not folders:
        raise DatasetError(
            f"{root}: no DANCE_<style>_<n> folders inside (expected the Dance with Melody layout: "
            "DANCE_*/skeletons.json[.gz], config.json, audio.mp3)."
        )
    return folders


def read_config(folder: Path) -> tuple[int, int]:
    """(start_position, end_position) in 25-fps frames from ``folder/config.json``."""
    path = folder / "config.json"
    if not path.is_file():
        raise DatasetError(f"{folder}: config.json missing (needs start_position and end_position).")
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
        s, e = int(cfg["start_position"]), int(cfg["end_position"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{path}: not a valid config ({err}).") from None
    if s < 0 or e <= s:
        raise DatasetError(f"{path}: bad positions (start {s}, end {e}).")
    return s, e


def read_skeletons(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """(skeletons (T,23,3), center (T,3)) in cm from skeletons.json or skeletons.json.gz."""
    plain, packed = folder / "skeletons.json", folder / "skeletons.json.gz"
    path = plain if plain.is_file() else packed
    if not path.is_file():
        raise DatasetError(f"{folder}: skeletons.json (or skeletons.json.gz) missing.")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        data = json.loads(raw)
        skel = np.asarray(data["skeletons"], dtype=np.float64)
        center = np.asarray(data["center"], dtype=np.float64)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{path}: not a readable Dance with Melody skeleton file ({err}).") from None
    if skel.ndim != 3 or skel.shape[1:] != (23, 3) or center.shape != (skel.shape[0], 3) or skel.shape[0] < 2:
        raise DatasetError(
            f"{path}: expected skeletons (T,23,3) and center (T,3), got {skel.shape} and {center.shape}."
        )
    if not (np.isfinite(skel).all() and np.isfinite(center).all()):
        raise DatasetError(f"{path}: skeleton file holds non-finite values.")
    return skel, center


def split_names(names: list[str], split: str) -> list[str]:
    """The names of ``split`` ("train", "test", "all") among ``names``."""
    if split == "all":
        return list(names)
    if split == "test":
        return [n for n in names if n in DWM_TEST]
    if split == "train":
        return [n for n in names if n not in DWM_TEST]
    raise DatasetError(f"unknown split {split!r} for dance_with_melody; choose train, test or all.")


def load_sequence(folder: Path, floor: bool = True, timing: str = "start") -> Sequence:
    """One ``DANCE_<style>_<n>`` folder as a Sequence at 25 fps (or the stretched rate)."""
    if timing not in TIMINGS:
        raise DatasetError(f"unknown timing {timing!r} for dance_with_melody; choose {' or '.join(TIMINGS)}.")
    s, e = read_config(folder)
    skel, center = read_skeletons(folder)
    joints = (skel + center[:, None, :]) / 100.0
    fps = DWM_FPS if timing == "start" else DWM_FPS * joints.shape[0] / (e - s)
    if floor:
        joints[..., 1] -= drifting_floor(joints, fps)[:, None]
    audio = folder / "audio.mp3"
    letter = _FOLDER.fullmatch(folder.name).group(1)  # type: ignore[union-attr]
    return Sequence(
        name=folder.name,
        motion=Motion(joints, fps, "dwm23"),
        audio_path=audio if audio.is_file() else None,
        audio_start=s / DWM_FPS,
        tempo_hint=None,
        style=STYLES.get(letter, letter),
    )


@register("dance_with_melody")
def load_dance_with_melody(
    root: Path, split: str = "train", floor: bool = True, timing: str = "start"
) -> list[Sequence]:
    """The Dance with Melody sequences of ``split`` as dwm23 joints (metres, y-up, 25 fps).

    ``floor``: subtract the slowly drifting floor estimate so the feet touch y = 0 throughout
    (False: only the cm -> m conversion). ``timing``: "start" keeps 25 fps from audio s / 25;
    "stretch" spreads the T frames over the config's s / 25 .. e / 25 span.
    """
    root = Path(root)
    folders = {p.name: p for p in sequence_folders(root)}
    return [load_sequence(folders[n], floor=floor, timing=timing) for n in split_names(sorted(folders), split)]
