"""Realism benchmark (issue 4) on the Dance-with-Melody test split: one command, one table.

For every held-out song, the first --seconds seconds of music (features extracted from that
excerpt alone, as ``dancegen evaluate --seconds`` does) drive each --checkpoint, and the model rows
are scored in the same run as the reference rows:
- ground truth (GT): the real test dances over the same span;
- random replay: for each test song, a random training dance (drawn without replacement,
  numpy seed = each --seed) from a random start, the same length as the test excerpt;
- static mean pose: the training dances' mean pose held still.

Columns (metric code: dancegen.metrics, through ``dancegen evaluate``'s functions):
- FID_k, FID_g, Div_k: the ``bailando`` protocol of ``dancegen evaluate`` (docs/METRICS.md): the
  pool is the 29 training dances, features normalised with the pool's statistics, 60 fps,
  root-anchored, features on the first 1200 frames (20 s), reference quirks kept;
- PFC: the ``edge`` protocol (EDGE's physical foot contact, 5-s windows at 30 fps);
- mean joint speed (m/s), mean joint acceleration magnitude (m/s^2) and foot skate (mean
  horizontal speed of the foot joints within 5 cm of the floor, m/s): per song at the model's
  frame rate (every row resampled to it), then averaged over the songs;
- models only: validation loss on the test windows (the trainer's fixed-noise loss of the
  checkpoint's model family; diffusion and GAN losses are not comparable with each other) and
  generation speed: median wall time per excerpt on this CPU after one warm-up, and the median of
  excerpt length / wall time ("x real time"; shared CPU, so expect noise).

A second table checks each model against the issue-4 targets, as pass/fail with the ratio:
FID_k and FID_g at most 1.5x GT and below random replay; speed and acceleration within 15% of GT;
PFC at most 1.2x GT; Div_k within 15% of GT; at least 5x real time. --per-song adds the per-song
speed, acceleration, foot skate and PFC of every scored row (one per seed).

With several --seed values every row is scored once per seed and shown as the median over the
seeds (FID_k with its range). --smooth adds rows of each model's dances smoothed in time
(dancegen.motion.smoothing), and with --smooth-gt of the real test dances smoothed the same way; --steps, --guidance and --velocity-weight change how they are sampled
and decoded, and --setting KEY=VALUE sets any other GenerationSettings field (e.g.
guidance_interval=(0,0.5)).

Usage: python benchmarks/quality.py [--checkpoint default [gan DIR ...]] [--seconds 30] [--seed 0 [1 ...]]
       [--smooth 0 [0.04 ...]] [--steps N] [--guidance G] [--velocity-weight W] [--setting KEY=VALUE ...]
       [--data-root ../shared/data/dance_with_melody] [--per-song] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATASET = "dance_with_melody"
#: Issue 4's bounds: FID at most this many times GT's (and below random replay's), ...
FID_MAX_RATIO = 1.5
#: ... speed, acceleration and Div_k within this fraction of GT's, ...
CLOSE = 0.15
#: ... PFC at most this many times GT's, ...
PFC_MAX_RATIO = 1.2
#: ... and generation at least this many times faster than real time.
MIN_REAL_TIME = 5.0


def motion_stats(joints: np.ndarray, feet: list[int], fps: float) -> tuple[float, float, float]:
    """(mean joint speed m/s, mean joint acceleration m/s^2, foot skate m/s) of joints (T, J, 3)."""
    vel = np.diff(joints, axis=0) * fps
    acc = np.diff(joints, 2, axis=0) * fps * fps
    foot = joints[1:, feet]
    low = foot[..., 1] < 0.05 + np.percentile(joints[..., 1].min(axis=1), 5)
    hspeed = np.linalg.norm(vel[:, feet][..., [0, 2]], axis=-1)
    skate = float(hspeed[low].mean()) if low.any() else 0.0
    return float(np.linalg.norm(vel, axis=-1).mean()), float(np.linalg.norm(acc, axis=-1).mean()), skate


def _ratio(value: float | None, ref: float | None) -> float | None:
    if value is None or ref is None or not (math.isfinite(value) and math.isfinite(ref)) or ref == 0:
        return None
    return value / ref


def issue4_targets(model: dict, gt: dict, replay: dict) -> list[tuple[str, bool, str]]:
    """Issue 4's targets for one model row: (target, passed, ratio text) each.

    Rows are dicts with ``FID_k``, ``FID_g``, ``Div_k``, ``PFC``, ``speed``, ``accel`` (and, for the
    model, ``x_real_time``); a missing or non-finite value fails its target ("n/a").
    """
    out = []
    for k in ("FID_k", "FID_g"):
        r, rr = _ratio(model.get(k), gt.get(k)), _ratio(model.get(k), replay.get(k))
        ok = r is not None and rr is not None and r <= FID_MAX_RATIO and rr < 1.0
        text = "n/a" if r is None or rr is None else f"{r:.2f}x GT, {rr:.2f}x replay"
        out.append((f"{k} <= {FID_MAX_RATIO:g}x GT and < replay", ok, text))
    for k, label in (("speed", "speed"), ("accel", "accel"), ("Div_k", "Div_k")):
        r = _ratio(model.get(k), gt.get(k))
        ok = r is not None and abs(r - 1.0) <= CLOSE + 1e-12
        out.append((f"{label} within {CLOSE:.0%} of GT", ok, "n/a" if r is None else f"{r:.2f}x GT"))
    r = _ratio(model.get("PFC"), gt.get("PFC"))
    out.append((f"PFC <= {PFC_MAX_RATIO:g}x GT", r is not None and r <= PFC_MAX_RATIO, "n/a" if r is None else f"{r:.2f}x GT"))
    x = model.get("x_real_time")
    ok = x is not None and math.isfinite(x) and x >= MIN_REAL_TIME
    out.append((f">= {MIN_REAL_TIME:g}x real time", ok, "n/a" if x is None else f"{x:.1f}x"))
    return out


def median_over_seeds(rows: list[dict]) -> dict:
    """One summary row from the same row scored once per seed: the median of each measure (robust to
    one seed's FID_g blowing up in the Bailando normaliser), plus ``FID_k_min``/``FID_k_max`` and
    ``seeds``. Non-finite values are kept out of the median unless every seed has one."""
    out: dict = {"seeds": len(rows)}
    for k in rows[0]:
        vals = [r[k] for r in rows if r.get(k) is not None]
        finite = [v for v in vals if math.isfinite(v)]
        out[k] = statistics.median(finite) if finite else (vals[0] if vals else None)
    fk = [r["FID_k"] for r in rows if r.get("FID_k") is not None and math.isfinite(r["FID_k"])]
    out["FID_k_min"], out["FID_k_max"] = (min(fk), max(fk)) if fk else (None, None)
    return out


def random_replay(pool: list, gt: list, seed: int, resample_joints, clip_type) -> tuple[list, list[str]]:
    """For each GT clip, a random training dance (without replacement, numpy seed ``seed``) from a
    random start, as long as the GT clip, with the GT clip's music: (clips, "song <- dance @ s" texts)."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(pool), size=len(gt), replace=len(gt) > len(pool))
    clips, texts = [], []
    for c, i in zip(gt, picks):
        src = pool[int(i)]
        j = resample_joints(src.joints, src.fps, c.fps)
        n = c.joints.shape[0]
        start = int(rng.integers(0, max(1, j.shape[0] - n + 1)))
        clips.append(clip_type(c.name, j[start : start + n], c.fps, src.skeleton, c.style, c.music_beats,
                               f"{c.music_name} (dance of {src.name})", c.music_loudness))  # fmt: skip
        texts.append(f"{c.name} <- {src.name} @ {start / c.fps:.1f} s")
    return clips, texts


def _seeds_text(seeds: list[int]) -> str:
    return f"seed {seeds[0]}" if len(seeds) == 1 else "seeds " + ", ".join(str(s) for s in seeds)


def _fmt(x: float | None, digits: int) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}e}" if abs(x) >= 1e6 else f"{x:.{digits}f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", nargs="+", default=["default"],
                    help="'default', 'gan' or checkpoint folders; one model row each (default: default)")
    ap.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / DATASET))
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each song excerpt (default 30)")
    ap.add_argument("--seed", type=int, nargs="+", default=[0],
                    help="generation seeds, and the random replays' (default 0); with several, each row shows the "
                         "median over the seeds and the FID_k range")
    ap.add_argument("--smooth", type=float, nargs="+", default=[0.0], metavar="SIGMA_S",
                    help="also score each model's dances smoothed in time with a Gaussian of this sigma in seconds "
                         "(dancegen.motion.smoothing; 0 = as generated, the default): one row per value")
    ap.add_argument("--smooth-gt", action="store_true",
                    help="also score the real test dances smoothed by each --smooth sigma (what smoothing does to "
                         "real dance: speed, acceleration, PFC)")
    ap.add_argument("--per-song", action="store_true", help="also print the per-song table")
    ap.add_argument("--json", type=Path, default=None, metavar="PATH",
                    help="also write every summary row (medians over the seeds) to this JSON file")
    ap.add_argument("--guidance", type=float, default=None, help="guidance weight (default: each checkpoint's)")
    ap.add_argument("--steps", type=int, default=None, help="DDIM sampling steps (default: each checkpoint's)")
    ap.add_argument("--velocity-weight", type=float, default=None, metavar="W",
                    help="decode: weight of the model's joint-velocity outputs against its positions "
                         "(GenerationSettings.velocity_weight; 0 = positions only; default: each checkpoint's)")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="any other GenerationSettings field for the model rows, e.g. --setting "
                         "guidance_interval=(0.2,0.8) (repeatable)")
    ap.add_argument("--beat-every", default="auto", choices=["auto", "beat", "0.5", "1", "2", "3", "4"],
                    help="motion-beat models: accent every n-th music beat (default auto: the learned tempo)")
    args = ap.parse_args()
    if not args.seconds > 0:
        sys.exit(f"--seconds must be positive, got {args.seconds}")
    if any(not (math.isfinite(v) and v >= 0) for v in args.smooth):
        sys.exit(f"--smooth takes sigmas in seconds >= 0, got {args.smooth}")
    if not Path(args.data_root).is_dir():
        sys.exit(f"no Dance-with-Melody data at {args.data_root}")

    import torch

    from dancegen.checkpoint import load_checkpoint
    from dancegen.config import TrainConfig
    from dancegen.datasets import load_dataset
    from dancegen.evaluate import dataset_clip
    from dancegen.generate import GenerationSettings, generate_motion, settings_from_pairs
    from dancegen.models.conditioning import parse_beat_every
    from dancegen.metrics.protocols import BEAT_FPS, PROTOCOLS, resample_joints
    from dancegen.metrics.references import static_mean_pose
    from dancegen.metrics.suite import Clip, evaluate_rows
    from dancegen.motion.skeleton import get_skeleton
    from dancegen.motion.smoothing import smooth_joints
    from dancegen.train import OBJECTIVES, make_training_windows, prepare_data

    try:
        overrides = settings_from_pairs(args.setting)
    except ValueError as e:
        sys.exit(str(e))
    own = {"seed", "guidance", "steps", "smooth", "velocity_weight", "beat_every"} & set(overrides)
    if own:
        sys.exit(f"--setting {', '.join(sorted(own))}: use this benchmark's own option for it")
    t_start = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", file=sys.stderr, flush=True)

    ckpts = [load_checkpoint(c) for c in args.checkpoint]
    fps = int(ckpts[0].config.fps)
    if any(int(c.config.fps) != fps for c in ckpts):
        sys.exit("--checkpoint: the models must share one frame rate to be scored together.")

    # Reference rows and music exactly as `dancegen evaluate --dataset dance_with_melody --split test`
    # builds them (pool = training split at 60 fps; test excerpts with their music as training cut it).
    say("loading the dataset and music features")
    pool_seqs = load_dataset(DATASET, args.data_root, "train", fps=BEAT_FPS)
    test_seqs = sorted(load_dataset(DATASET, args.data_root, "test", fps=BEAT_FPS), key=lambda s: s.name)
    timing = {s.name: (s.audio_start, s.audio_end) for s in load_dataset(DATASET, args.data_root, "all", fps=fps)}
    gt, music = [], []
    for s in test_seqs:
        clip, feats = dataset_clip(s, timing.get(s.name, (s.audio_start, s.audio_end)), fps, args.seconds)
        gt.append(clip)
        music.append(feats)
    pool = [Clip(s.name, s.motion.joints, s.motion.fps, s.motion.skeleton, s.style) for s in pool_seqs]

    rows = [("gt", "real test dances (GT)", gt)]
    groups: dict[str, list[str]] = {"gt": ["gt"]}  # summary row -> the scored rows (one per seed) it takes the median of
    labels = {"gt": "real test dances (GT)"}
    replay_src = []
    for seed in args.seed:
        clips, src_txt = random_replay(pool, gt, seed, resample_joints, Clip)
        rows.append((f"replay@{seed}", f"random training replay (seed {seed})", clips))
        groups.setdefault("replay", []).append(f"replay@{seed}")
        replay_src.append(f"seed {seed}: " + ", ".join(src_txt))
    labels["replay"] = f"random training replay ({_seeds_text(args.seed)})"
    rows.append(("static", "static mean pose", static_mean_pose(pool, gt)))
    groups["static"] = ["static"]
    labels["static"] = "static mean pose"
    for sigma in args.smooth if args.smooth_gt else []:
        if sigma > 0:
            key, label = f"gt~{sigma:g}", f"real test dances, smoothed {sigma:g} s"
            rows.append((key, label, [replace(c, joints=smooth_joints(c.joints, c.fps, sigma)) for c in gt]))
            groups[key], labels[key] = [key], label


    val_data = prepare_data(DATASET, args.data_root, "test", fps=fps, progress=False)
    extra: dict[str, dict] = {}
    columns: dict[str, str] = {}  # model summary row -> its column in the targets table
    for k, (name, ck) in enumerate(zip(args.checkpoint, ckpts)):
        model = ck.build_model()
        keys = {sigma: f"model{k}" + (f"~{sigma:g}" if sigma > 0 else "") for sigma in args.smooth}
        for sigma, key in keys.items():
            columns[key] = name + (f" smoothed {sigma:g} s" if sigma > 0 else "")
        walls, rts = [], []
        for seed in args.seed:
            vw = {} if args.velocity_weight is None else {"velocity_weight": args.velocity_weight}
            settings = GenerationSettings(seed=seed, guidance=args.guidance, steps=args.steps, smooth=0.0, **vw,
                                          beat_every=parse_beat_every(args.beat_every),
                                          **overrides)
            if not walls:
                generate_motion(ck, music[0][: 5 * fps], settings, model=model)  # warm-up
            raw = []
            for i, (c, m) in enumerate(zip(gt, music)):
                say(f"generating ({name}, seed {seed}) {i + 1}/{len(gt)}")
                t0 = time.perf_counter()
                motion = generate_motion(ck, m, settings, model=model)
                wall = time.perf_counter() - t0
                walls.append(wall)
                rts.append(motion.joints.shape[0] / motion.fps / wall)
                raw.append((c, motion))
            for sigma, key in keys.items():
                clips = [Clip(c.name, smooth_joints(mo.joints, mo.fps, sigma), mo.fps, mo.skeleton, c.style,
                              c.music_beats, c.music_name, c.music_loudness) for c, mo in raw]  # fmt: skip
                rows.append((f"{key}@{seed}", f"model {name} seed {seed}, smoothed {sigma:g} s", clips))
                groups.setdefault(key, []).append(f"{key}@{seed}")
                labels[key] = f"model {name} ({ck.config.family}, {_seeds_text(args.seed)}" + (
                    f", smoothed {sigma:g} s)" if sigma > 0 else ")")
        cfg = ck.config
        motion_w, music_w, style_w = make_training_windows(val_data, cfg.window, cfg.window // 2, cfg=cfg)
        objective = OBJECTIVES[cfg.family](cfg, TrainConfig(), ck.normalizer)
        with torch.no_grad():
            val_loss = float(objective.validation_loss(model, torch.from_numpy(ck.normalizer.normalize(motion_w)),
                                                       torch.from_numpy(music_w), torch.Generator().manual_seed(1234),
                                                       torch.from_numpy(style_w)))  # fmt: skip
        timing_cols = {"val_loss": val_loss, "wall_median": statistics.median(walls),
                       "x_real_time": statistics.median(rts)}  # fmt: skip
        for key in keys.values():
            extra[key] = dict(timing_cols)

    say("scoring (bailando, edge protocols)")
    ev = evaluate_rows(pool, rows, ("bailando", "edge"))

    scored: dict[str, dict] = {}
    per_song: dict[str, list[tuple[float, float, float]]] = {}
    pfcs: dict[str, list[float]] = {}
    for r in ev.rows:
        stats = [motion_stats(resample_joints(c.joints, c.fps, fps), list(get_skeleton(c.skeleton).feet), fps)
                 for c in r.clips]  # fmt: skip
        per_song[r.key] = stats
        pfcs[r.key] = [d["PFC"] for d in r.per_clip()]
        mean = np.mean(stats, axis=0)
        scored[r.key] = {
            "FID_k": r.metrics["bailando"]["FID_k"], "FID_g": r.metrics["bailando"]["FID_g"],
            "Div_k": r.metrics["bailando"]["Div_k"], "PFC": r.metrics["edge"]["PFC"],
            "speed": float(mean[0]), "accel": float(mean[1]), "skate": float(mean[2]),
        }  # fmt: skip
    summary: dict[str, dict] = {}
    for key, members in groups.items():
        summary[key] = {"label": labels[key], **median_over_seeds([scored[m] for m in members]), **extra.get(key, {})}

    n_songs = len(gt)
    bailando = PROTOCOLS["bailando"]
    feat_s = min(args.seconds, bailando.max_frames / bailando.fps)
    secs = [c.duration for c in gt]
    print(f"\nRealism on the Dance-with-Melody test split ({n_songs} songs, first {args.seconds:g} s of each: "
          f"{min(secs):.1f}-{max(secs):.1f} s; {_seeds_text(args.seed)}, guidance "
          f"{'each checkpoint' if args.guidance is None else args.guidance}, steps "
          f"{'each checkpoint' if args.steps is None else args.steps}, velocity weight "
          f"{'each checkpoint' if args.velocity_weight is None else f'{args.velocity_weight:g}'}, "
          f"beat every {args.beat_every}{''.join(f', {k} {v}' for k, v in overrides.items())}); pool = training split "
          f"({ev.pool_count} dances), skeletons {', '.join(ev.skeletons)}\n")  # fmt: skip
    if len(args.seed) > 1:
        print(f"Each row: the median over the {len(args.seed)} seeds of each measure (FID_k range over the seeds in "
              f"brackets); GT and the static pose do not depend on the seed.\n")
    print("| row | FID_k | FID_g | Div_k | PFC | speed m/s | accel m/s^2 | foot skate m/s | val loss "
          "| gen s (median) | x real time |")
    print("|-----|------:|------:|------:|----:|----------:|------------:|---------------:|---------:"
          "|---------------:|------------:|")
    for key, s in summary.items():
        model_cols = (f"{s['val_loss']:.4f} | {s['wall_median']:.2f} | {s['x_real_time']:.1f}" if "val_loss" in s
                      else "- | - | -")  # fmt: skip
        spread = (f" ({_fmt(s['FID_k_min'], 1)}-{_fmt(s['FID_k_max'], 1)})"
                  if s.get("seeds", 1) > 1 else "")  # fmt: skip
        print(f"| {s['label']} | {_fmt(s['FID_k'], 2)}{spread} | {_fmt(s['FID_g'], 2)} | {_fmt(s['Div_k'], 2)} | "
              f"{_fmt(s['PFC'], 3)} | {s['speed']:.3f} | {s['accel']:.2f} | {s['skate']:.3f} | {model_cols} |")  # fmt: skip
    print(f"\nFID_k/FID_g/Div_k: protocol bailando (pool statistics, first {feat_s:g} s of each clip, quirks "
          f"kept; pool Div_k {ev.pool_diversity['bailando']['Div_k']:.2f}); PFC: protocol edge; speed/accel/foot "
          f"skate at {fps} fps, mean over songs (foot skate: horizontal foot speed within 5 cm of the floor).")
    print(f"val loss: test windows, fixed noise, the trainer's loss of the model's family (diffusion and GAN not "
          f"comparable). Generation timed per excerpt after a warm-up, on a SHARED CPU ({os.cpu_count()} cores, "
          f"torch {torch.get_num_threads()} threads): x real time = median of excerpt length / wall time.")
    print("random replay: " + "; ".join(replay_src))

    gt_s, rep_s = summary["gt"], summary["replay"]
    models = [k for k in summary if k.startswith("model")]
    checks = {k: issue4_targets(summary[k], gt_s, rep_s) for k in models}
    names = [t for t, _, _ in checks[models[0]]]
    print("\nIssue-4 targets (ratio to the real test dances of this run; PASS/FAIL)\n")
    heads = [columns[k] for k in models]
    print("| target | " + " | ".join(heads) + " |")
    print("|--------|" + "|".join("-" * (len(n) + 2) for n in heads) + "|")
    for i, t in enumerate(names):
        cells = [f"{'PASS' if checks[k][i][1] else 'FAIL'} ({checks[k][i][2]})" for k in models]
        print(f"| {t} | " + " | ".join(cells) + " |")
    print("| **all** | " + " | ".join(f"**{'PASS' if all(ok for _, ok, _ in checks[k]) else 'FAIL'}** "
                                      f"({sum(ok for _, ok, _ in checks[k])}/{len(names)})" for k in models) + " |")

    if args.json is not None:
        out = {"checkpoints": args.checkpoint, "seeds": args.seed, "seconds": args.seconds,
               "rows": {k: {**v, "column": columns.get(k)} for k, v in summary.items()}}  # fmt: skip
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=float))
        print(f"wrote {args.json}")

    if args.per_song:
        print("\nPer song (speed m/s, accel m/s^2, foot skate m/s at the model rate; PFC protocol edge)\n")
        print("| song | row | speed | accel | foot skate | PFC |")
        print("|------|-----|------:|------:|-----------:|----:|")
        for i, c in enumerate(gt):
            for r in ev.rows:
                sp, ac, sk = per_song[r.key][i]
                print(f"| {c.name} | {r.label} | {sp:.3f} | {ac:.2f} | {sk:.3f} | {_fmt(pfcs[r.key][i], 3)} |")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
