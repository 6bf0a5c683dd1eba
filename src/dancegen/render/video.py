"""H.264 video output through the ffmpeg binary shipped with imageio-ffmpeg, and a video probe.

Frames are streamed as raw RGB to ffmpeg's stdin (bounded memory for any length); the audio track is
muxed as AAC. Files are written atomically: ffmpeg writes a temporary file beside the target, which
is renamed only on success; on any failure or Ctrl-C nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dancegen.errors import OutputError
from dancegen.io import atomic_path

if TYPE_CHECKING:
    from dancegen.motion.motion import Motion


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _rate(fps: float) -> str:
    """``fps`` as an exact ffmpeg rate (e.g. ``30/1``, ``30000/1001``)."""
    frac = Fraction(float(fps)).limit_denominator(1001 * 1000)
    return f"{frac.numerator}/{frac.denominator}"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def _chmod_default(path: Path) -> None:
    """Give ``path`` the permissions of a newly created file (the temp file is private, 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~mask)


def _frames_limited(frames: Iterable[np.ndarray], limit: int | None) -> Iterator[np.ndarray]:
    """At most ``limit`` frames of ``frames``; if they run out early, repeat the last one up to ``limit``."""
    last = None
    n = 0
    if limit is not None and limit <= 0:
        return
    for frame in frames:
        yield frame
        last = frame
        n += 1
        if limit is not None and n >= limit:
            return
    if limit is not None and last is not None:
        for _ in range(limit - n):
            yield last


def write_video(
    frames: Iterable[np.ndarray],
    path: str | Path,
    fps: float,
    size: tuple[int, int] | int,
    audio_path: str | Path | None = None,
    audio_start: float = 0.0,
    duration: float | None = None,
    num_frames: int | None = None,
    progress: bool = False,
) -> Path:
    """Encode RGB frames (H, W, 3) uint8 to an H.264 MP4 at exactly ``fps`` frames/s; returns ``path``.

    ``size`` is ``(width, height)`` or one int for a square video; every frame must match it (odd
    sizes are padded by one pixel for yuv420p). Frames are consumed lazily, one at a time.
    ``num_frames``: the number of frames to write (extra frames are not consumed; if ``frames`` runs
    out early, its last frame is repeated). ``duration`` (s) cuts the output (video and audio) to that
    length; by default it is ``num_frames / fps`` when ``num_frames`` is given. ``audio_path`` is any
    file ffmpeg can read: its audio from ``audio_start`` seconds on is encoded as AAC, padded with
    silence or cut so that it ends with the video. ``progress`` shows a tqdm bar.

    Raises OutputError (naming ``path``, with ffmpeg's last message) if ffmpeg fails or there are no
    frames; the target file is then left as it was and no temporary file remains. A frame of the
    wrong shape or dtype raises ValueError, with the same clean-up.
    """
    path = Path(path)
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    width, height = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if width < 2 or height < 2:
        raise ValueError(f"video size must be at least 2x2, got {width}x{height}")
    if audio_start < 0:
        raise ValueError(f"audio_start must be >= 0 seconds, got {audio_start}")
    if num_frames is not None and num_frames < 1:
        raise OutputError(f"{path}: cannot write video (no frames).")
    if num_frames is not None and duration is None:
        duration = num_frames / fps
    if duration is not None and num_frames is None:
        num_frames = max(1, int(round(duration * fps)))

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", _rate(fps), "-i", "pipe:0"]
    if audio_path is not None:
        if audio_start > 0:
            cmd += ["-ss", f"{float(audio_start):.6f}"]
        cmd += ["-i", str(audio_path)]
    cmd += ["-map", "0:v:0"]
    if width % 2 or height % 2:
        cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-r", _rate(fps)]
    if audio_path is not None:
        cmd += ["-map", "1:a:0", "-c:a", "aac", "-b:a", "160k"]
        # Known length: pad the audio with silence and cut both streams there. Unknown: end with the
        # video (-shortest; apad would then never end).
        cmd += ["-af", "apad"] if duration is not None else ["-shortest"]
    else:
        cmd += ["-an"]
    if duration is not None:
        cmd += ["-t", f"{float(duration):.6f}"]
    cmd += ["-movflags", "+faststart"]

    bar = None
    with atomic_path(path) as tmp, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*cmd, str(tmp)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        try:
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=num_frames, unit="frame", desc=f"rendering {path.name}", leave=False)
            broken = False
            written = 0
            for frame in _frames_limited(frames, num_frames):
                arr = np.ascontiguousarray(frame)
                if arr.dtype != np.uint8 or arr.shape != (height, width, 3):
                    raise ValueError(
                        f"frames must be ({height}, {width}, 3) uint8, got {arr.shape} {arr.dtype}"
                    )
                try:
                    proc.stdin.write(memoryview(arr).cast("B"))  # type: ignore[union-attr]
                except (BrokenPipeError, OSError):
                    broken = True  # ffmpeg has stopped reading: its exit status and message tell why
                    break
                written += 1
                if bar is not None:
                    bar.update(1)
                del arr
            with contextlib.suppress(BrokenPipeError, OSError):
                proc.stdin.close()  # type: ignore[union-attr]
            rc = proc.wait()
            if written == 0 and not broken:
                raise OutputError(f"{path}: cannot write video (no frames).")
            # A closed pipe with exit status 0 means ffmpeg reached -t by itself: fine.
            if rc != 0:
                err.seek(0)
                msg = _last_line(err.read().decode("utf-8", "replace"))
                raise OutputError(f"{path}: cannot write video (ffmpeg: {msg}).")
            if tmp.stat().st_size == 0:
                raise OutputError(f"{path}: cannot write video (ffmpeg wrote nothing).")
            _chmod_default(tmp)
        except BaseException:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
            with contextlib.suppress(Exception):
                proc.stdin.close()  # type: ignore[union-attr]
            raise
        finally:
            if bar is not None:
                bar.close()
    return path


