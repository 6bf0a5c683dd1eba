"""Rendering options shared by the ``dance`` and ``render`` commands, and the call they make.

The CLI stays thin: it adds these arguments to its parsers and hands the parsed namespace here.

Built-in renderer (default): ``--style art|neon|skeleton|openpose``, ``--size``, ``--camera
follow|orbit|fixed``, ``--fps``; ``--save-openpose-json DIR`` also writes the poses as OpenPose JSON.
Diffusion renderer: ``--renderer controlnet --base-model ID_OR_DIR --controlnet ID_OR_DIR
[--motion-adapter ID_OR_DIR] [--prompt ... --negative-prompt ... --steps N --guidance G
--controlnet-scale S --device D --seed N]`` (see ``dancegen.render.diffusion`` and docs/RENDERING.md).
On ``dance``, whose ``--steps``/``--guidance``/``--seed`` belong to the dance model, the diffusion
renderer's steps and guidance are ``--diffusion-steps``/``--diffusion-guidance`` (accepted on both
commands) and it uses the same ``--seed``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
from pathlib import Path

import numpy as np

from dancegen.motion.motion import Motion
from dancegen.render.camera import CAMERA_MODES
from dancegen.render.styles import DEFAULT_STYLE, STYLES

RENDERERS: tuple[str, ...] = ("builtin", "controlnet")


def _video_size(text: str) -> int:
    size = int(text)
    if not 64 <= size <= 4096:
        raise argparse.ArgumentTypeError(f"--size must be between 64 and 4096 pixels, got {size}")
    return size


def _video_fps(text: str) -> float:
    fps = float(text)
    if not 1.0 <= fps <= 120.0:
        raise argparse.ArgumentTypeError(f"--fps must be between 1 and 120 frames per second, got {text}")
    return fps


def _has(parser: argparse.ArgumentParser, option: str) -> bool:
    return option in parser._option_string_actions  # noqa: SLF001 (argparse has no public lookup)


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the video options (style, size, camera, fps, OpenPose JSON, diffusion renderer) to a parser."""
    g = parser.add_argument_group("video")
    g.add_argument("--style", choices=STYLES, default=DEFAULT_STYLE,
                   help="built-in look: art (lit 3D figure on a music-reactive stage, default), neon (glowing "
                        "tubes with motion trails), skeleton (clean stick figure), openpose (ControlNet control maps)")
    g.add_argument("--size", type=_video_size, default=512, help="video width and height in pixels (default 512)")
    g.add_argument("--camera", choices=CAMERA_MODES, default="follow",
                   help="follow (default), orbit (slowly circles the dancer) or fixed")
    g.add_argument("--fps", type=_video_fps, default=None, help="video frame rate (default: the motion's, 30)")
    g.add_argument("--save-openpose-json", default=None, metavar="DIR",
                   help="also write the poses as OpenPose JSON, one file per frame, into DIR")

    d = parser.add_argument_group("diffusion renderer (pip install 'dancegen[diffusion]'; see docs/RENDERING.md)")
    d.add_argument("--renderer", choices=RENDERERS, default="builtin",
                   help="builtin (default) or controlnet: Stable Diffusion + OpenPose ControlNet")
    d.add_argument("--base-model", default=None, metavar="ID_OR_DIR",
                   help="Stable Diffusion 1.5 folder or hub id (e.g. runwayml/stable-diffusion-v1-5)")
    d.add_argument("--controlnet", default=None, metavar="ID_OR_DIR",
                   help="OpenPose ControlNet folder or hub id (e.g. lllyasviel/sd-controlnet-openpose)")
    d.add_argument("--motion-adapter", default=None, metavar="ID_OR_DIR",
                   help="AnimateDiff motion adapter (e.g. guoyww/animatediff-motion-adapter-v1-5-2): temporally "
                        "consistent windows; without it, per-frame generation with shared noise and cross-frame attention")
    d.add_argument("--prompt", default=None, help="what the dancer and the scene look like")
    d.add_argument("--negative-prompt", default=None, help="what to avoid")
    steps_flags = ["--diffusion-steps"] + ([] if _has(parser, "--steps") else ["--steps"])
    d.add_argument(*steps_flags, dest="diffusion_steps", type=int, default=20, metavar="N",
                   help="denoising steps per frame (default 20)")
    guidance_flags = ["--diffusion-guidance"] + ([] if _has(parser, "--guidance") else ["--guidance"])
    d.add_argument(*guidance_flags, dest="diffusion_guidance", type=float, default=7.5, metavar="G",
                   help="classifier-free guidance scale (default 7.5)")
    d.add_argument("--controlnet-scale", type=float, default=1.0, help="ControlNet conditioning scale (default 1.0)")
    d.add_argument("--device", default="auto", help="auto (default: CUDA if present), cuda, cpu or mps")
    if not _has(parser, "--seed"):
        d.add_argument("--seed", type=int, default=0, help="random seed of the diffusion renderer")
    d.add_argument("--context-frames", type=int, default=16, help="AnimateDiff window length in frames (default 16)")
    d.add_argument("--context-overlap", type=int, default=4, help="frames shared by consecutive windows (default 4)")
    d.add_argument("--batch-frames", type=int, default=4, help="frames per batch of the per-frame path (default 4)")
    d.add_argument("--frames-dir", default=None, metavar="DIR",
                   help="where finished frames are saved as PNG while rendering (default: OUTPUT_frames/ beside the "
                        "video); a rerun with the same settings resumes there")
    d.add_argument("--keep-frames", action="store_true", help="keep the PNG frames after the video is written")


