"""The ``prepare-videos`` and ``overlay`` subcommands (registered through ``cli.PLUGIN_COMMANDS``).

Heavy imports (mediapipe, scipy) happen inside the command functions, so ``dancegen --help`` stays
fast and works without the ``video`` extra.
"""

from __future__ import annotations

import argparse
import sys

from dancegen.videos.clean import CleanSettings

_DEFAULTS = CleanSettings()


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register ``dancegen prepare-videos`` and ``dancegen overlay``."""
    p = sub.add_parser(
        "prepare-videos", help="dance videos -> training dataset (poses, audio, report)",
        description="Detect and follow one dancer in each video (MediaPipe Pose), clean the poses and write a "
                    "dataset that `dancegen train --dataset videos --data-root DIR` reads. Needs the video extra: "
                    "pip install 'dancegen[video]'.",
    )  # fmt: skip
    p.add_argument("input", help="a video file or a folder of videos (searched recursively)")
    p.add_argument("--out", required=True, help="dataset folder (created if needed)")
    p.add_argument("--force", action="store_true", help="redo videos already prepared in --out")
    p.add_argument("--min-seconds", type=float, default=_DEFAULTS.min_piece_s,
                   help=f"discard clean stretches shorter than this (default {_DEFAULTS.min_piece_s:g} s: one training window)")
    p.add_argument("--max-gap", type=float, default=_DEFAULTS.max_gap_s,
                   help=f"interpolate gaps up to this many seconds, cut at longer ones (default {_DEFAULTS.max_gap_s:g})")
    p.add_argument("--min-visibility", type=float, default=_DEFAULTS.min_visibility,
                   help=f"drop frames whose 12 main joints' mean visibility is below this (default {_DEFAULTS.min_visibility:g})")
    p.add_argument("--fov", type=float, default=_DEFAULTS.fov_deg,
                   help=f"assumed camera field of view over the longer side, degrees (default {_DEFAULTS.fov_deg:g})")
    p.add_argument("--test-fraction", type=float, default=0.1, help="share of videos held out as the test split (default 0.1)")
    p.add_argument("--max-frames", type=int, default=None, help="process only the first N frames of each video")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prepare_videos)

    p = sub.add_parser(
        "overlay", help="draw a dataset entry's 2-D poses over its video",
        description="Draw the detected 2-D poses of a prepared entry over the original video (with its audio) to "
                    "check the extraction: green kept, yellow interpolated, red dropped.",
    )  # fmt: skip
    p.add_argument("video", help="the original video")
    p.add_argument("entry", help="the entry folder (DATASET_DIR/<name>)")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_overlay)


def _check_range(name: str, value: float, lo: float, hi: float | None = None) -> None:
    from dancegen.errors import DancegenError

    if not (value >= lo and (hi is None or value <= hi)):
        bound = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
        raise DancegenError(f"{name} must be {bound}, got {value:g}.")


def cmd_prepare_videos(args: argparse.Namespace) -> int:
    from dancegen.videos.pose import load_mediapipe
    from dancegen.videos.prepare import prepare_videos

    load_mediapipe()  # says how to install the extra when it is missing
    _check_range("--min-seconds", args.min_seconds, 0.0)
    _check_range("--max-gap", args.max_gap, 0.0)
    _check_range("--min-visibility", args.min_visibility, 0.0, 1.0)
    _check_range("--fov", args.fov, 10.0, 170.0)
    _check_range("--test-fraction", args.test_fraction, 0.0, 1.0)
    if args.max_frames is not None:
        _check_range("--max-frames", args.max_frames, 2)
    settings = CleanSettings(min_piece_s=args.min_seconds, max_gap_s=args.max_gap,
                             min_visibility=args.min_visibility, fov_deg=args.fov)  # fmt: skip
    res = prepare_videos(
        args.input, args.out, settings, force=args.force, test_fraction=args.test_fraction,
        max_frames=args.max_frames, progress=not args.quiet,
        warn=lambda msg: print(f"dancegen prepare-videos: {msg}", file=sys.stderr),
    )  # fmt: skip
    total = len(res.written) + len(res.skipped) + len(res.rejected)
    print(f"{args.out}: {len(res.written)} written, {len(res.skipped)} already there, "
          f"{len(res.rejected)} rejected of {total} video(s)")  # fmt: skip
    if res.rejected:
        from dancegen.videos import VideoError

        raise VideoError(f"{len(res.rejected)} of {total} videos were rejected (reasons above); the others are in {args.out}.")
    return 0


def cmd_overlay(args: argparse.Namespace) -> int:
    from dancegen.io import check_output
    from dancegen.videos.overlay import overlay_video

    check_output(args.output, args.force)
    path = overlay_video(args.video, args.entry, args.output, progress=not args.quiet)
    print(f"wrote {path}")
    return 0
