"""Reading any system's motion files as evaluation clips.

=========================  ===========================================================================
``*.npz``                  dancegen schema: ``joints`` (T, J, 3) metres y-up, ``fps``, ``skeleton``
                           (smpl24, dwm23, coco17 or mediapipe)
``*.pkl`` with full_pose   EDGE output: ``full_pose`` (T, 24, 3) SMPL-24 joints, z-up, 30 fps
``*.pkl`` with smpl_poses  AIST++ annotation: SMPL parameters -> FK joints (EDGE convention), 60 fps
``*.json``                 Bailando output: ``pred_position`` (or ``dance_array`` / ``result``), or a
                           bare list: (T, 72) SMPL-24 joint positions, y-up, 60 fps
``*.npy``                  Bailando output: an array (T, 72) / (T, 24, 3), or a saved dict holding
                           ``pred_position``; 60 fps
=========================  ===========================================================================

Pickles (and object ``.npy`` files, which are pickles inside) are read with a restricted
unpickler that accepts only numpy arrays and plain values, so a tampered file cannot run code.
Every problem raises :class:`EvaluationError` with one sentence naming the file.
"""

from __future__ import annotations

import io
import json
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.io import load_numpy_pickle
from dancegen.metrics import EvaluationError
from dancegen.metrics.skeletons import get_metric_skeleton

#: File suffixes read as motions.
MOTION_SUFFIXES = (".npz", ".pkl", ".json", ".npy")
#: Frame rates of the formats that do not store one.
EDGE_FPS = 30.0
BAILANDO_FPS = 60.0
AISTPP_FPS = 60.0
#: Keys a Bailando json/npy dict may hold its (T, 72) positions under, in order of preference.
BAILANDO_KEYS = ("pred_position", "dance_array", "result", "joints")
#: Audio suffixes tried when pairing a motion with its music.
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".m4a")


def _unpickle(path: Path, data: bytes) -> Any:
    try:
        return load_numpy_pickle(io.BytesIO(data))
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as err:
        raise EvaluationError(f"{path}: not a readable motion pickle ({err}).") from None


def _as_smpl24(path: Path, arr: Any, what: str) -> np.ndarray:
    try:
        a = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(f"{path}: {what} is not a numeric array.") from None
    if a.ndim == 2 and a.shape[1] == 72:
        a = a.reshape(-1, 24, 3)
    if a.ndim != 3 or a.shape[1:] != (24, 3):
        raise EvaluationError(f"{path}: {what} must be (T, 72) or (T, 24, 3) SMPL-24 positions, got {a.shape}.")
    return a


def _bailando_array(path: Path, obj: Any) -> np.ndarray:
    if isinstance(obj, np.ndarray) and obj.dtype == object and obj.shape == ():
        obj = obj.item()
    if isinstance(obj, dict):
        key = next((k for k in BAILANDO_KEYS if k in obj), None)
        if key is None:
            raise EvaluationError(
                f"{path}: no motion in it (expected one of the keys {', '.join(BAILANDO_KEYS)})."
            )
        return _as_smpl24(path, obj[key], key)
    return _as_smpl24(path, obj, "the array")


def _read_npz(path: Path) -> tuple[np.ndarray, float, str]:
    from dancegen.errors import MotionFileError
    from dancegen.motion.motion import load_motion

    try:
        motion = load_motion(path)
    except MotionFileError as err:
        raise EvaluationError(str(err)) from None
    return motion.joints.astype(np.float64), motion.fps, motion.skeleton


def _read_pkl(path: Path) -> tuple[np.ndarray, float, str]:
    obj = _unpickle(path, path.read_bytes())
    if not isinstance(obj, dict):
        raise EvaluationError(f"{path}: expected a dict with full_pose (EDGE) or smpl_poses (AIST++).")
    if "full_pose" in obj:
        from dancegen.metrics.foot_contact import z_up_to_y_up

        return z_up_to_y_up(_as_smpl24(path, obj["full_pose"], "full_pose")), EDGE_FPS, "smpl24"
    if {"smpl_poses", "smpl_trans", "smpl_scaling"} <= set(obj):
        from dancegen.motion.kinematics import smpl_joints

        try:
            joints = smpl_joints(obj["smpl_poses"], obj["smpl_trans"], obj["smpl_scaling"])
        except (ValueError, TypeError) as err:
            raise EvaluationError(f"{path}: bad AIST++ SMPL parameters ({err}).") from None
        return joints.astype(np.float64), AISTPP_FPS, "smpl24"
    raise EvaluationError(f"{path}: a pickle without full_pose (EDGE) or smpl_poses/smpl_trans/smpl_scaling (AIST++).")


