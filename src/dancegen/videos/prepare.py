"""``prepare_videos``: video files -> dataset entries (docs/VIDEOS.md, format in ``dataset``).

Per video: probe -> audio to wav (if any) -> poses frame by frame (one person followed) -> cleaning
-> pieces, poses, report. Each entry is built in a hidden staging folder inside the output folder
and renamed into place only when complete, so an interrupted or failed video leaves nothing
half-written; ``dataset.json`` is rewritten (atomically) after every video.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dancegen.errors import DancegenError, OutputError
from dancegen.motion.motion import save_motion
from dancegen.videos import VideoError
from dancegen.videos.clean import KEPT, CleanResult, CleanSettings, Track, clean_track
from dancegen.videos.dataset import (
    AUDIO, MANIFEST, POSES, REPORT, TEST_FRACTION, build_manifest, entry_name, fingerprint, read_manifest,
    save_poses, split_of, write_json,
)  # fmt: skip
from dancegen.videos.decode import MAX_SIDE, VIDEO_SUFFIXES, VideoInfo, extract_audio, probe


@dataclass
class PrepareResult:
    """Names of the entries written, skipped (already there) and rejected (name -> reason)."""

    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def find_videos(source: Path) -> tuple[list[tuple[Path, str]], Path | None]:
    """(video, entry name) pairs for a file or a folder (searched recursively by suffix)."""
    source = Path(source)
    if source.is_file():
        return [(source, entry_name(source))], None
    if not source.exists():
        raise VideoError(f"{source}: no such file or folder.")
    videos = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(source).parts))  # fmt: skip
    if not videos:
        raise VideoError(f"{source}: no video files inside (looked for {', '.join(VIDEO_SUFFIXES)}).")
    pairs: list[tuple[Path, str]] = []
    used: set[str] = set()
    for v in videos:
        name = entry_name(v, source)
        if name in used:
            name = f"{name}_{v.suffix.lstrip('.').lower()}"
        used.add(name)
        pairs.append((v, name))
    return pairs, source


def _usable(info: VideoInfo, result: CleanResult, settings: CleanSettings) -> tuple[bool, str | None]:
    reasons = []
    if not result.pieces:
        longest = result.report.get("longest_discarded_s")
        if longest:
            reasons.append(f"no stretch of clean motion of at least {settings.min_piece_s:g} s (longest {longest:.1f} s)")
        else:
            reasons.append("no usable frame (see the dropped counts)")
    if not info.has_audio:
        reasons.append("no audio track: poses were extracted, but there is no music to train with")
    return (not reasons), ("; ".join(reasons) or None)


def make_report(name: str, info: VideoInfo, result: CleanResult, settings: CleanSettings, test_fraction: float,
                notes: list[str]) -> dict:  # fmt: skip
    """The per-video report (JSON-ready): source, frames kept / interpolated / dropped by reason,
    cuts, pieces, final duration, usability and its reason, notes."""
    usable, reason = _usable(info, result, settings)
    notes = list(notes)
    if info.variable_rate:
        d = np.diff(info.times) * 1000
        notes.append(f"variable frame rate (frame intervals {d.min():.1f}-{d.max():.1f} ms): poses were "
                     f"placed at their timestamps before resampling to {settings.fps} fps")  # fmt: skip
    if info.portrait:
        notes.append(f"portrait video ({info.width}x{info.height}" + (f", rotated {info.rotation} deg" if info.rotation else "") + ")")
    report = {
        "name": name,
        "video": str(info.path),
        "source": {**fingerprint(info.path), "frames": info.num_frames, "width": info.width, "height": info.height,
                   "fps": round(info.fps, 4), "variable_frame_rate": info.variable_rate, "rotation": info.rotation,
                   "codec": info.codec, "duration_s": round(info.duration, 3)},  # fmt: skip
        "audio": info.has_audio,
        "split": split_of(name, test_fraction),
        "usable": usable,
        "reason": reason,
        "pieces": [
            {"file": f"piece_{k:03d}.npz", "start_s": round(p.start, 4), "end_s": round(p.end, 4),
             "duration_s": round(p.motion.duration, 4), "frames": p.motion.num_frames,
             "source_frames": [p.first_frame, p.last_frame]}
            for k, p in enumerate(result.pieces)
        ],  # fmt: skip
        **result.report,
        "notes": notes,
    }
    return report


def _write_entry(stage: Path, track: Track, detected: np.ndarray, result: CleanResult, report: dict) -> None:
    for k, piece in enumerate(result.pieces):
        save_motion(piece.motion, stage / f"piece_{k:03d}.npz")
    save_poses(
        stage / POSES, times=track.times, detected=detected, status=result.status, image=track.image,
        image_filled=result.image_filled, visibility=track.visibility, world=track.world,
        size=np.array([track.width, track.height]),
    )  # fmt: skip
    write_json(stage / REPORT, report)


def _swap_in(stage: Path, final: Path) -> None:
    """Rename the finished staging folder onto ``final`` (replacing an old entry)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(stage, 0o777 & ~mask)  # mkdtemp made it private
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    stage.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def prepare_video(
    video: Path,
    name: str,
    out: Path,
    settings: CleanSettings,
    test_fraction: float = TEST_FRACTION,
    max_frames: int | None = None,
    max_side: int = MAX_SIDE,
    progress: bool = False,
) -> dict:
    """Build the entry ``out/name`` from ``video``; returns its report. VideoError if the video is
    unusable (nothing is written then); an existing entry is replaced only on success."""
    from dancegen.videos.pose import track_video

    info = probe(video)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".part", dir=out))
    try:
        if info.has_audio:
            extract_audio(info, stage / AUDIO)
        track, notes = track_video(info, max_frames=max_frames, max_side=max_side, progress=progress)
        detected = track.status.copy()
        if not (track.status == KEPT).any():
            raise VideoError(f"{video}: no person detected in any of its {track.num_frames} frames.")
        result = clean_track(track, settings)
        report = make_report(name, info, result, settings, test_fraction, notes)
        _write_entry(stage, track, detected, result, report)
        _swap_in(stage, out / name)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return report


