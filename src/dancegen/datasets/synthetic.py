"""A tiny synthetic music+dance dataset for fast tests (no real data needed).

``make_synthetic_dataset(root)`` writes, per sequence ``synth_<i>``, a click-and-tone WAV
(22,050 Hz) at a sequence-specific tempo and a ``dwm23`` motion ``.npz`` (30 fps) whose body bobs
down on every beat, sways its arms and hips with the beat phase and walks a slow circle, so the
motion depends on the music. ``dataset.json`` holds the train/test split and each tempo::

    <root>/dataset.json   {"format": "dancegen-synthetic", "version": 1, "fps": 30,
                           "splits": {"train": [...], "test": [...]}, "tempo": {name: bpm}}
    <root>/<name>.wav     <root>/<name>.npz
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dancegen.datasets.base import Sequence, register
from dancegen.errors import DatasetError, MotionFileError
from dancegen.motion.motion import Motion, load_motion, save_motion

SAMPLE_RATE = 22050
FPS = 30
MANIFEST = "dataset.json"
FORMAT = "dancegen-synthetic"

# A standing dwm23 body (metres, y-up, facing +z, x to the dancer's left).
_REST = np.array(
    [
        [0.00, 1.70, 0.02],  # 0 head_top
        [0.00, 1.58, 0.00],  # 1 head
        [0.00, 1.15, 0.00],  # 2 spine
        [-0.19, 1.45, 0.00],  # 3 right_shoulder
        [-0.21, 1.17, 0.00],  # 4 right_elbow
        [-0.23, 0.93, 0.02],  # 5 right_forearm
        [-0.24, 0.85, 0.03],  # 6 right_hand
        [-0.10, 0.95, 0.00],  # 7 right_hip
        [-0.10, 0.52, 0.01],  # 8 right_knee
        [-0.10, 0.09, 0.00],  # 9 right_ankle
        [-0.10, 0.03, -0.05],  # 10 right_heel
        [-0.10, 0.02, 0.14],  # 11 right_toe
        [0.19, 1.45, 0.00],  # 12 left_shoulder
        [0.21, 1.17, 0.00],  # 13 left_elbow
        [0.23, 0.93, 0.02],  # 14 left_forearm
        [0.24, 0.85, 0.03],  # 15 left_hand
        [0.10, 0.95, 0.00],  # 16 left_hip
        [0.10, 0.52, 0.01],  # 17 left_knee
        [0.10, 0.09, 0.00],  # 18 left_ankle
        [0.10, 0.03, -0.05],  # 19 left_heel
        [0.10, 0.02, 0.14],  # 20 left_toe
        [0.06, 1.00, -0.10],  # 21 marker_21
        [-0.06, 1.00, -0.10],  # 22 marker_22
    ]
)
_UPPER = [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 21, 22]
_KNEES = [8, 17]
_RIGHT_ARM, _LEFT_ARM = [4, 5, 6], [13, 14, 15]


def _rot_z(angle: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    z, o = np.zeros_like(angle), np.ones_like(angle)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1), np.stack([z, z, o], -1)], -2)


def synthetic_motion(bpm: float, seconds: float, fps: float = FPS, bob: float = 0.05) -> np.ndarray:
    """dwm23 joints (T, 23, 3), metres, driven by a beat at ``bpm``: down ``bob`` m on each beat."""
    t = np.arange(int(round(seconds * fps))) / fps
    phase = t * bpm / 60.0  # beats; integer at each beat
    joints = np.repeat(_REST[None], len(t), axis=0)
    down = bob * (1 + np.cos(2 * np.pi * phase)) / 2  # deepest on the beat
    joints[:, _UPPER, 1] -= down[:, None]
    joints[:, _KNEES, 1] -= down[:, None] / 2
    sway = np.sin(np.pi * phase)  # one side per beat
    for arm, shoulder, sign in ((_LEFT_ARM, 12, 1.0), (_RIGHT_ARM, 3, -1.0)):
        angle = sign * (0.5 + 0.4 * sway)
        rel = joints[:, arm] - joints[:, [shoulder]]
        joints[:, arm] = joints[:, [shoulder]] + np.einsum("tij,tkj->tki", _rot_z(angle), rel)
    # hips sway with the beat; the body walks a slow circle (one lap per 16 beats)
    lap = 2 * np.pi * phase / 16
    joints[:, :, 0] += (0.05 * sway + 0.4 * np.sin(lap))[:, None]
    joints[:, :, 2] += (0.4 * (1 - np.cos(lap)))[:, None]
    return joints.astype(np.float32)


def synthetic_audio(bpm: float, seconds: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 click track at ``bpm`` (accented every 4th beat) over a quiet 220 Hz tone."""
    n = int(round(seconds * sr))
    t = np.arange(n) / sr
    y = 0.05 * np.sin(2 * np.pi * 220.0 * t)
    click_n = int(0.03 * sr)
    ct = np.arange(click_n) / sr
    for k, beat in enumerate(np.arange(0.0, seconds, 60.0 / bpm)):
        a = int(round(beat * sr))
        b = min(n, a + click_n)
        freq, amp = (1500.0, 0.8) if k % 4 == 0 else (1000.0, 0.5)
        y[a:b] += amp * np.sin(2 * np.pi * freq * ct[: b - a]) * np.exp(-ct[: b - a] / 0.008)
    return np.clip(y, -1, 1).astype(np.float32)


