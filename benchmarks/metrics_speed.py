"""Speed of the metric features at AIST++ scale; prints one Markdown table.

Synthetic, AIST++-sized input: 1,320 sequences of 20 s at 60 fps (1,200 frames x 24 SMPL joints,
smooth random motion generated inside each worker from a seed, so memory stays small). Timed:
kinetic + geometric features under the ``bailando`` protocol (reference quirks) and under
``fixed``, then normalisation + FID + diversity over the 1,320 feature vectors.

Usage: python benchmarks/metrics_speed.py [--sequences 1320] [--frames 1200] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np


_REST: np.ndarray | None = None


def synthetic_sequence(seed: int, frames: int) -> np.ndarray:
    """Smooth random SMPL-24-like motion (frames, 24, 3) in metres: rest pose + low-frequency wiggles."""
    global _REST
    if _REST is None:
        from dancegen.motion.kinematics import forward_kinematics
        from dancegen.motion.skeleton import SMPL24, SMPL24_OFFSETS

        eye = np.broadcast_to(np.eye(3), (1, 24, 3, 3))
        _REST = forward_kinematics(eye, np.array([[0.0, 0.9, 0.0]]), SMPL24_OFFSETS, SMPL24.parents)[0]
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 60.0
    freqs = rng.uniform(0.3, 2.5, size=(24, 3))
    phases = rng.uniform(0, 2 * np.pi, size=(24, 3))
    amps = rng.uniform(0.01, 0.15, size=(24, 3))
    wiggle = amps * np.sin(2 * np.pi * freqs * t[:, None, None] + phases)
    root = np.stack([0.5 * np.sin(0.3 * t), 0.05 * np.sin(2 * t), 0.5 * np.cos(0.2 * t)], axis=-1)
    return _REST[None] + wiggle + root[:, None, :]


def features_chunk(args: tuple[list[int], int, str]) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(kinetic (n, 72), geometric (n, 32), seconds generating, seconds computing) for seeds."""
    seeds, frames, protocol = args
    from dancegen.metrics.geometric import geometric_features
    from dancegen.metrics.kinetic import kinetic_features
    from dancegen.metrics.protocols import PROTOCOLS, prepare_features_clip

    proto = PROTOCOLS[protocol]
    kin, geo = [], []
    gen_s = feat_s = 0.0
    for s in seeds:
        t0 = time.perf_counter()
        j = synthetic_sequence(s, frames)
        t1 = time.perf_counter()
        j = prepare_features_clip(j, 60.0, proto)
        kin.append(kinetic_features(j, 1.0 / proto.fps, accel_quirk=proto.accel_quirk))
        geo.append(geometric_features(j, tpf=proto.time_per_frame, move_quirk=proto.move_quirk))
        t2 = time.perf_counter()
        gen_s += t1 - t0
        feat_s += t2 - t1
    return np.stack(kin), np.stack(geo), gen_s, feat_s


def run(protocol: str, n: int, frames: int, workers: int) -> tuple[float, float, float, np.ndarray, np.ndarray]:
    chunks = [list(range(i, min(n, i + 40))) for i in range(0, n, 40)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(features_chunk, [(c, frames, protocol) for c in chunks]))
    wall = time.perf_counter() - t0
    kin = np.concatenate([r[0] for r in results])
    geo = np.concatenate([r[1] for r in results])
    gen_s = sum(r[2] for r in results)
    feat_s = sum(r[3] for r in results)
    return wall, gen_s, feat_s, kin, geo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=1320)
    ap.add_argument("--frames", type=int, default=1200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from dancegen.metrics.fid import diversity, fid, normalize

    rows = []
    feats = {}
    for protocol in ("bailando", "fixed"):
        wall, gen_s, feat_s, kin, geo = run(protocol, args.sequences, args.frames, args.workers)
        feats[protocol] = (kin, geo)
        rows.append((f"features, {protocol} protocol (kinetic 72 + geometric 32)", wall, feat_s, gen_s))
    t0 = time.perf_counter()
    kin, geo = feats["bailando"]
    for gt in (kin, geo):
        half = len(gt) // 2
        a, b = normalize(gt[:half], gt[half:])
        fid(b, a)
        diversity(b)
        diversity(a)
    rows.append(("normalise + FID + diversity (k and g), 660 vs 660", time.perf_counter() - t0, None, None))

    print(f"\nMetric speed: {args.sequences} sequences x {args.frames} frames at 60 fps (24 joints), "
          f"{args.workers} worker processes, {os.cpu_count()} CPUs visible\n")
    print("| stage | wall seconds | CPU seconds in features | CPU seconds making the motion |")
    print("|---|---:|---:|---:|")
    for name, wall, feat_s, gen_s in rows:
        f = "" if feat_s is None else f"{feat_s:.1f}"
        g = "" if gen_s is None else f"{gen_s:.1f}"
        print(f"| {name} | {wall:.1f} | {f} | {g} |")
    per_seq = rows[0][2] / args.sequences * 1000
    print(f"\nper sequence (bailando features only): {per_seq:.1f} ms of CPU")


if __name__ == "__main__":
    main()
