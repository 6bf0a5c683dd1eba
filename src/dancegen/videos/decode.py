"""Video input through the imageio-ffmpeg binary: probe, frame timestamps, streaming frames, audio.

- ``probe(path)`` checks a file and describes it (``VideoInfo``): displayed size (rotation metadata
  applied, so phone portrait videos come out portrait), frame timestamps in seconds (from the
  container's packet timestamps, read without decoding: variable frame rate is detected and kept),
  audio presence. Every problem is a ``VideoError`` with one sentence naming the file.
- ``FrameReader`` decodes RGB frames one at a time from an ffmpeg pipe: memory holds one frame,
  whatever the length of the video. Frames larger than ``max_side`` are scaled down by ffmpeg.
- ``extract_audio`` writes the first audio track as 16-bit PCM wav aligned with the frame
  timestamps (time 0 = the start of the file; a late or early audio start is padded / trimmed).

Stream information comes from ``dancegen.render.video.probe_video``; this module adds only what
that probe does not report (rotation, audio-only files, cover pictures, packet timestamps).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dancegen.errors import OutputError
from dancegen.io import atomic_path
from dancegen.render.video import ffmpeg_exe, probe_video
from dancegen.videos import VideoError

#: File suffixes taken as videos when a folder is given.
VIDEO_SUFFIXES: tuple[str, ...] = (
    ".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".flv", ".3gp", ".ts",
)  # fmt: skip

#: Frames whose longer side exceeds this many pixels are scaled down for pose detection.
MAX_SIDE = 1280

#: Frame intervals further than this fraction from the median interval mark a variable frame rate.
VFR_TOLERANCE = 0.25

_ROTATION_RE = re.compile(r"displaymatrix: rotation of (-?[\d.]+) degrees")
_ROTATE_TAG_RE = re.compile(r"^\s*rotate\s*:\s*(-?\d+)", re.MULTILINE)
_TB_RE = re.compile(r"^#tb 0: (\d+)/(\d+)", re.MULTILINE)


@dataclass
class VideoInfo:
    """What a video file holds.

    ``width`` x ``height`` is the displayed size in pixels (rotation applied); ``times`` (N,) are
    the presentation times of the N frames in seconds from the start of the file (sorted);
    ``fps`` is the average frame rate; ``rotation`` the display rotation in degrees (0, 90, 180,
    270); ``variable_rate`` is true when frame intervals differ by more than ``VFR_TOLERANCE``.
    """

    path: Path
    width: int
    height: int
    fps: float
    times: np.ndarray
    rotation: int
    has_audio: bool
    audio_channels: str | None
    codec: str
    variable_rate: bool

    @property
    def num_frames(self) -> int:
        return int(self.times.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the end of the last one."""
        if self.num_frames == 0:
            return 0.0
        return float(self.times[-1] - self.times[0] + 1.0 / self.fps)

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    def describe(self) -> str:
        """One line: size, frames, rate, audio."""
        rate = f"{self.fps:.3g} fps" + (" (variable)" if self.variable_rate else "")
        audio = "audio" if self.has_audio else "no audio"
        return f"{self.width}x{self.height}, {self.num_frames} frames, {rate}, {self.duration:.1f} s, {audio}"


def _ffmpeg_text(path: Path) -> str:
    """The stream description ffmpeg prints for ``path`` (``ffmpeg -i``; stderr)."""
    res = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True, text=True, errors="replace"
    )
    return res.stderr


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"


def _rotation(text: str) -> int:
    """Display rotation in degrees (0, 90, 180, 270) from ffmpeg's stream description."""
    m = _ROTATION_RE.search(text)
    if m:
        return int(round(-float(m.group(1)))) % 360
    m = _ROTATE_TAG_RE.search(text)
    return int(m.group(1)) % 360 if m else 0


