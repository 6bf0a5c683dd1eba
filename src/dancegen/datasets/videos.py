"""Dance videos prepared by ``dancegen prepare-videos``: pieces of motion with the video's audio.

::

    <root>/dataset.json            index: entries, their split, pieces, audio (dancegen.videos.dataset)
    <root>/<entry>/piece_<k>.npz   motion: 30 fps, skeleton "mediapipe" (33 landmarks), metres, y-up
    <root>/<entry>/audio.wav       the video's audio (absent when the video had none)

One Sequence per piece, named ``<entry>__piece_<k>``; its motion frame 0 plays at the piece's
``start_s`` seconds into ``audio.wav``. Entries without audio give sequences with
``audio_path=None`` (training skips them and says so). Format and cleaning rules: docs/VIDEOS.md.
"""

from __future__ import annotations

from pathlib import Path

from dancegen.datasets.base import Sequence, register
from dancegen.errors import DatasetError, MotionFileError
from dancegen.motion.motion import load_motion
from dancegen.videos import skeleton as _skeleton  # noqa: F401  (registers the "mediapipe" skeleton)
from dancegen.videos.dataset import read_manifest


@register("videos")
def load_videos(root: Path, split: str = "train") -> list[Sequence]:
    """The pieces of the entries of ``split`` ("train", "test" or "all") of a prepared video dataset."""
    root = Path(root)
    manifest = read_manifest(root)
    seqs = []
    for name, entry in sorted(manifest["entries"].items()):
        try:
            entry_split = entry.get("split", "train")
            pieces = entry.get("pieces", [])
            audio = entry.get("audio")
        except AttributeError:
            raise DatasetError(f"{root / 'dataset.json'}: entry {name!r} is not an object.") from None
        if split != "all" and entry_split != split:
            continue
        audio_path = root / audio if audio else None
        if audio_path is not None and not audio_path.is_file():
            raise DatasetError(f"{audio_path}: audio file of entry {name} is missing.")
        for piece in pieces:
            try:
                file, start = str(piece["file"]), float(piece["start_s"])
            except (KeyError, TypeError, ValueError):
                raise DatasetError(f"{root / 'dataset.json'}: entry {name!r} has a malformed piece {piece!r}.") from None
            try:
                motion = load_motion(root / file)
            except MotionFileError as err:
                raise DatasetError(str(err)) from None
            seqs.append(Sequence(f"{name}__{Path(file).stem}", motion, audio_path, start, None, None))
    return seqs
