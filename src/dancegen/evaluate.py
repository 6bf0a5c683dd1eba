"""``dancegen evaluate``: the field's dance metrics for our model or for any system's files.

Two modes, both printing a table and optionally writing ``--json OUT`` and ``--report DIR``:

- ``--dataset NAME --data-root DIR [--split test|all]``: generate a dance for every song of the
  split with ``--checkpoint`` (seed ``--seed``) and score it against the dataset's ground truth,
  with the reference rows computed in the same run: ground truth (test dances against the pool),
  mismatched music, a static mean pose and nearest-neighbour retrieval by music features. The
  pool is the training split (AIST++: every valid sequence, as the papers use it; test = the
  test + val lists).
- ``--gt DIR --pred DIR [--music DIR]``: score any system's motion files (our .npz, EDGE pickles,
  Bailando json/npy, AIST++ pickles) against a ground-truth pool; BAS needs ``--music``.

Every row with music also gets the music-responsiveness measures (protocol ``music``: beat-hit
rate and energy following; the mismatched-music row pairs each dance with another song's beats
and loudness). Tempo following needs generation for time-stretched songs:
benchmarks/music_response.py.

Metrics, protocols and their quirks: docs/METRICS.md. Heavy imports happen inside functions.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

DATASET_DEFAULT_POOL = {"aistpp": "all"}


def add_command(subparsers: Any) -> None:
    """Register the ``evaluate`` subcommand on the CLI's subparsers."""
    p = subparsers.add_parser(
        "evaluate",
        help="score dances with FID_k/FID_g, diversity, BAS, PFC, beat-hit rate and energy following",
        description="Score our model on a dataset split (--dataset) or any system's motion files (--gt/--pred) "
        "with the field's metrics, reference rows included. See docs/METRICS.md.",
    )
    g = p.add_argument_group("dataset mode")
    g.add_argument("--dataset", default=None, help="dataset name (dance_with_melody, aistpp, synthetic)")
    g.add_argument("--data-root", default=None, help="dataset folder")
    g.add_argument("--split", default="test", choices=["test", "all"], help="songs to generate for (default test)")
    g.add_argument("--checkpoint", nargs="+", default=["default"],
                   help="'default', 'gan', checkpoint folders or hub ids; several give one model row each")
    g.add_argument("--seed", type=int, default=0, help="generation seed")
    g.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the checkpoint's)")
    g.add_argument("--beat-align", type=float, default=0.0, metavar="S",
                   help="generate with the beat-alignment time warp at this strength, 0..1 (default 0: off)")
    g.add_argument("--guidance", type=float, default=None, metavar="W",
                   help="classifier-free guidance weight (default: the checkpoint's)")
    g.add_argument("--guidance-interval", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="guidance only at noise levels LO..HI (0 clean, 1 pure noise; default: the checkpoint's)")
    g.add_argument("--velocity-weight", type=float, default=None, metavar="W",
                   help="decode: weight of the model's joint-velocity outputs (0 = positions only; default: the checkpoint's)")
    g.add_argument("--beat-every", default="auto", choices=["auto", "beat", "0.5", "1", "2", "3", "4"],
                   help="motion-beat models: accent every n-th music beat (auto: closest to the learned tempo; "
                        "beat: closest to 90 BPM)")
    g.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N songs of the split")
    g.add_argument("--seconds", type=float, default=None, metavar="S",
                   help="only the first S seconds of each song (test songs and retrieval candidates)")
    f = p.add_argument_group("file mode")
    f.add_argument("--gt", default=None, metavar="DIR", help="ground-truth pool: motion files (.npz/.pkl/.json/.npy)")
    f.add_argument("--pred", default=None, metavar="DIR", help="the system's motion files")
    f.add_argument("--music", default=None, metavar="DIR", help="songs for BAS, paired by file name or AIST music id")
    f.add_argument("--test-names", default=None, metavar="FILE", nargs="+",
                   help="name lists (one a line) of the --gt clips forming the ground-truth row "
                        "(default: the --gt clips named like a --pred clip)")  # fmt: skip
    f.add_argument("--ignore-names", default=None, metavar="FILE", nargs="+",
                   help="name lists of --gt clips to leave out of the pool (AIST++: annotations/splits/ignore_list.txt)")
    p.add_argument("--protocols", default="bailando,fact,edge,fixed,music",
                   help="comma-separated protocols: bailando, fact, edge, fixed, music (default all)")  # fmt: skip
    p.add_argument("--json", default=None, metavar="OUT", help="write every metric to this JSON file")
    p.add_argument("--report", default=None, metavar="DIR", help="write report.md and PNG plots to this folder")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_evaluate)


