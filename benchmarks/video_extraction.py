"""Speed and memory of ``prepare-videos`` (decode + pose + tracking + cleaning + writing); markdown tables.

Test clip: the real multi-person video ``../shared/data/video/vtest.avi`` (768x576, 10 fps) scaled
to 640x480, frame rate raised to 30 fps (frames repeated) and looped to 3 minutes, with a 440 Hz
AAC track muxed in (so audio extraction is measured too). Without the real data a synthetic clip
(noise, nobody in it) is used and the numbers are those of the person search, said so.

Each measurement runs in a fresh Python process (``--worker``) so its peak memory is its own:
``ru_maxrss`` of the process (Python + MediaPipe) and of its largest child (ffmpeg). Runs on the
first 300 and 1200 frames and on the whole 3-minute clip (5400 frames) show whether memory grows
with the length of the video (it should not: frames are streamed one at a time and only ~1 KB of
landmarks per frame is kept).

Usage: python benchmarks/video_extraction.py [--quick]   (--quick: 300 and 1200 frames only)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
SECONDS = 180
FPS = 30


def make_clip(path: Path) -> str:
    """Write the 640x480, 30 fps, 3-minute test clip with audio; returns a description."""
    from dancegen.render.video import ffmpeg_exe

    if VTEST.is_file():
        src = ["-stream_loop", "-1", "-i", str(VTEST)]
        desc = "vtest.avi (several people walking) scaled to 640x480, 30 fps, looped"
    else:
        src = ["-f", "lavfi", "-i", f"nullsrc=s=640x480:r={FPS},geq=random(1)*255:128:128"]
        desc = "synthetic noise (nobody in view: person search only)"
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *src,
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
           "-map", "0:v:0", "-map", "1:a:0", "-vf", f"scale=640:480,fps={FPS}", "-t", str(SECONDS),
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac",
           str(path)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return desc


def worker(clip: Path, frames: int, mode: str) -> dict:
    """One measurement in this process: decode only, or the whole preparation of ``frames`` frames."""
    from dancegen.videos.decode import FrameReader, probe

    info = probe(clip)
    t0 = time.perf_counter()
    if mode == "decode":
        with FrameReader(info, max_frames=frames) as reader:
            n = sum(1 for _ in reader)
        report = None
    else:
        from dancegen.videos.clean import CleanSettings
        from dancegen.videos.prepare import prepare_video

        with tempfile.TemporaryDirectory() as out:
            report = prepare_video(clip, "clip", Path(out), CleanSettings(), max_frames=frames)
        n = report["frames"]
    secs = time.perf_counter() - t0
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB (Linux)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {"frames": n, "seconds": secs, "fps": n / secs, "peak_mib": me, "ffmpeg_peak_mib": kids}
    if report is not None:
        out["kept"] = report["kept"] + report["interpolated"]
        out["motion_s"] = report["final_duration_s"]
    return out


def run(clip: Path, frames: int, mode: str) -> dict:
    res = subprocess.run([sys.executable, __file__, "--worker", str(clip), str(frames), mode],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 and 1200 frames only (no 3-minute run)")
    ap.add_argument("--worker", nargs=3, metavar=("CLIP", "FRAMES", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        clip, frames, mode = args.worker
        print(json.dumps(worker(Path(clip), int(frames), mode)))
        return
    sizes = [300, 1200] if args.quick else [300, 1200, SECONDS * FPS]
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip_640x480.mp4"
        desc = make_clip(clip)
        print(f"\nclip: {desc}; {SECONDS} s, {SECONDS * FPS} frames, with audio")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
              f"MediaPipe Pose model_complexity=1 on CPU\n")  # fmt: skip
        dec = run(clip, SECONDS * FPS, "decode")
        print(f"decode only (640x480 RGB over the ffmpeg pipe): {dec['fps']:.0f} frames/s, "
              f"peak {dec['peak_mib']:.0f} MiB (+ ffmpeg {dec['ffmpeg_peak_mib']:.0f} MiB)\n")  # fmt: skip
        print("| frames | video (s) | wall (s) | frames/s | x real time | kept frames | motion (s) | peak memory (MiB) | ffmpeg peak (MiB) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n in sizes:
            r = run(clip, n, "prepare")
            print(f"| {r['frames']} | {r['frames'] / FPS:.0f} | {r['seconds']:.1f} | {r['fps']:.1f} | "
                  f"{r['fps'] / FPS:.2f} | {r['kept']} | {r['motion_s']:.1f} | {r['peak_mib']:.0f} | "
                  f"{r['ffmpeg_peak_mib']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