_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM_RE = re.compile(r"Stream #\d+:\d+[^:]*:\s*(Video|Audio):\s*(.*)")


def probe_video(path: str | Path, count_frames: bool = True) -> dict:
    """Describe a video file by parsing ``ffmpeg -i`` (imageio-ffmpeg has no ffprobe).

    Returns ``duration`` (s, container), ``video_codec`` (e.g. ``"h264"``), ``pix_fmt``, ``width``,
    ``height`` (px), ``fps``, ``num_frames`` (video packets counted without decoding; None
    when ``count_frames`` is false or not obtainable), ``audio_codec`` (None without audio),
    ``audio_sample_rate`` (Hz or None) and ``audio_channels``. Raises OutputError if the file cannot
    be read as a video.
    """
    path = Path(path)
    if not path.is_file():
        raise OutputError(f"{path}: no such video file.")
    res = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True, errors="replace"
    )
    text = res.stderr
    info: dict = {
        "duration": None, "video_codec": None, "pix_fmt": None, "width": None, "height": None,
        "fps": None, "num_frames": None, "audio_codec": None, "audio_sample_rate": None,
        "audio_channels": None,
    }  # fmt: skip
    m = _DURATION_RE.search(text)
    if m:
        info["duration"] = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    for kind, desc in _STREAM_RE.findall(text):
        if kind == "Video" and info["video_codec"] is None:
            info["video_codec"] = desc.split()[0].rstrip(",")
            pm = re.search(r"\b(yuv\w+|rgb\w+|bgr\w+|gray\w*|nv\d+)\b", desc)
            info["pix_fmt"] = pm.group(1) if pm else None
            sm = re.search(r"\b(\d{1,5})x(\d{1,5})\b", desc)
            if sm:
                info["width"], info["height"] = int(sm.group(1)), int(sm.group(2))
            fm = re.search(r"([\d.]+)(k?) fps", desc) or re.search(r"([\d.]+)(k?) tbr", desc)
            if fm:
                info["fps"] = float(fm.group(1)) * (1000 if fm.group(2) else 1)
        elif kind == "Audio" and info["audio_codec"] is None:
            info["audio_codec"] = desc.split()[0].rstrip(",")
            am = re.search(r"(\d+) Hz", desc)
            info["audio_sample_rate"] = int(am.group(1)) if am else None
            cm = re.search(r"Hz,\s*([^,]+)", desc)
            info["audio_channels"] = cm.group(1).strip() if cm else None
    if info["video_codec"] is None:
        raise OutputError(f"{path}: not a readable video ({_last_line(text)}).")
    if count_frames:
        # One line per video packet (= frame for H.264), without decoding.
        res = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
             "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
            capture_output=True, text=True, errors="replace",
        )  # fmt: skip
        if res.returncode == 0:
            info["num_frames"] = sum(1 for ln in res.stdout.splitlines() if ln and not ln.startswith("#"))
    return info


def render_motion_video(
    motion: Motion,
    path: str | Path,
    audio_path: str | Path | None = None,
    audio_start: float = 0.0,
    size: int = 512,
    camera_mode: str = "follow",
    beat_times: np.ndarray | None = None,
    progress: bool = False,
    *,
    fps: float | None = None,
    duration: float | None = None,
    style: str = "art",
    energy: np.ndarray | None = None,
) -> Path:
    """Render ``motion`` as a video at ``path`` (H.264 MP4, ``size`` x ``size`` px) in a built-in style.

    ``style`` is one of ``dancegen.render.styles.STYLES`` (default ``"art"``; ``"skeleton"`` is the
    stick figure). The video has one frame per motion frame at the motion's fps (or ``fps``: the
    motion is first resampled to it), so it lasts ``motion.duration`` seconds unless ``duration`` (s)
    is given. ``audio_path`` / ``audio_start`` (s): the song, muxed as AAC from that offset and cut
    to the video. ``beat_times`` (s, from the motion's start) and ``energy`` (per frame, [0, 1])
    drive the music-reactive background. Returns ``path``.
    """
    from dancegen.render.styles import style_frames

    if fps is not None and abs(fps - motion.fps) > 1e-9:
        motion = motion.resample(fps)
    frames = style_frames(motion, style, size=size, camera_mode=camera_mode, beat_times=beat_times, energy=energy)
    return write_video(
        frames, path, fps=motion.fps, size=size, audio_path=audio_path, audio_start=audio_start,
        duration=duration if duration is not None else motion.duration,
        num_frames=motion.num_frames if duration is None else None, progress=progress,
    )  # fmt: skip
