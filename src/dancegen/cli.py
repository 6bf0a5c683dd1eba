"""The ``dancegen`` command: thin wrappers that parse arguments, call the library and print.

Every user error (bad file, existing output, corrupt checkpoint) is one sentence on stderr and exit
code 2; outputs are checked before any work starts and written atomically.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from pathlib import Path

from dancegen import __version__
from dancegen.errors import DancegenError
from dancegen.render.options import add_render_arguments

#: Modules that add their own subcommand: each has ``add_command(subparsers)``, which registers a
#: parser whose ``func(args) -> int`` does the work (imports inside, so ``--help`` stays fast).
PLUGIN_COMMANDS: tuple[str, ...] = ("dancegen.evaluate", "dancegen.tune", "dancegen.videos.commands", "dancegen.web.commands")

_SAVE_BVH_HELP = "also save the motion as BVH (cm, Y up, for Blender and other tools; docs/EXPORT.md)"

#: Songs longer than this are refused unless --max-duration says otherwise (seconds).
DEFAULT_MAX_DURATION = 900.0


#: --smooth above this many seconds of sigma would blur the dance itself, not its jitter.
MAX_SMOOTH_S = 0.5


def _default_smooth() -> float:
    from dancegen.generate import GenerationSettings

    return GenerationSettings.smooth


def _add_generation_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default="default", help="'default' (shipped), a checkpoint folder or a hub id")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same dance")
    p.add_argument("--steps", type=int, default=None, help="DDIM sampling steps (default: the checkpoint's)")
    p.add_argument("--guidance", type=float, default=None, help="classifier-free guidance weight (default: the checkpoint's)")
    p.add_argument("--guidance-interval", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="apply the guidance only at noise levels LO..HI (0 = clean, 1 = pure noise), the plain "
                        "conditional prediction elsewhere (default: the checkpoint's; 0 1 = every step)")
    p.add_argument("--style-label", default=None, metavar="LABEL",
                   help="dance style of a style-conditioned model (e.g. waltz, rumba; 'any' = unconditioned; "
                        "`dancegen info` lists a model's labels)")
    p.add_argument("--style-guidance", type=float, default=2.0, metavar="S",
                   help="with --style-label: extra guidance towards the label (default 2; 0 = off; "
                        "5 pushes harder, docs/MODEL_CARD.md)")
    p.add_argument("--beat-every", default="auto", choices=["auto", "beat", "0.5", "1", "2", "3", "4"],
                   help="beat-conditioned models: accent every n-th music beat (default auto: n = 0.5, 1, 2 or 4, the "
                        "octave whose interval is closest to the movement tempo of the training dances, about one "
                        "accent per bar, so the dance follows the song's tempo; beat: the octave closest to 90 BPM, "
                        "one accent per felt beat: on the beat, less natural; 1: every tracked beat; 3: every bar "
                        "of a waltz; docs/MODEL_CARD.md)")
    p.add_argument("--beat-align", type=float, default=0.0, metavar="S",
                   help="time-warp the dance so its accents move onto the music beats, strength 0..1 (default 0: off)")
    p.add_argument("--velocity-weight", type=float, default=None, metavar="W",
                   help="decode: how much the model's own joint-velocity outputs count against its positions "
                        "(default: the checkpoint's, 1 for the default model, 0 for the GAN; 0 = positions only; "
                        "docs/MODEL_CARD.md)")
    p.add_argument("--smooth", type=float, default=None, metavar="SIGMA_S",
                   help="last step: smooth the joints in time with a Gaussian of this sigma in seconds (default "
                        f"{_default_smooth():g}; 0 = off; measured in docs/MODEL_CARD.md)")
    p.add_argument("--max-duration", type=float, default=DEFAULT_MAX_DURATION,
                   help=f"refuse songs longer than this many seconds (default {DEFAULT_MAX_DURATION:g})")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    e = p.add_argument_group("edits (inpainting; file formats in docs/EDITING.md)")
    e.add_argument("--keyframes", metavar="FILE.npz", help="poses to hit: motion .npz plus 'times' (seconds)")
    e.add_argument("--inbetween", nargs=2, metavar=("A.npz", "B.npz"), help="start with A, end with B, fill the gap")
    e.add_argument("--keep", choices=["lower", "upper"], help="keep this body part of --from, generate the rest")
    e.add_argument("--from", dest="from_motion", metavar="MOTION.npz", help="the motion --keep takes its body part from")
    e.add_argument("--continue", dest="continue_motion", metavar="MOTION.npz", help="continue this motion into the song")
    e.add_argument("--path", metavar="FILE", help="root floor path: .npy or .csv of (frames, 2) x, z metres at 30 fps")


def _constraint(args, frames: int, ckpt):
    """The Constraint the edit options ask for (None without any), for a song of ``frames`` frames."""
    from dancegen import constraints as C
    from dancegen.motion.motion import load_motion
    from dancegen.motion.skeleton import get_skeleton

    if (args.keep is None) != (args.from_motion is None):
        raise DancegenError("--keep and --from go together (e.g. --keep lower --from dance.npz).")
    spec, fps = get_skeleton(ckpt.config.skeleton), ckpt.config.fps
    parts = []
    if args.keyframes:
        poses, times = C.load_keyframes(args.keyframes)
        parts.append(C.keyframes(poses, times, frames, spec, fps, what=args.keyframes))
    if args.inbetween:
        parts.append(C.inbetween(load_motion(args.inbetween[0]), load_motion(args.inbetween[1]), frames, spec, fps))
    if args.keep:
        parts.append(C.keep_part(load_motion(args.from_motion), args.keep, frames, spec, fps))
    if args.continue_motion:
        parts.append(C.continuation(load_motion(args.continue_motion), frames, spec, fps, what=args.continue_motion))
    if args.path:
        parts.append(C.root_path(C.load_path(args.path), frames, spec, fps))
    if not parts:
        return None
    out = parts[0]
    for c in parts[1:]:
        out = out & c
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dancegen", description="Music in, 3D dance out, rendered to video.")
    parser.add_argument("--version", action="version", version=f"dancegen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("dance", help="song -> dance video (MP4 with the music)", description="Generate a dance for a song and render it to an H.264 MP4 with the song's audio.")
    p.add_argument("audio", help="song file (mp3, wav, ogg, flac)")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--save-motion", default=None, metavar="OUT.npz", help="also save the motion (.npz)")
    p.add_argument("--save-bvh", default=None, metavar="OUT.bvh", help=_SAVE_BVH_HELP)
    _add_generation_args(p)
    add_render_arguments(p)
    p.set_defaults(func=cmd_dance)

    p = sub.add_parser("generate", help="song -> motion (.npz)", description="Generate a dance for a song and save the motion only (.npz: joints, fps, skeleton).")
    p.add_argument("audio", help="song file (mp3, wav, ogg, flac)")
    p.add_argument("-o", "--output", required=True, help="output .npz")
    p.add_argument("--save-bvh", default=None, metavar="OUT.bvh", help=_SAVE_BVH_HELP)
    _add_generation_args(p)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("render", help="motion (.npz) -> video", description="Render a saved motion to an MP4, optionally with audio.")
    p.add_argument("motion", help="motion .npz (joints, fps, skeleton)")
    p.add_argument("-o", "--output", required=True, help="output .mp4")
    p.add_argument("--audio", default=None, help="song to mux into the video")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_render_arguments(p)
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("info", help="describe a checkpoint", description="Print a checkpoint's config, size and training record.")
    p.add_argument("checkpoint", nargs="?", default="default", help="'default', a folder or a hub id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train a model on a dataset", description="Train the diffusion model (Accelerate: CPU, one or many GPUs).")
    p.add_argument("--dataset", default="dance_with_melody", help="dataset name (aistpp, dance_with_melody, videos, synthetic)")
    p.add_argument("--data-root", default=None, help="dataset folder")
    p.add_argument("--prepared", default=None, help="train from a prepared .npz (see --save-prepared) instead of --data-root")
    p.add_argument("--save-prepared", default=None, metavar="PREFIX", help="write PREFIX.train.npz / PREFIX.val.npz and continue")
    p.add_argument("--out", default="runs/default", help="output folder (checkpoint/, best/, log.csv)")
    p.add_argument("--config", default=None, help="JSON config {\"model\": {...}, \"train\": {...}}")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many optimiser steps")
    p.add_argument("--batch-size", type=int, default=None, help="windows per step and process")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate")
    p.add_argument("--mixed-precision", choices=["no", "fp16", "bf16"], default=None)
    p.add_argument("--grad-accum", type=int, default=None, help="gradient accumulation steps")
    p.add_argument("--time-budget", type=float, default=None, metavar="MINUTES", help="end training within this many minutes (fewer steps)")
    p.add_argument("--no-val", action="store_true", help="skip the validation split")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint exactly")
    p.add_argument("--init-from", default=None, metavar="CHECKPOINT",
                   help="fine-tune: start from this checkpoint's weights, normaliser and model config (the "
                        "--config file's 'model' keys override it; grown inputs such as beat phase or style start at zero)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="copy a checkpoint for shipping", description="Copy a checkpoint's inference weights (EMA + normaliser + config), without training state.")
    p.add_argument("checkpoint", help="checkpoint folder (e.g. runs/x/best)")
    p.add_argument("output", help="output folder")
    p.add_argument("--fp32", action="store_true", help="keep float32 weights (default: float16, half the size)")
    p.set_defaults(func=cmd_export)

    for module_name in PLUGIN_COMMANDS:
        importlib.import_module(module_name).add_command(sub)

    p = sub.add_parser("demo-song", help="write the license-clean demo song (WAV)", description="Synthesise the demo song (drums, bass, chords at a known tempo).")
    p.add_argument("output", help="output .wav")
    p.add_argument("--bpm", type=float, default=120.0)
    p.add_argument("--duration", type=float, default=20.0, help="seconds")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_demo_song)
    return parser


def _settings(args):
    from dancegen.config import is_guidance_interval
    from dancegen.generate import GenerationSettings
    from dancegen.models.conditioning import parse_beat_every

    if not 0.0 <= args.beat_align <= 1.0:
        raise DancegenError(f"--beat-align takes a strength between 0 and 1, got {args.beat_align:g}.")
    if args.style_guidance < 0:
        raise DancegenError(f"--style-guidance must be 0 or more, got {args.style_guidance:g}.")
    smooth = _default_smooth() if args.smooth is None else args.smooth
    if not (math.isfinite(smooth) and 0 <= smooth <= MAX_SMOOTH_S):
        raise DancegenError(f"--smooth takes a sigma between 0 and {MAX_SMOOTH_S:g} seconds, got {smooth:g}.")
    weight = args.velocity_weight
    if weight is not None and not (math.isfinite(weight) and weight >= 0):
        raise DancegenError(f"--velocity-weight must be 0 or more, got {weight:g}.")
    interval = args.guidance_interval
    if interval is not None and not is_guidance_interval(interval):
        raise DancegenError(f"--guidance-interval takes LO HI with 0 <= LO <= HI <= 1, "
                            f"got {interval[0]:g} {interval[1]:g}.")
    return GenerationSettings(seed=args.seed, steps=args.steps, guidance=args.guidance, style=args.style_label,
                              guidance_interval=None if interval is None else (interval[0], interval[1]),
                              style_guidance=args.style_guidance, smooth=smooth, velocity_weight=weight,
                              beat_every=parse_beat_every(args.beat_every),
                              beat_align=args.beat_align)


def _generate(args):
    from tqdm import tqdm

    from dancegen.audio import extract_features
    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import generate_motion

    ckpt = load_checkpoint(args.checkpoint)
    feats = extract_features(args.audio, fps=ckpt.config.fps, max_duration=args.max_duration)
    bar = tqdm(total=None, desc="dance", unit="window", disable=args.quiet, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    constraint = _constraint(args, feats.num_frames, ckpt)
    t0 = time.perf_counter()
    motion = generate_motion(ckpt, feats.features, _settings(args), progress=progress, constraint=constraint)
    bar.close()
    if constraint is not None:  # measured on the motion as saved: joint positions and root path, in metres
        from dancegen.constraints import constraint_report

        report = constraint_report(motion.joints, constraint, motion.spec, motion.fps)
        print(f"edits: {len(constraint.constrained_frames)} constrained frames; {report.summary()}", file=sys.stderr)
    return motion, feats, time.perf_counter() - t0


def cmd_dance(args) -> int:
    from dancegen.io import check_output
    from dancegen.motion.bvh import write_bvh
    from dancegen.motion.motion import save_motion
    from dancegen.render.options import render_to_video

    check_output(args.output, args.force)
    for extra in (args.save_motion, args.save_bvh):
        if extra:
            check_output(extra, args.force)
    motion, feats, secs = _generate(args)
    if args.save_bvh:  # before the render: it takes a second and fails early on a motion it cannot export
        write_bvh(motion, args.save_bvh)
    render_to_video(motion, args.output, args, audio_path=args.audio, beat_times=feats.beat_times, progress=not args.quiet)
    if args.save_motion:
        save_motion(motion, args.save_motion)
    print(f"wrote {args.output} ({motion.duration:.1f} s, tempo {feats.tempo:.0f} BPM, generated in {secs:.1f} s)")
    return 0


def cmd_generate(args) -> int:
    from dancegen.io import check_output
    from dancegen.motion.bvh import write_bvh
    from dancegen.motion.motion import save_motion

    check_output(args.output, args.force)
    if args.save_bvh:
        check_output(args.save_bvh, args.force)
    motion, feats, secs = _generate(args)
    save_motion(motion, args.output)
    if args.save_bvh:
        write_bvh(motion, args.save_bvh)
    print(f"wrote {args.output} ({motion.num_frames} frames at {motion.fps:g} fps, {motion.skeleton}, {secs:.1f} s)")
    return 0


def cmd_render(args) -> int:
    from dancegen.io import check_output
    from dancegen.motion.motion import load_motion
    from dancegen.render.options import render_to_video

    check_output(args.output, args.force)
    motion = load_motion(args.motion)
    beats = None
    if args.audio:
        from dancegen.audio import extract_features

        beats = extract_features(args.audio, fps=30).beat_times
    render_to_video(motion, args.output, args, audio_path=args.audio, beat_times=beats, progress=not args.quiet)
    print(f"wrote {args.output}")
    return 0


def cmd_info(args) -> int:
    from dancegen.checkpoint import describe, load_checkpoint

    d = describe(load_checkpoint(args.checkpoint))
    if args.json:
        print(json.dumps(d, indent=1))
        return 0
    print(f"checkpoint  {d['path']}")
    print(f"parameters  {d['parameters'] / 1e6:.2f} M")
    for key, value in d["model"].items():
        print(f"model.{key:<18} {value}")
    for key, value in d["info"].items():
        print(f"info.{key:<19} {value}")
    return 0


def cmd_train(args) -> int:
    from dancegen.config import ModelConfig, TrainConfig, load_config_file
    from dancegen.train import PreparedData, prepare_data, train

    cfg, tcfg = load_config_file(args.config) if args.config else (ModelConfig(), TrainConfig())
    init = None
    if args.init_from:
        import json

        from dancegen.checkpoint import load_checkpoint
        from dancegen.config import from_dict, to_dict

        init = load_checkpoint(args.init_from)
        explicit = json.loads(Path(args.config).read_text()).get("model", {}) if args.config else {}
        cfg = from_dict(ModelConfig, {**to_dict(init.config), **explicit})
    for attr, value in (("max_steps", args.max_steps), ("batch_size", args.batch_size), ("lr", args.lr),
                        ("mixed_precision", args.mixed_precision), ("grad_accum", args.grad_accum)):
        if value is not None:
            setattr(tcfg, attr, value)
    val = None
    if args.prepared:
        data = PreparedData.load(args.prepared)
        val_path = Path(str(args.prepared).replace(".train.npz", ".val.npz"))
        if not args.no_val and val_path != Path(args.prepared) and val_path.is_file():
            val = PreparedData.load(val_path)
        source = {"dataset": args.dataset, "prepared": str(args.prepared)}
    else:
        if not args.data_root:
            raise DancegenError("train: give --data-root DIR (the dataset folder) or --prepared FILE.")
        if args.save_prepared:
            Path(args.save_prepared).parent.mkdir(parents=True, exist_ok=True)
        data = prepare_data(args.dataset, args.data_root, "train", progress=not args.quiet)
        if not args.no_val:
            try:
                val = prepare_data(args.dataset, args.data_root, "test", progress=not args.quiet)
            except DancegenError as err:
                print(f"no validation split: {err}", file=sys.stderr)
        if args.save_prepared:
            data.save(f"{args.save_prepared}.train.npz")
            if val is not None:
                val.save(f"{args.save_prepared}.val.npz")
        source = {"dataset": args.dataset, "split": "train"}
    if args.init_from:
        source["init_from"] = str(args.init_from)
    result = train(data, args.out, cfg, tcfg, val_data=val, resume=args.resume, progress=not args.quiet, info=source,
                   time_budget_s=args.time_budget * 60 if args.time_budget else None, init_from=init)
    if not result.is_main_process:
        return 0
    if result.steps == 0:
        print(f"no training step taken (--max-steps {tcfg.max_steps}); nothing written to {args.out}")
        return 0
    val_txt = f", validation loss {result.val_loss:.4f}" if result.val_loss is not None else ""
    print(f"trained to step {result.steps} in {result.seconds:.0f} s: loss {result.final_loss:.4f}{val_txt}; checkpoint in {Path(args.out) / 'checkpoint'}")
    return 0


def cmd_export(args) -> int:
    from dancegen.checkpoint import export_checkpoint

    path = export_checkpoint(args.checkpoint, args.output, half=not args.fp32)
    size = sum(f.stat().st_size for f in Path(path).iterdir()) / 1e6
    print(f"wrote {path} ({size:.1f} MB)")
    return 0


def cmd_demo_song(args) -> int:
    from dancegen.demo_song import write_demo_song

    path = write_demo_song(args.output, duration=args.duration, bpm=args.bpm, force=args.force)
    print(f"wrote {path} ({args.duration:g} s at {args.bpm:g} BPM)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DancegenError as err:
        print(f"dancegen {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dancegen {args.command}: interrupted; finished outputs were kept, partial ones removed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
