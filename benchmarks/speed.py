"""Speed benchmark of the core pipeline on this machine; prints one table.

Measured in one run, on a 30-s synthetic song (the demo song's generator at 120 BPM):
- generation of 30 s of dance with the default checkpoint and the GAN (median of --repeats runs) and with a
  random-weight model of EDGE's published size (8 layers, d=512, one frame per token, 50 DDIM
  steps, guidance on), for the ratio;
- the whole ``dancegen dance`` command (load, features, generate, render 512x512, encode) as a
  subprocess, cold feature cache, with its peak memory (max RSS).

Usage: python benchmarks/speed.py [--repeats 3] [--edge-steps 50]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--edge-steps", type=int, default=50, help="DDIM steps of the EDGE-size model (50 = EDGE's)")
    ap.add_argument("--seconds", type=float, default=30.0, help="song length")
    args = ap.parse_args()

    import torch

    from dancegen.audio import extract_features
    from dancegen.checkpoint import Checkpoint, load_checkpoint
    from dancegen.config import ModelConfig
    from dancegen.demo_song import write_demo_song
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.models.diffusion import DanceDenoiser, count_parameters

    tmp = Path(tempfile.mkdtemp(prefix="dancegen-bench-"))
    os.environ["DANCEGEN_CACHE"] = str(tmp / "cache")
    song = write_demo_song(tmp / "song.wav", duration=args.seconds)
    feats = extract_features(song)
    rows = []

    for name in ("default", "gan"):
        ck = load_checkpoint(name)
        net = ck.build_model()
        generate_motion(ck, feats.features[:150], model=net)  # warm-up
        t = timed(lambda: generate_motion(ck, feats.features, GenerationSettings(seed=0), model=net), args.repeats)
        diffusion = ck.config.family == "diffusion"
        rows.append((f"{name} checkpoint ({ck.config.family})", f"{count_parameters(net) / 1e6:.1f} M",
                     ck.config.sample_steps if diffusion else "-", ck.config.guidance if diffusion else "-",
                     statistics.median(t), args.seconds / statistics.median(t)))
        if name == "default":
            ckpt, med = ck, statistics.median(t)

    edge_cfg = ModelConfig(d_model=512, num_heads=8, decoder_layers=8, music_layers=2, frames_per_token=1,
                           ff_mult=4, sample_steps=args.edge_steps, guidance=2.0)
    edge = DanceDenoiser(edge_cfg).eval()
    edge_ckpt = Checkpoint(edge_cfg, edge.state_dict(), ckpt.normalizer)
    te = timed(lambda: generate_motion(edge_ckpt, feats.features, GenerationSettings(seed=0), model=edge), 1)[0]
    rows.append(("EDGE size (random weights)", f"{count_parameters(edge) / 1e6:.1f} M", args.edge_steps, 2.0, te, args.seconds / te))

    out = tmp / "dance.mp4"
    cmd = [sys.executable, "-m", "dancegen", "dance", str(song), "-o", str(out), "--force", "--quiet"]
    walls = []
    for i in range(max(1, args.repeats - 1)):
        os.environ["DANCEGEN_CACHE"] = str(tmp / f"cache{i}")  # cold feature cache every run
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(f"\nSpeed on {os.cpu_count()} CPU cores, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.seconds:g}-s song\n")
    print(f"| {'generation (30 s of dance)':<28} | params | steps | guidance | seconds (median) | x real time |")
    print(f"|{'-' * 30}|--------|-------|----------|------------------|-------------|")
    for name, params, steps, g, sec, rt in rows:
        print(f"| {name:<28} | {params:>6} | {steps!s:>5} | {g!s:>8} | {sec:>16.3f} | {rt:>11.1f} |")
    print(f"\nratio EDGE-size / default: {te / med:.1f}x slower")
    print(f"\n| whole `dance` command, 512x512 | seconds (median of {len(walls)}) | x real time | peak memory (MB) |")
    print("|--------------------------------|------------|-------------|------------------|")
    wall = statistics.median(walls)
    print(f"| load+features+generate+render+encode | {wall:>10.2f} | {args.seconds / wall:>11.2f} | {peak_mb:>16.0f} |")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