def summary_line(report: dict) -> str:
    """One line: pieces, seconds of motion, kept / interpolated / dropped frames, usability."""
    dropped = {k: v for k, v in report["dropped"].items() if v}
    drop_txt = ", ".join(f"{k} {v}" for k, v in dropped.items()) or "none"
    line = (f"{report['name']}: {len(report['pieces'])} piece(s), {report['final_duration_s']:.1f} s of motion "
            f"from {report['frames']} frames (kept {report['kept']}, interpolated {report['interpolated']}, "
            f"dropped: {drop_txt})")  # fmt: skip
    if not report["usable"]:
        line += f"; not usable for training: {report['reason']}"
    return line


def prepare_videos(
    source: str | Path,
    out: str | Path,
    settings: CleanSettings | None = None,
    force: bool = False,
    test_fraction: float = TEST_FRACTION,
    max_frames: int | None = None,
    max_side: int = MAX_SIDE,
    progress: bool = False,
    log: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> PrepareResult:
    """Prepare every video of ``source`` (a file or a folder) into the dataset folder ``out``.

    Existing entries are kept unless ``force``. Rejected videos are reported through ``warn``
    (one sentence each) and listed in ``dataset.json``; the others are written. A single video
    given as ``source`` that is rejected raises its VideoError.
    """
    settings = settings or CleanSettings()
    out = Path(out)
    pairs, _ = find_videos(Path(source))
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder.")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        previous = read_manifest(out).get("rejected", {}) if (out / MANIFEST).is_file() else {}
    except DancegenError:  # an unreadable old index is rebuilt from the entry folders
        previous = {}
    result = PrepareResult()
    rejected = dict(previous)
    for video, name in pairs:
        if (out / name / REPORT).is_file() and not force:
            result.skipped.append(name)
            log(f"{name}: already prepared in {out / name} (use --force to redo)")
            continue
        try:
            report = prepare_video(video, name, out, settings, test_fraction, max_frames, max_side, progress)
        except VideoError as err:
            if len(pairs) == 1:  # the caller reports it; leave no trace of a folder made for it
                if created:
                    with contextlib.suppress(OSError):
                        out.rmdir()
                raise
            result.rejected[name] = str(err)
            rejected[name] = {"video": str(video), "reason": str(err)}
            warn(str(err))
        except BaseException:
            with contextlib.suppress(OSError):
                write_json(out / MANIFEST, build_manifest(out, rejected))
            raise
        else:
            result.written.append(name)
            rejected.pop(name, None)
            log(summary_line(report))
            for note in report["notes"]:
                log(f"  note: {note}")
        write_json(out / MANIFEST, build_manifest(out, rejected))
    if result.skipped and not (out / MANIFEST).is_file():
        write_json(out / MANIFEST, build_manifest(out, rejected))
    return result