def frame_times(path: str | Path, fps: float) -> np.ndarray:
    """Presentation times (N,) in seconds of every video frame, sorted, from packet timestamps.

    Reads the packets without decoding (``-c copy``). Packets without timestamps fall back to
    ``i / fps``. Times are relative to the start of the file, the origin ffmpeg also uses for the
    extracted audio.
    """
    res = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
        capture_output=True, text=True, errors="replace",
    )  # fmt: skip
    if res.returncode != 0:
        raise VideoError(f"{path}: cannot be read as a video (ffmpeg: {_last_line(res.stderr)}).")
    tb = _TB_RE.search(res.stdout)
    num, den = (int(tb.group(1)), int(tb.group(2))) if tb else (1, 1)
    pts = []
    for line in res.stdout.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3:
            pts.append(int(parts[2]))
    arr = np.asarray(pts, dtype=np.int64)
    if arr.size == 0:
        return np.zeros(0)
    if (arr < -(2**62)).any() or len(np.unique(arr)) != arr.size:  # missing or repeated timestamps
        return np.arange(arr.size) / float(fps)
    return np.sort(arr).astype(np.float64) * num / den


def is_variable_rate(times: np.ndarray, tolerance: float = VFR_TOLERANCE) -> bool:
    """True when some frame interval differs from the median interval by more than ``tolerance``."""
    if times.shape[0] < 3:
        return False
    d = np.diff(times)
    med = float(np.median(d))
    return bool(med > 0 and np.abs(d - med).max() > tolerance * med)


def probe(path: str | Path) -> VideoInfo:
    """Check ``path`` and describe it; VideoError (one sentence) for anything unusable.

    Refused: a missing file, a folder, an empty file, a file ffmpeg cannot read, a file without a
    video stream (audio only, or audio with a cover picture) and a video with fewer than 2 frames.
    """
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path}: no such video file.")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder, not a video file.")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: is an empty file (0 bytes), not a video.")
    text = _ffmpeg_text(path)
    audio_only = re.search(r"Stream #\d+:\d+[^:]*: Audio:", text) is not None and (
        re.search(r"Stream #\d+:\d+[^:]*: Video:", text) is None or "(attached pic)" in text
    )
    if audio_only:
        raise VideoError(f"{path}: has no video stream (audio only); a video of the dancer is needed.")
    try:
        info = probe_video(path, count_frames=False)
    except OutputError:
        raise VideoError(f"{path}: cannot be read as a video (ffmpeg: {_last_line(text)}).") from None
    if not info["width"] or not info["height"]:
        raise VideoError(f"{path}: cannot be read as a video (no frame size in the stream).")
    fps = float(info["fps"] or 0.0)
    times = frame_times(path, fps if fps > 0 else 30.0)
    if times.shape[0] == 0:
        raise VideoError(f"{path}: cannot be read as a video (no frame in its video stream: truncated or corrupt?).")
    if times.shape[0] == 1:
        raise VideoError(f"{path}: has only 1 video frame (a still image?); a video is needed.")
    if not fps > 0 or fps > 1000:
        fps = (times.shape[0] - 1) / max(float(times[-1] - times[0]), 1e-6)
    avg = (times.shape[0] - 1) / float(times[-1] - times[0]) if times[-1] > times[0] else fps
    rotation = _rotation(text)
    w, h = int(info["width"]), int(info["height"])
    if rotation in (90, 270):
        w, h = h, w
    return VideoInfo(
        path=path, width=w, height=h, fps=float(avg), times=times, rotation=rotation,
        has_audio=info["audio_codec"] is not None, audio_channels=info["audio_channels"],
        codec=str(info["video_codec"]), variable_rate=is_variable_rate(times),
    )  # fmt: skip


