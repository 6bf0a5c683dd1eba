"""``dancegen overlay``: the 2-D poses of a dataset entry drawn over the original video, with its audio.

Colours tell what cleaning did with each frame: green = kept, yellow = interpolated (the drawn pose
is the interpolation), red = dropped (the raw detection, if any, is drawn; the reason is written
in the corner). Frames are decoded, drawn and encoded one at a time (bounded memory) and the MP4
is written atomically by ``dancegen.render.video.write_video``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dancegen.videos import VideoError
from dancegen.videos.clean import INTERPOLATED, KEPT, STATUS
from dancegen.videos.dataset import fingerprint, load_poses, read_report
from dancegen.videos.decode import FrameReader, VideoInfo, probe
from dancegen.videos.skeleton import DRAW_BONES

#: RGB colour per final status code.
COLOURS: dict[int, tuple[int, int, int]] = {KEPT: (40, 220, 60), INTERPOLATED: (250, 200, 0)}
DROPPED_COLOUR = (240, 50, 50)


def check_source(info: VideoInfo, report: dict, entry: Path) -> None:
    """VideoError unless ``info`` is the video the entry was prepared from (size, frame count,
    byte count and the hash of its first MiB)."""
    src = report.get("source", {})
    fp = fingerprint(info.path)
    mismatch = []
    if src.get("bytes") is not None and src.get("bytes") != fp["bytes"]:
        mismatch.append(f"{fp['bytes']} bytes instead of {src['bytes']}")
    elif src.get("sha256_first_mib") and src["sha256_first_mib"] != fp["sha256_first_mib"]:
        mismatch.append("different content")
    if src.get("frames") is not None and src["frames"] != info.num_frames:
        mismatch.append(f"{info.num_frames} frames instead of {src['frames']}")
    if (src.get("width"), src.get("height")) != (None, None) and (src["width"], src["height"]) != (info.width, info.height):
        mismatch.append(f"{info.width}x{info.height} instead of {src['width']}x{src['height']}")
    if mismatch:
        raise VideoError(f"{info.path}: is not the video {entry} was prepared from ({'; '.join(mismatch)}).")


def _font(height: int):  # noqa: ANN202
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=max(12, height // 32))
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def draw_pose(frame: np.ndarray, points: np.ndarray | None, visibility: np.ndarray | None,
              colour: tuple[int, int, int], label: str, font: object) -> np.ndarray:  # fmt: skip
    """``frame`` (H, W, 3) uint8 with the skeleton of ``points`` (33, 2) normalised coordinates
    (bones of ``DRAW_BONES``; joints with visibility >= 0.5 dotted) and ``label`` top left."""
    from PIL import Image, ImageDraw

    h, w = frame.shape[:2]
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    width = max(2, int(round(min(w, h) / 180)))
    if points is not None and np.isfinite(points).all():
        px = points * np.array([w, h])
        for a, b in DRAW_BONES:
            draw.line([tuple(px[a]), tuple(px[b])], fill=colour, width=width)
        r = width + 1
        for k in range(33):
            if visibility is None or visibility[k] >= 0.5:
                x, y = px[k]
                draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255), outline=colour)
    draw.text((8, 6), label, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    return np.asarray(img)


def overlay_frames(info: VideoInfo, poses: dict[str, np.ndarray]) -> Iterator[np.ndarray]:
    """The video's frames (full size) with the entry's poses drawn, one at a time."""
    n = int(poses["times"].shape[0])
    font = _font(info.height)
    status, image, filled, vis = poses["status"], poses["image"], poses["image_filled"], poses["visibility"]
    with FrameReader(info, max_frames=n) as reader:
        for i, frame in enumerate(reader):
            code = int(status[i])
            name = STATUS[code] if 0 <= code < len(STATUS) else str(code)
            label = f"{i}  {poses['times'][i]:.2f} s  {name}"
            if code in COLOURS:
                yield draw_pose(frame, filled[i], vis[i] if code == KEPT else None, COLOURS[code], label, font)
            else:
                pts = image[i] if np.isfinite(image[i]).all() else None
                yield draw_pose(frame, pts, vis[i], DROPPED_COLOUR, f"{label} (dropped)", font)


def overlay_video(video: str | Path, entry: str | Path, output: str | Path, progress: bool = False) -> Path:
    """Write ``output`` (H.264 MP4 at the video's size and average frame rate, with its audio):
    the frames of ``video`` that entry ``entry`` covers, with the entry's 2-D poses drawn."""
    from dancegen.render.video import write_video

    entry = Path(entry)
    report = read_report(entry)
    poses = load_poses(entry)
    info = probe(video)
    check_source(info, report, entry)
    n = int(poses["times"].shape[0])
    return write_video(
        overlay_frames(info, poses), output, fps=info.fps, size=(info.width, info.height),
        audio_path=info.path if info.has_audio else None, num_frames=n, progress=progress,
    )  # fmt: skip