# ----------------------------------------------------------------------------------------------
# argument checks


def _check_args(args: argparse.Namespace) -> tuple[str, tuple[str, ...]]:
    from dancegen.config import is_guidance_interval
    from dancegen.metrics import EvaluationError
    from dancegen.metrics.protocols import PROTOCOLS

    dataset_mode = args.dataset is not None or args.data_root is not None
    file_mode = args.gt is not None or args.pred is not None
    if dataset_mode == file_mode:
        raise EvaluationError("give either --dataset NAME --data-root DIR, or --gt DIR --pred DIR.")
    if dataset_mode and not (args.dataset and args.data_root):
        raise EvaluationError("dataset mode needs both --dataset NAME and --data-root DIR.")
    if file_mode and not (args.gt and args.pred):
        raise EvaluationError("file mode needs both --gt DIR and --pred DIR.")
    if args.limit is not None and args.limit < 2:
        raise EvaluationError(f"--limit must be at least 2 (FID needs two clips), got {args.limit}.")
    if args.seconds is not None and not args.seconds > 0:
        raise EvaluationError(f"--seconds must be positive, got {args.seconds}.")
    if args.guidance_interval is not None and not is_guidance_interval(args.guidance_interval):
        lo, hi = args.guidance_interval
        raise EvaluationError(f"--guidance-interval takes LO HI with 0 <= LO <= HI <= 1, got {lo:g} {hi:g}.")
    if args.velocity_weight is not None and not (math.isfinite(args.velocity_weight) and args.velocity_weight >= 0):
        raise EvaluationError(f"--velocity-weight must be 0 or more, got {args.velocity_weight:g}.")
    names = tuple(dict.fromkeys(s.strip() for s in args.protocols.split(",") if s.strip()))
    unknown = [n for n in names if n not in PROTOCOLS]
    if unknown or not names:
        raise EvaluationError(f"unknown protocol {', '.join(unknown) or '(none)'}; choose from {', '.join(PROTOCOLS)}.")
    return ("dataset" if dataset_mode else "files"), names


def _check_report_dir(path: str, force: bool) -> None:
    from dancegen.errors import OutputError

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{p}: exists and is not a folder (--report needs a folder).")
    if p.is_dir() and any(p.iterdir()) and not force:
        raise OutputError(f"{p}: report folder is not empty (use --force to overwrite).")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{p}: cannot write, folder {parent} does not exist.")


# ----------------------------------------------------------------------------------------------
# dataset mode


def _beats(path: Path, start: float, end: float | None, tempo: float | None):
    from dancegen.audio import extract_features
    from dancegen.metrics.beats import beats_from_onehot
    from dancegen.metrics.protocols import BEAT_FPS

    feats = extract_features(path, fps=BEAT_FPS, start=start, end=end, tempo_hint=tempo)
    return beats_from_onehot(feats.features[:, -1])


def _loudness(path: Path, start: float, end: float | None):
    from dancegen.metrics.music import loudness_from_file
    from dancegen.metrics.protocols import BEAT_FPS

    return loudness_from_file(path, BEAT_FPS, start, end)