def _read_json(path: Path) -> tuple[np.ndarray, float, str]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise EvaluationError(f"{path}: not a readable JSON motion file ({err}).") from None
    return _bailando_array(path, obj), BAILANDO_FPS, "smpl24"


def _read_npy(path: Path) -> tuple[np.ndarray, float, str]:
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(fh)
            if dtype.hasobject:
                obj = _unpickle(path, fh.read())
                if isinstance(obj, np.ndarray) and obj.shape != tuple(shape):
                    obj = obj.reshape(shape)
            else:
                fh.seek(0)
                obj = np.load(fh, allow_pickle=False)
    except EvaluationError:
        raise
    except (ValueError, OSError, EOFError) as err:
        raise EvaluationError(f"{path}: not a readable .npy motion file ({err}).") from None
    return _bailando_array(path, obj), BAILANDO_FPS, "smpl24"


_READERS = {".npz": _read_npz, ".pkl": _read_pkl, ".json": _read_json, ".npy": _read_npy}


def clip_name(path: Path) -> str:
    """A motion file's name without its suffixes (``x.pkl.npy`` -> ``x``)."""
    name = path.name
    for suffix in MOTION_SUFFIXES + (".pkl",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_motion_file(path: str | Path) -> tuple[np.ndarray, float, str]:
    """(joints (T, J, 3) float64 metres y-up, fps, skeleton) of one motion file of any known format."""
    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"{path}: no such motion file.")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise EvaluationError(f"{path}: unknown motion format (expected {', '.join(MOTION_SUFFIXES)}).")
    joints, fps, skeleton = reader(path)
    spec = get_metric_skeleton(skeleton)  # unknown skeleton -> EvaluationError
    if joints.ndim != 3 or joints.shape[1:] != (spec.num_joints, 3):
        raise EvaluationError(
            f"{path}: skeleton {skeleton} needs joints (T, {spec.num_joints}, 3), got {joints.shape}."
        )
    if not (np.isfinite(fps) and fps > 0):
        raise EvaluationError(f"{path}: frame rate must be positive, got {fps}.")
    if not np.isfinite(joints).all():
        raise EvaluationError(f"{path}: joints contain NaN or infinite values.")
    return joints, fps, skeleton


def motion_files(folder: str | Path, what: str) -> list[Path]:
    """The motion files of ``folder`` (sorted); EvaluationError if it is missing or has none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: {what} folder does not exist.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MOTION_SUFFIXES)
    if not files:
        raise EvaluationError(
            f"{folder}: {what} folder has no motion files ({', '.join('*' + s for s in MOTION_SUFFIXES)})."
        )
    names = [clip_name(p) for p in files]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise EvaluationError(f"{folder}: several files for the same clip name ({', '.join(dupes[:3])}).")
    return files


_AIST_MUSIC = re.compile(r"(?<![A-Za-z])(m(?:BR|PO|LO|WA|MH|LH|HO|KR|JS|JB)\d)(?![0-9])")


def aist_music_id(name: str) -> str | None:
    """The AIST music id (``mBR0``) in a clip name, if any."""
    m = _AIST_MUSIC.search(name)
    return m.group(1) if m else None


def find_music(name: str, music_dir: Path) -> Path | None:
    """The audio file for clip ``name`` in ``music_dir``: ``<name>.*``, then without a ``test_``
    prefix, then by the AIST music id in the name (``mBR0.wav``); None if there is none."""
    stems = [name]
    if name.startswith("test_"):
        stems.append(name[5:])
    mid = aist_music_id(name)
    if mid:
        stems.append(mid)
    for stem in stems:
        for suffix in AUDIO_SUFFIXES:
            cand = music_dir / f"{stem}{suffix}"
            if cand.is_file():
                return cand
    return None