def make_synthetic_dataset(root: Path, num_sequences: int = 6, seconds: float = 8.0, seed: int = 0) -> Path:
    """Write a synthetic dataset into folder ``root`` (created if needed) and return ``root``.

    Tempos are drawn from 90-150 BPM with ``seed``; every third sequence (synth_02, synth_05, ..)
    is test, the rest train.
    """
    import soundfile as sf

    if num_sequences < 1 or seconds <= 0:
        raise ValueError("need num_sequences >= 1 and seconds > 0")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    choices = np.arange(90, 151, 2)
    tempos = rng.choice(choices, num_sequences, replace=num_sequences > len(choices))
    splits: dict[str, list[str]] = {"train": [], "test": []}
    tempo: dict[str, float] = {}
    for i, bpm in enumerate(tempos):
        name = f"synth_{i:02d}"
        sf.write(root / f"{name}.wav", synthetic_audio(float(bpm), seconds), SAMPLE_RATE, subtype="PCM_16")
        save_motion(Motion(synthetic_motion(float(bpm), seconds), FPS, "dwm23"), root / f"{name}.npz")
        splits["test" if i % 3 == 2 else "train"].append(name)
        tempo[name] = float(bpm)
    manifest = {"format": FORMAT, "version": 1, "fps": FPS, "splits": splits, "tempo": tempo}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return root


@register("synthetic")
def load_synthetic(root: Path, split: str = "train") -> list[Sequence]:
    """The sequences of ``split`` of a folder written by ``make_synthetic_dataset`` (30 fps)."""
    root = Path(root)
    path = root / MANIFEST
    if not path.is_file():
        raise DatasetError(f"{root}: not a synthetic dataset folder ({MANIFEST} missing).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        splits = {k: [str(n) for n in v] for k, v in manifest["splits"].items()}
        tempo = {str(k): float(v) for k, v in manifest.get("tempo", {}).items()}
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format is {manifest.get('format')!r}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise DatasetError(f"{path}: not a valid synthetic dataset manifest ({err}).") from None
    names = sorted({n for v in splits.values() for n in v}) if split == "all" else splits.get(split, [])
    seqs = []
    for name in names:
        try:
            motion = load_motion(root / f"{name}.npz")
        except MotionFileError as err:
            raise DatasetError(str(err)) from None
        wav = root / f"{name}.wav"
        seqs.append(
            Sequence(name, motion, wav if wav.is_file() else None, 0.0, tempo.get(name), "synthetic")
        )
    return seqs