def dataset_clip(seq: Any, span: tuple[float, float], fps: int, seconds: float | None = None):
    """A test sequence as the ground-truth clip of dataset mode, and the music to generate from.

    ``span`` is the (start, end) of the sequence's music in seconds as training prepared it (the
    motion's duration at the model's rate), cut to its first ``seconds`` when given. Returns the
    Clip (the dance at 60 fps over that span, with its music's beats and loudness) and the music
    features (T, 35) at ``fps`` covering the same frames.
    """
    from dancegen.audio import extract_features
    from dancegen.metrics.protocols import BEAT_FPS
    from dancegen.metrics.suite import Clip

    start, end = span
    if seconds is not None:
        end = min(end, start + seconds)
    feats = extract_features(seq.audio_path, fps=fps, start=start, end=end, tempo_hint=seq.tempo_hint)
    beats = _beats(seq.audio_path, start, end, seq.tempo_hint)
    n60 = min(seq.motion.num_frames, int(round((end - start) * BEAT_FPS)))
    clip = Clip(seq.name, seq.motion.joints[:n60], BEAT_FPS, seq.motion.skeleton, seq.style, beats,
                Path(seq.audio_path).name, _loudness(seq.audio_path, start, end))  # fmt: skip
    return clip, feats.features[: int(round(n60 * fps / BEAT_FPS))]


