"""The on-disk format written by ``dancegen prepare-videos`` and read by the ``videos`` dataset.

::

    DATASET_DIR/dataset.json              the index (below), rewritten after every video
    DATASET_DIR/<entry>/report.json       the per-video report (frames kept / dropped and why, pieces)
    DATASET_DIR/<entry>/poses.npz         per source frame: times (N,) s, detected (N,) int8,
                                          status (N,) int8 (clean.STATUS), image (N,33,2) and
                                          image_filled (N,33,2) normalised x right / y down,
                                          visibility (N,33), world (N,33,3) metres (MediaPipe
                                          world axes), size (2,) displayed width, height in pixels
    DATASET_DIR/<entry>/audio.wav         the video's audio track (absent without one)
    DATASET_DIR/<entry>/piece_<k>.npz     a dancegen motion (joints, fps, skeleton): 30 fps,
                                          skeleton "mediapipe", metres, y-up, floor at y = 0

``dataset.json``::

    {"format": "dancegen-videos", "version": 1, "fps": 30, "skeleton": "mediapipe",
     "entries": {"<entry>": {"split": "train" | "test", "usable": bool, "reason": str | null,
                             "audio": "<entry>/audio.wav" | null,
                             "pieces": [{"file": "<entry>/piece_000.npz", "start_s": s,
                                         "end_s": e, "duration_s": d}, ...]}},
     "rejected": {"<entry>": {"video": path, "reason": sentence}}}

Piece k's motion frame 0 plays at ``start_s`` seconds into ``audio.wav`` (time 0 = start of the
video file). An entry is "usable" for training when it has audio and at least one piece; entries
without audio are kept (their poses are valid) and the loader gives them no music, so training
skips them and says so. The split is drawn per video from a hash of the entry name
(``test_fraction``), so it does not change when videos are added.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from dancegen.errors import DatasetError
from dancegen.io import atomic_path

FORMAT = "dancegen-videos"
VERSION = 1
MANIFEST = "dataset.json"
REPORT = "report.json"
POSES = "poses.npz"
AUDIO = "audio.wav"

#: Share of videos held out as the test split (by a hash of the entry name).
TEST_FRACTION = 0.1


def entry_name(video: Path, root: Path | None = None) -> str:
    """A folder name for ``video``: its path below ``root`` (or its stem) without the suffix,
    ``/`` -> ``__``, other characters outside [A-Za-z0-9._-] -> ``_``, no leading dot."""
    rel = video.relative_to(root) if root is not None else Path(video.name)
    text = "__".join(rel.with_suffix("").parts)
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).lstrip(".")
    return text or "video"


def split_of(name: str, test_fraction: float = TEST_FRACTION) -> str:
    """"test" for a stable ``test_fraction`` share of names (SHA-1 of the name), else "train"."""
    h = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    return "test" if h < test_fraction else "train"


def fingerprint(path: Path) -> dict:
    """Identifies a source video: its size in bytes and the SHA-256 of its first MiB."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    return {"bytes": path.stat().st_size, "sha256_first_mib": hashlib.sha256(head).hexdigest()}


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")


def save_poses(path: Path, **arrays: np.ndarray) -> None:
    """Write the per-frame arrays of an entry (``poses.npz``), atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def load_poses(entry: Path) -> dict[str, np.ndarray]:
    """The arrays of ``entry/poses.npz``; DatasetError naming the file if missing or unreadable."""
    path = Path(entry) / POSES
    if not path.is_file():
        raise DatasetError(f"{entry}: not a prepared video entry ({POSES} missing).")
    try:
        with np.load(path, allow_pickle=False) as data:
            out = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as err:
        raise DatasetError(f"{path}: cannot read the poses file ({err}).") from None
    need = {"times", "status", "image", "image_filled", "visibility", "size"}
    if need - set(out):
        raise DatasetError(f"{path}: not a poses file (missing {', '.join(sorted(need - set(out)))}).")
    return out


def read_report(entry: Path) -> dict:
    """The entry's ``report.json``; DatasetError if missing or not JSON."""
    path = Path(entry) / REPORT
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{entry}: not a prepared video entry ({REPORT} missing).") from None
    except (OSError, ValueError) as err:
        raise DatasetError(f"{path}: not a valid report ({err}).") from None


def build_manifest(root: Path, rejected: dict[str, dict] | None = None) -> dict:
    """The index of every entry folder of ``root`` (folders with a report.json, not hidden)."""
    entries = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (folder / REPORT).is_file():
            continue
        rep = read_report(folder)
        entries[folder.name] = {
            "split": rep.get("split", "train"),
            "usable": bool(rep.get("usable")),
            "reason": rep.get("reason"),
            "audio": f"{folder.name}/{AUDIO}" if rep.get("audio") else None,
            "pieces": [
                {"file": f"{folder.name}/{p['file']}", "start_s": p["start_s"], "end_s": p["end_s"],
                 "duration_s": p["duration_s"]}
                for p in rep.get("pieces", [])
            ],
        }  # fmt: skip
    rejected = {k: v for k, v in (rejected or {}).items() if k not in entries}
    return {"format": FORMAT, "version": VERSION, "fps": 30, "skeleton": "mediapipe",
            "entries": entries, "rejected": rejected}  # fmt: skip


def read_manifest(root: Path) -> dict:
    """``root/dataset.json`` checked; DatasetError with one sentence if absent or malformed."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{root}: not a prepared video dataset ({MANIFEST} missing; run dancegen prepare-videos).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        if int(data.get("version", 0)) > VERSION:
            raise ValueError(f"version {data.get('version')} is newer than this dancegen reads ({VERSION})")
        if not isinstance(data.get("entries"), dict):
            raise ValueError("no 'entries' object")
    except (OSError, ValueError, TypeError, AttributeError) as err:
        raise DatasetError(f"{path}: not a valid video dataset index ({err}).") from None
    return data
