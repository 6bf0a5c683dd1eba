"""The ``serve`` subcommand (registered through ``cli.PLUGIN_COMMANDS``): the web page.

Gradio is imported inside the command, so ``dancegen --help`` stays fast and works without the
``ui`` extra.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from dancegen.web.app import (
    DEFAULT_MAX_LENGTH_S,
    DEFAULT_MAX_SONG_S,
    DEFAULT_MAX_UPLOAD_MB,
    MIN_LENGTH_S,
)


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register ``dancegen serve``."""
    p = sub.add_parser(
        "serve", help="the web page: upload a song, watch it dance, download the results",
        description="Start the web page (Gradio): a person uploads or records a song (or takes the demo song), "
                    "picks the excerpt, picture style, seed, model and video size, and gets the dance video with "
                    "the music, a plot of music beats against dance beats, and MP4, motion .npz, OpenPose JSON "
                    "and BVH downloads. Needs the ui extra: pip install 'dancegen[ui]'. See docs/WEB.md.",
    )  # fmt: skip
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every network)")
    p.add_argument("--port", type=int, default=7860, metavar="N", help="port (default 7860)")
    p.add_argument("--share", choices=["off", "on"], default="off",
                   help="on: also publish a temporary public *.gradio.live link through Gradio's servers (default off)")
    p.add_argument("--max-upload-mb", type=float, default=DEFAULT_MAX_UPLOAD_MB, metavar="MB",
                   help=f"largest song file accepted, MB (default {DEFAULT_MAX_UPLOAD_MB:g})")
    p.add_argument("--max-duration", type=float, default=DEFAULT_MAX_SONG_S, metavar="S",
                   help=f"longest song accepted, seconds (default {DEFAULT_MAX_SONG_S:g})")
    p.add_argument("--max-length", type=float, default=DEFAULT_MAX_LENGTH_S, metavar="S",
                   help=f"longest excerpt one request may dance, seconds (default {DEFAULT_MAX_LENGTH_S:g})")
    p.add_argument("--concurrency", type=int, default=1, metavar="N",
                   help="requests worked on at once; the others wait in the queue (default 1)")
    p.add_argument("--queue-size", type=int, default=16, metavar="N",
                   help="requests that may wait in the queue; more are turned away (default 16)")
    p.add_argument("--model", action="append", default=[], metavar="[NAME=]DIR",
                   help="add a checkpoint folder to the model menu, as NAME or under its folder name (repeatable)")
    p.set_defaults(func=cmd_serve)


def _extra_models(specs: list[str]) -> dict[str, str]:
    from dancegen.errors import DancegenError

    out: dict[str, str] = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not sep:
            name, folder = Path(spec).expanduser().resolve().name, spec
        if not name or not folder:
            raise DancegenError(f"--model {spec}: give a checkpoint folder, or NAME=FOLDER.")
        if name in out or name in ("default", "gan"):
            raise DancegenError(f"--model {spec}: the model menu already has an entry named {name!r}.")
        out[name] = folder
    return out


def _stop_on_sigterm() -> None:
    """Let SIGTERM (a service manager's stop) end the server like Ctrl-C, so its files are removed."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, handler)


def cmd_serve(args: argparse.Namespace) -> int:
    from dancegen.errors import DancegenError

    for flag, value, low in (("--max-upload-mb", args.max_upload_mb, 0.01), ("--max-duration", args.max_duration, MIN_LENGTH_S),
                             ("--max-length", args.max_length, MIN_LENGTH_S)):  # fmt: skip
        if not (math.isfinite(value) and value >= low):
            raise DancegenError(f"{flag} must be at least {low:g}, got {value:g}.")
    if args.concurrency < 1 or args.queue_size < 1:
        raise DancegenError("--concurrency and --queue-size must be at least 1.")
    if not 0 <= args.port <= 65535:
        raise DancegenError(f"--port must be between 0 and 65535, got {args.port}.")
    extra = _extra_models(args.model)

    # Everything the server writes (uploads, Gradio's copies of results, the sessions' folders and
    # the feature cache) goes into one temporary folder, removed when the server stops.
    root = Path(tempfile.mkdtemp(prefix="dancegen-serve-"))
    saved_env = {k: os.environ.get(k) for k in ("GRADIO_TEMP_DIR", "DANCEGEN_CACHE", "GRADIO_ANALYTICS_ENABLED")}
    os.environ.setdefault("GRADIO_TEMP_DIR", str(root / "gradio"))
    os.environ["DANCEGEN_CACHE"] = str(root / "features")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        try:
            import gradio  # noqa: F401
        except ImportError:
            raise DancegenError("serve needs the ui extra: pip install 'dancegen[ui]'.") from None
        from dancegen.web.app import Limits, build_app, close_app, launch_app, warm_up

        limits = Limits(max_upload_mb=args.max_upload_mb, max_song_s=args.max_duration, max_length_s=args.max_length)
        demo = build_app(limits, extra, work_dir=root / "work", concurrency=args.concurrency, queue_size=args.queue_size)
        print(f"dancegen serve: http://{args.host}:{args.port} (Ctrl-C stops; files in {root} are removed then)",
              file=sys.stderr)  # fmt: skip
        _stop_on_sigterm()
        warm_up(demo)
        try:
            launch_app(demo, host=args.host, port=args.port, share=args.share == "on", block=True)
        except KeyboardInterrupt:
            pass  # Ctrl-C: the normal way to stop a server
        except OSError as err:
            raise DancegenError(f"cannot listen on {args.host}:{args.port} ({err}); choose another --port.") from None
        finally:
            close_app(demo)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        for key, value in saved_env.items():  # as it was (matters when called in-process)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    print("dancegen serve: stopped; its files are removed.", file=sys.stderr)
    return 0