def _dataset_rows(args: argparse.Namespace, timings: dict[str, float]):
    from tqdm import tqdm

    from dancegen.audio import extract_features
    from dancegen.checkpoint import load_checkpoint
    from dancegen.datasets import load_dataset
    from dancegen.errors import DatasetError
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.models.conditioning import parse_beat_every
    from dancegen.metrics import EvaluationError
    from dancegen.metrics.protocols import BEAT_FPS
    from dancegen.metrics.references import mismatched_music, nearest_neighbours, retrieved, static_mean_pose
    from dancegen.metrics.suite import Clip, share_loudness

    t0 = time.perf_counter()
    name, root = args.dataset, args.data_root
    pool_split = "all" if args.split == "all" else DATASET_DEFAULT_POOL.get(name, "train")
    pool_seqs = load_dataset(name, root, pool_split, fps=BEAT_FPS)
    if args.split == "all":
        test_seqs = list(pool_seqs)
        train_seqs = list(pool_seqs)
    else:
        test_seqs = load_dataset(name, root, "test", fps=BEAT_FPS)
        if name == "aistpp":  # the papers' test set is crossmodal_test + crossmodal_val
            try:
                test_seqs += load_dataset(name, root, "val", fps=BEAT_FPS)
            except DatasetError:
                pass
        train_seqs = pool_seqs if pool_split == "train" else load_dataset(name, root, "train", fps=BEAT_FPS)
    test_seqs = sorted(test_seqs, key=lambda s: s.name)
    if args.limit is not None:
        test_seqs = test_seqs[: args.limit]
    if len(test_seqs) < 2:
        raise EvaluationError(f"{root}: the {args.split} split of {name} has {len(test_seqs)} sequences; FID needs at least 2.")
    no_music = [s.name for s in test_seqs if s.audio_path is None]
    if no_music:
        raise EvaluationError(
            f"{root}: {len(no_music)} of {len(test_seqs)} {args.split} sequences have no music file "
            f"(e.g. {no_music[0]}); dataset mode generates dances from the music."
        )
    timings["load_dataset"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ckpts = [load_checkpoint(c) for c in args.checkpoint]
    ckpt = ckpts[0]
    fps = int(ckpt.config.fps)
    if any(int(c.config.fps) != fps for c in ckpts):
        raise EvaluationError("--checkpoint: the models must share one frame rate to be scored together.")
    # Audio excerpts exactly as training prepared them (motion duration at the model's rate), so
    # the feature cache is shared with `dancegen train` and the model sees its usual input.
    timing = {s.name: (s.audio_start, s.audio_end) for s in load_dataset(name, root, "all", fps=fps)}
    quiet = args.quiet
    gt, music30 = [], []
    for s in tqdm(test_seqs, desc="music features (test)", disable=quiet, leave=False, file=sys.stderr):
        clip, music = dataset_clip(s, timing.get(s.name, (s.audio_start, s.audio_end)), fps, args.seconds)
        gt.append(clip)
        music30.append(music)
    candidates = [s for s in train_seqs if s.audio_path is not None]
    cand_music = []
    for s in tqdm(candidates, desc="music features (retrieval)", disable=quiet, leave=False, file=sys.stderr):
        start, end = timing.get(s.name, (s.audio_start, s.audio_end))
        if args.seconds is not None:  # a quick run compares the songs' openings only
            end = min(end, start + args.seconds)
        feats = extract_features(s.audio_path, fps=fps, start=start, end=end, tempo_hint=s.tempo_hint)
        cand_music.append(feats.features)
    timings["music_features"] = time.perf_counter() - t0

    model_rows = []
    for name_i, ck in zip(args.checkpoint, ckpts):
        t0 = time.perf_counter()
        model = ck.build_model()
        generated = []
        for clip, music in tqdm(list(zip(gt, music30)), desc=f"generate ({name_i})", disable=quiet, leave=False, file=sys.stderr):
            settings = GenerationSettings(seed=args.seed, steps=args.steps, beat_align=args.beat_align,
                                          guidance=args.guidance, guidance_interval=args.guidance_interval,
                                          velocity_weight=args.velocity_weight,
                                          beat_every=parse_beat_every(args.beat_every))
            motion = generate_motion(ck, music, settings, model=model)
            generated.append(Clip(clip.name, motion.joints, motion.fps, motion.skeleton, clip.style, clip.music_beats,
                                  clip.music_name, clip.music_loudness))  # fmt: skip
        seconds = time.perf_counter() - t0
        key = "model" if not model_rows else f"model_{len(model_rows)}"
        timings["generate" if key == "model" else f"generate_{name_i}"] = seconds
        align = f", beat-align {args.beat_align:g}" if args.beat_align else ""
        align += f", guidance {args.guidance:g}" if args.guidance is not None else ""
        align += (f", guidance interval {args.guidance_interval[0]:g}-{args.guidance_interval[1]:g}"
                  if args.guidance_interval is not None else "")
        align += f", velocity weight {args.velocity_weight:g}" if args.velocity_weight is not None else ""
        align += f", beat-every {args.beat_every}" if args.beat_every != "auto" and ck.config.beat_condition == "motion" else ""
        model_rows.append((key, f"model ({name_i}, seed {args.seed}{align})", generated))

    pool = [Clip(s.name, s.motion.joints, s.motion.fps, s.motion.skeleton, s.style) for s in pool_seqs]
    rows = [
        ("ground_truth", "ground truth", gt),
        ("mismatched_music", "GT, mismatched music", mismatched_music(gt)),
        ("static_mean_pose", "static mean pose", static_mean_pose(pool, gt)),
    ]
    if args.split == "all":  # leave-one-out: never retrieve the song itself
        picks = []
        for i, c in enumerate(gt):
            others = [k for k, s in enumerate(candidates) if s.name != c.name]
            sub = nearest_neighbours([music30[i]], [cand_music[k] for k in others])
            picks.append(others[sub[0]])
    else:
        picks = nearest_neighbours(music30, cand_music) if candidates else []
    cand_clips = [Clip(s.name, s.motion.joints, s.motion.fps, s.motion.skeleton, s.style) for s in candidates]
    if picks:
        rows.append(("nearest_neighbour", "NN retrieval (music)", retrieved(gt, cand_clips, picks)))
    rows.extend(model_rows)
    share_loudness(rows)
    meta = {
        "mode": "dataset",
        "dataset": name,
        "data_root": str(root),
        "split": args.split,
        "test_set": [c.name for c in gt],
        "pool_split": pool_split,
        "checkpoint": [str(c) for c in args.checkpoint],
        "models": {name_i: {"family": c.config.family, "parameters": sum(int(v.numel()) for v in c.state_dict.values()),
                            "train_seconds": c.info.get("train_seconds"), "steps": c.info.get("steps"),
                            "device": c.info.get("device")} for name_i, c in zip(args.checkpoint, ckpts)},
        "model_skeleton": ckpt.config.skeleton,
        "seed": args.seed,
        "steps": args.steps or ckpt.config.sample_steps,
        "guidance": args.guidance if args.guidance is not None else ckpt.config.guidance,
        "guidance_interval": list(args.guidance_interval or ckpt.config.guidance_interval),
        "velocity_weight": args.velocity_weight if args.velocity_weight is not None else ckpt.config.velocity_weight,
        "beat_every": args.beat_every,
        "seconds": args.seconds,
        "retrieval": {c.name: candidates[i].name for c, i in zip(gt, picks)},
    }
    reasons = [] if name == "aistpp" else [f"dataset {name} is not AIST++"]
    return pool, rows, meta, "model", reasons


# ----------------------------------------------------------------------------------------------
# file mode


def _read_clips(folder: str, what: str) -> list:
    from dancegen.metrics.formats import clip_name, motion_files, read_motion_file
    from dancegen.metrics.suite import Clip

    clips = []
    for path in motion_files(folder, what):
        joints, fps, skeleton = read_motion_file(path)
        clips.append(Clip(clip_name(path), joints, fps, skeleton))
    return clips


def _attach_music(clips: list, music_dir: Path, what: str) -> None:
    from dancegen.datasets.aistpp import music_tempo
    from dancegen.metrics import EvaluationError
    from dancegen.metrics.formats import aist_music_id, find_music

    found = {c.name: find_music(c.name, music_dir) for c in clips}
    missing = [n for n, p in found.items() if p is None]
    if missing:
        raise EvaluationError(
            f"{music_dir}: {len(clips)} {what} clips but only {len(clips) - len(missing)} music files match them "
            f"(none for {', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})."
        )
    for c in clips:
        mid = aist_music_id(c.name)
        tempo = music_tempo(mid) if mid else None
        c.music_beats = _beats(found[c.name], 0.0, None, tempo)
        c.music_name = found[c.name].name
        c.music_loudness = _loudness(found[c.name], 0.0, None)


def _read_names(files: list[str]) -> list[str]:
    """Names listed one a line (surrounding whitespace stripped, blank lines skipped) in ``files``."""
    from dancegen.metrics import EvaluationError

    names: list[str] = []
    for f in files:
        try:
            names += [ln.strip() for ln in Path(f).read_text(encoding="utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError) as err:
            raise EvaluationError(f"{f}: cannot read the name list ({err}).") from None
    return names


def _file_rows(args: argparse.Namespace, timings: dict[str, float]):
    from dancegen.metrics import EvaluationError
    from dancegen.metrics.references import mismatched_music, static_mean_pose
    from dancegen.metrics.suite import Clip, share_loudness

    t0 = time.perf_counter()
    pool = _read_clips(args.gt, "--gt")
    if args.ignore_names:
        ignored = set(_read_names(args.ignore_names))
        pool = [c for c in pool if c.name not in ignored]
    preds = _read_clips(args.pred, "--pred")
    by_name = {c.name: c for c in pool}
    if args.test_names:
        wanted = _read_names(args.test_names)
        absent = [n for n in wanted if n not in by_name]
        if absent:
            raise EvaluationError(
                f"{args.gt}: {len(wanted)} names listed in --test-names but {len(absent)} have no motion file "
                f"(e.g. {absent[0]})."
            )
        test_names = list(dict.fromkeys(wanted))
    else:
        test_names = [n for n in (c.name for c in preds) if n in by_name]
        test_names += [c.name[5:] for c in preds if c.name.startswith("test_") and c.name[5:] in by_name]
        test_names = list(dict.fromkeys(test_names))
    gt = [Clip(n, by_name[n].joints, by_name[n].fps, by_name[n].skeleton) for n in test_names]
    timings["read_files"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.music:
        music_dir = Path(args.music)
        if not music_dir.is_dir():
            raise EvaluationError(f"{music_dir}: music folder does not exist.")
        _attach_music(preds, music_dir, "--pred")
        if gt:
            _attach_music(gt, music_dir, "ground-truth")
    timings["music_features"] = time.perf_counter() - t0
    rows = []
    if len(gt) >= 2:
        rows.append(("ground_truth", "ground truth", gt))
        if args.music:
            rows.append(("mismatched_music", "GT, mismatched music", mismatched_music(gt)))
    if len({c.skeleton for c in pool}) == 1:
        rows.append(("static_mean_pose", "static mean pose", static_mean_pose(pool, preds)))
    rows.append(("system", f"system ({Path(args.pred).name or args.pred})", preds))
    share_loudness(rows)
    meta = {
        "mode": "files",
        "gt": str(args.gt),
        "pred": str(args.pred),
        "music": args.music,
        "test_set": test_names,
        "nearest_neighbour": "not computed in --gt/--pred mode (needs the pool's music features)",
    }
    return pool, rows, meta, "system", []


# ----------------------------------------------------------------------------------------------
# the command


def _json_safe(obj: Any) -> Any:
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run the evaluation; returns the exit code."""
    from tqdm import tqdm

    from dancegen import __version__
    from dancegen.io import atomic_path, check_output
    from dancegen.metrics.report import comparability_line, text_table, write_report
    from dancegen.metrics.suite import NOT_COMPARABLE, evaluate_rows

    mode, protocols = _check_args(args)
    if args.json:
        check_output(args.json, args.force)
    if args.report:
        _check_report_dir(args.report, args.force)
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    if mode == "dataset":
        pool, rows, meta, system_key, reasons = _dataset_rows(args, timings)
    else:
        pool, rows, meta, system_key, reasons = _file_rows(args, timings)

    t0 = time.perf_counter()
    bar = tqdm(total=None, desc="metrics", unit="clip", disable=args.quiet, leave=False, file=sys.stderr)

    def progress(what: str, done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    ev = evaluate_rows(pool, rows, protocols, progress=progress)
    bar.close()
    ev.not_comparable = reasons + ev.not_comparable
    timings["metrics"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start

    if mode == "dataset":
        title = (f"dancegen evaluate: {meta['dataset']} {meta['split']} ({len(meta['test_set'])} songs), "
                 f"pool = {meta['pool_split']} ({ev.pool_count} clips), skeletons {', '.join(ev.skeletons)}")  # fmt: skip
    else:
        title = (f"dancegen evaluate: {meta['pred']} against {meta['gt']} ({ev.pool_count} clips), "
                 f"skeletons {', '.join(ev.skeletons)}")  # fmt: skip
    print(title)
    print(comparability_line(ev))
    print(text_table(ev))
    print("bailando/fact/edge = reference protocols (quirks kept); fixed = quirks corrected; "
          "music = beat-hit rate (±0.1 s) and energy following r (docs/METRICS.md).")

    data = {"dancegen_version": __version__, **meta, **ev.to_json(), "timings_s": timings}
    if not ev.comparable:
        data["label"] = NOT_COMPARABLE
    if args.json:
        with atomic_path(args.json) as tmp:
            Path(tmp).write_text(json.dumps(_json_safe(data), indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.report:
        header = [title, f"dancegen {__version__}; timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())]
        path = write_report(ev, args.report, header, system_key)
        print(f"wrote {path}")
    return 0
