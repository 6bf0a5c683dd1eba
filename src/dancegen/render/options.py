"""Rendering options shared by the ``dance`` and ``render`` commands, and the call they make.

The CLI stays thin: it adds these arguments to its parsers and hands the parsed namespace here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from dancegen.motion.motion import Motion


def _video_size(text: str) -> int:
    size = int(text)
    if not 64 <= size <= 4096:
        raise argparse.ArgumentTypeError(f"--size must be between 64 and 4096 pixels, got {size}")
    return size


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the video options (size, camera) to a command's parser."""
    parser.add_argument("--size", type=_video_size, default=512, help="video width and height in pixels (default 512)")
    parser.add_argument("--camera", choices=["follow", "fixed"], default="follow", help="camera mode (default follow)")


def render_to_video(
    motion: Motion,
    output: str | Path,
    args: argparse.Namespace,
    audio_path: str | Path | None = None,
    beat_times: np.ndarray | None = None,
    progress: bool = True,
) -> Path:
    """Render ``motion`` to ``output`` (MP4) with the options parsed by ``add_render_arguments``."""
    from dancegen.render.video import render_motion_video

    return render_motion_video(motion, output, audio_path=audio_path, size=args.size, camera_mode=args.camera,
                               beat_times=beat_times, progress=progress)