def analysis_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(width, height) scaled so that the longer side is at most ``max_side`` (even numbers)."""
    scale = min(1.0, max_side / max(width, height))
    if scale >= 1.0:
        return width, height
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


class FrameReader:
    """Decoded RGB frames (H, W, 3) uint8 of a video, one at a time, over an ffmpeg pipe.

    ``size`` = (width, height) of the frames produced (the displayed size, or smaller: ffmpeg
    scales). Every decoded frame is produced once (``-fps_mode passthrough``), in presentation
    order. Use as a context manager (or call ``close``) so ffmpeg is stopped when reading ends
    early. ``returncode`` and ``error`` (ffmpeg's last message) are set once the stream ends.
    """

    def __init__(self, info: VideoInfo, size: tuple[int, int] | None = None, max_frames: int | None = None):
        self.info = info
        self.size = size or (info.width, info.height)
        self.max_frames = max_frames
        self.frames_read = 0
        self.returncode: int | None = None
        self.error = ""
        w, h = self.size
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(info.path),
               "-map", "0:v:0", "-an", "-sn", "-dn", "-fps_mode", "passthrough"]  # fmt: skip
        if (w, h) != (info.width, info.height):
            cmd += ["-vf", f"scale={w}:{h}:flags=area"]
        if max_frames is not None:
            cmd += ["-frames:v", str(int(max_frames))]
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        self._err = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err,
                                      bufsize=w * h * 3)  # fmt: skip

    def __iter__(self) -> Iterator[np.ndarray]:
        w, h = self.size
        nbytes = w * h * 3
        stdout = self._proc.stdout
        assert stdout is not None
        while self.max_frames is None or self.frames_read < self.max_frames:
            buf = bytearray(nbytes)
            view = memoryview(buf)
            got = 0
            while got < nbytes:
                n = stdout.readinto(view[got:])
                if not n:
                    break
                got += n
            if got < nbytes:
                break
            self.frames_read += 1
            yield np.frombuffer(buf, dtype=np.uint8).reshape(h, w, 3)
        self._finish()

    def _finish(self) -> None:
        if self.returncode is not None:
            return
        killed = False
        if self._proc.poll() is None and self.max_frames is not None and self.frames_read >= self.max_frames:
            self._proc.kill()  # all frames wanted were read: ffmpeg's exit status is not of interest
            killed = True
        with contextlib.suppress(Exception):
            self._proc.stdout.close()  # type: ignore[union-attr]
        rc = self._proc.wait()
        self.returncode = 0 if killed else rc
        self._err.seek(0)
        self.error = _last_line(self._err.read().decode("utf-8", "replace")) if self.returncode else ""
        self._err.close()

    def close(self) -> None:
        """Stop ffmpeg (if still running) and release the pipe."""
        if self.returncode is None:
            killed = self._proc.poll() is None
            if killed:
                self._proc.kill()
            self._finish()
            if killed:
                self.returncode, self.error = 0, ""

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def extract_audio(info: VideoInfo, out_wav: str | Path) -> Path:
    """Write the first audio track of ``info.path`` to ``out_wav`` (16-bit PCM wav), atomically.

    Time 0 of the wav is the start of the file, the origin of ``info.times``: an audio track that
    starts late is padded with silence, one that starts early is trimmed. The sample rate is kept;
    more than two channels are mixed down to stereo. VideoError if ffmpeg fails.
    """
    out_wav = Path(out_wav)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(info.path),
           "-map", "0:a:0", "-vn", "-sn", "-dn", "-af", "aresample=async=1:first_pts=0"]  # fmt: skip
    channels = (info.audio_channels or "").lower()
    if channels and "mono" not in channels and "stereo" not in channels:
        cmd += ["-ac", "2"]
    cmd += ["-c:a", "pcm_s16le", "-f", "wav"]
    with atomic_path(out_wav) as tmp:
        res = subprocess.run([*cmd, str(tmp)], capture_output=True, text=True, errors="replace")
        if res.returncode != 0 or tmp.stat().st_size <= 44:
            raise VideoError(f"{info.path}: cannot extract the audio track (ffmpeg: {_last_line(res.stderr)}).")
    return out_wav