def diffusion_settings(args: argparse.Namespace):
    """The DiffusionSettings that ``args`` ask for."""
    from dancegen.render.diffusion import DEFAULT_NEGATIVE, DEFAULT_PROMPT, DiffusionSettings

    return DiffusionSettings(
        base_model=getattr(args, "base_model", None), controlnet=getattr(args, "controlnet", None),
        motion_adapter=getattr(args, "motion_adapter", None),
        prompt=getattr(args, "prompt", None) or DEFAULT_PROMPT,
        negative_prompt=DEFAULT_NEGATIVE if getattr(args, "negative_prompt", None) is None else args.negative_prompt,
        steps=int(getattr(args, "diffusion_steps", 20)), guidance=float(getattr(args, "diffusion_guidance", 7.5)),
        controlnet_scale=float(getattr(args, "controlnet_scale", 1.0)), device=getattr(args, "device", "auto"),
        seed=int(getattr(args, "seed", 0) or 0), context_frames=int(getattr(args, "context_frames", 16)),
        context_overlap=int(getattr(args, "context_overlap", 4)), batch_frames=int(getattr(args, "batch_frames", 4)),
    )  # fmt: skip


def render_to_video(
    motion: Motion,
    output: str | Path,
    args: argparse.Namespace,
    audio_path: str | Path | None = None,
    beat_times: np.ndarray | None = None,
    progress: bool = True,
    *,
    energy: np.ndarray | None = None,
    audio_start: float = 0.0,
) -> Path:
    """Render ``motion`` to ``output`` (MP4) with the options parsed by ``add_render_arguments``.

    ``beat_times`` (s from the motion's start) and ``energy`` (per frame in [0, 1]; default: from
    the song at ``audio_path``, else from the beats) drive the music-reactive styles. ``audio_start``
    (s) is where the song starts in the audio file. Options missing from ``args`` take their
    defaults. Every output is checked before any rendering; returns ``output``.
    """
    from dancegen.render.video import write_video

    style = getattr(args, "style", DEFAULT_STYLE)
    size = int(getattr(args, "size", 512))
    camera = getattr(args, "camera", "follow")
    force = bool(getattr(args, "force", False))
    renderer = getattr(args, "renderer", "builtin") or "builtin"
    fps = getattr(args, "fps", None)
    if fps is not None and abs(fps - motion.fps) > 1e-9:
        motion = motion.resample(fps)
    json_dir = getattr(args, "save_openpose_json", None)
    if json_dir:
        from dancegen.render.openpose import check_output_folder

        check_output_folder(json_dir, force)
    output = Path(output)

    if renderer == "controlnet":
        from dancegen.render.diffusion import check_settings

        settings = diffusion_settings(args)
        check_settings(settings, size)  # one clear sentence before any work
        result = _render_diffusion(motion, output, args, settings, size, camera, audio_path, audio_start, force,
                                   progress)  # fmt: skip
    else:
        from dancegen.render.styles import style_frames

        if energy is None and audio_path is not None and style in ("art", "neon"):
            from dancegen.render.music import audio_energy

            energy = audio_energy(audio_path, motion.num_frames, motion.fps)
        frames = style_frames(motion, style, size, camera, beat_times, energy=energy)
        result = write_video(
            frames, output, fps=motion.fps, size=size, audio_path=audio_path, audio_start=audio_start,
            duration=motion.duration, num_frames=motion.num_frames, progress=progress,
        )  # fmt: skip
    if json_dir:
        from dancegen.render.openpose import OpenPoseRenderer, write_openpose_json

        write_openpose_json(OpenPoseRenderer(motion, size, camera), json_dir, name=output.stem)
    return result


def _render_diffusion(motion, output, args, settings, size, camera, audio_path, audio_start, force, progress) -> Path:
    from dancegen.render.diffusion import render_diffusion_frames
    from dancegen.render.openpose import OpenPoseRenderer
    from dancegen.render.video import write_video

    frames_dir = getattr(args, "frames_dir", None) or output.with_name(f"{output.stem}_frames")
    controls = np.stack(list(OpenPoseRenderer(motion, size, camera).frames())) if motion.num_frames else None
    if controls is None:
        from dancegen.errors import OutputError

        raise OutputError(f"{output}: cannot write video (no frames).")
    store = render_diffusion_frames(controls, settings, frames_dir, force=force, progress=progress)
    result = write_video(
        store.frames(motion.num_frames), output, fps=motion.fps, size=size, audio_path=audio_path,
        audio_start=audio_start, duration=motion.duration, num_frames=motion.num_frames, progress=False,
    )  # fmt: skip
    if not getattr(args, "keep_frames", False):
        with contextlib.suppress(OSError):
            shutil.rmtree(store.folder)
    return result
