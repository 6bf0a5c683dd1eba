"""The gallery stills of README.md and docs/RENDERING.md: one frame of the default model's dance to
the 12-s demo song in every built-in style.

The demo song (``dancegen demo-song --duration 12``) is danced by --checkpoint (seed --seed, its
default settings, as ``dancegen generate`` would), and frame --frame is drawn at --size px with each
style's own music cues (beats and loudness of the song), the follow camera, plus ``art_orbit.png``
with the orbit camera.

Usage: python benchmarks/gallery.py [--out docs/gallery] [--checkpoint default] [--seed 0]
       [--frame 196] [--size 384]
"""

from __future__ import annotations

import argparse
import tempfile
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: (file name, style, camera) of each still.
STILLS = (("art", "art", "follow"), ("neon", "neon", "follow"), ("skeleton", "skeleton", "follow"),
          ("openpose", "openpose", "follow"), ("art_orbit", "art", "orbit"))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "gallery"))
    ap.add_argument("--checkpoint", default="default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frame", type=int, default=196)
    ap.add_argument("--size", type=int, default=384)
    args = ap.parse_args()

    from PIL import Image

    from dancegen.demo_song import write_demo_song
    from dancegen.generate import GenerationSettings, dance_to_song
    from dancegen.render.music import audio_energy
    from dancegen.render.styles import style_frames

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        song = write_demo_song(Path(tmp) / "demo.wav", duration=12.0)
        motion, feats = dance_to_song(song, args.checkpoint, GenerationSettings(seed=args.seed))
        if not 0 <= args.frame < motion.num_frames:
            raise SystemExit(f"--frame must be below {motion.num_frames}")
        energy = audio_energy(song, motion.num_frames, motion.fps)
        for name, style, camera in STILLS:
            frames = style_frames(motion, style, args.size, camera, feats.beat_times, energy=energy)
            frame = next(islice(frames, args.frame, None))
            Image.fromarray(frame).save(out / f"{name}.png", optimize=True)
            print(f"wrote {out / f'{name}.png'}")


if __name__ == "__main__":
    main()
