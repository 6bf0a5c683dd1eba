"""Helpers for the video tests: synthetic videos (numpy + write_video) and a synthetic pose track."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from dancegen.render.video import ffmpeg_exe, write_video
from dancegen.videos.clean import KEPT, NO_PERSON, Track
from dancegen.videos.skeleton import MEDIAPIPE_JOINTS

VTEST = "video/vtest.avi"


def tone_wav(path: Path, seconds: float, sr: int = 22050, freq: float = 440.0) -> Path:
    """A mono sine WAV of ``seconds`` seconds."""
    import soundfile as sf

    t = np.arange(int(round(seconds * sr))) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr, subtype="PCM_16")
    return path


def make_video(path: Path, frames: int = 30, size: tuple[int, int] = (64, 48), fps: float = 30.0,
               audio: bool = False, image: np.ndarray | None = None, shift: int = 0) -> Path:  # fmt: skip
    """An H.264 MP4: coloured noise-free frames whose red channel encodes the frame index, or
    ``image`` (resized by cropping) panned by ``shift`` pixels per frame; optional 440 Hz audio."""
    w, h = size

    def gen():
        for i in range(frames):
            if image is None:
                f = np.zeros((h, w, 3), np.uint8)
                f[..., 0] = (i * 8) % 256
                f[..., 1] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
                f[..., 2] = 90
            else:
                dx = (i * shift) % max(1, image.shape[1] - w + 1)
                f = np.ascontiguousarray(image[:h, dx : dx + w])
            yield f

    wav = tone_wav(path.with_suffix(".wav"), frames / fps + 0.5) if audio else None
    write_video(gen(), path, fps=fps, size=size, audio_path=wav, num_frames=frames)
    if wav is not None:
        wav.unlink()
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def body_points(t: np.ndarray) -> np.ndarray:
    """A 33-landmark standing body in metres, y-up, facing the camera (+z), feet at y = 0, that
    bobs 5 cm at 2 Hz and walks sideways at 0.5 m/s: (T, 33, 3)."""
    base = np.zeros((33, 3))
    named = {
        "nose": (0, 1.62, 0.08), "left_eye_inner": (0.02, 1.66, 0.07), "left_eye": (0.035, 1.66, 0.07),
        "left_eye_outer": (0.05, 1.66, 0.06), "right_eye_inner": (-0.02, 1.66, 0.07),
        "right_eye": (-0.035, 1.66, 0.07), "right_eye_outer": (-0.05, 1.66, 0.06),
        "left_ear": (0.08, 1.63, 0.0), "right_ear": (-0.08, 1.63, 0.0), "left_mouth": (0.025, 1.56, 0.07),
        "right_mouth": (-0.025, 1.56, 0.07), "left_shoulder": (0.19, 1.45, 0.0),
        "right_shoulder": (-0.19, 1.45, 0.0), "left_elbow": (0.22, 1.17, 0.0), "right_elbow": (-0.22, 1.17, 0.0),
        "left_wrist": (0.24, 0.9, 0.03), "right_wrist": (-0.24, 0.9, 0.03), "left_pinky": (0.25, 0.82, 0.03),
        "right_pinky": (-0.25, 0.82, 0.03), "left_index": (0.24, 0.81, 0.05), "right_index": (-0.24, 0.81, 0.05),
        "left_thumb": (0.22, 0.84, 0.06), "right_thumb": (-0.22, 0.84, 0.06), "left_hip": (0.1, 0.95, 0.0),
        "right_hip": (-0.1, 0.95, 0.0), "left_knee": (0.1, 0.52, 0.02), "right_knee": (-0.1, 0.52, 0.02),
        "left_ankle": (0.1, 0.09, 0.0), "right_ankle": (-0.1, 0.09, 0.0), "left_heel": (0.1, 0.03, -0.05),
        "right_heel": (-0.1, 0.03, -0.05), "left_foot_index": (0.1, 0.0, 0.14),
        "right_foot_index": (-0.1, 0.0, 0.14),
    }  # fmt: skip
    for k, name in enumerate(MEDIAPIPE_JOINTS):
        base[k] = named[name]
    j = np.repeat(base[None], len(t), axis=0)
    upper = [i for i, n in enumerate(MEDIAPIPE_JOINTS) if "ankle" not in n and "heel" not in n and "foot" not in n]
    j[:, upper, 1] -= (0.05 * (1 - np.cos(2 * np.pi * 2.0 * t)) / 2)[:, None]
    j[:, :, 0] += (0.5 * t)[:, None]
    return j


def synthetic_track(times: np.ndarray, width: int = 640, height: int = 480, distance: float = 4.0,
                    fov: float = 60.0, lost: slice | None = None) -> tuple[Track, np.ndarray]:  # fmt: skip
    """A Track as MediaPipe would report ``body_points`` seen by a level pinhole camera 1 m high,
    ``distance`` m away (focal length from ``fov`` over the longer side); frames of ``lost``
    have nobody. Returns (track, the true joints (T, 33, 3) y-up)."""
    from dancegen.videos.clean import focal_length

    joints = body_points(times)
    cam = joints.copy()
    cam[..., 0] -= 1.0  # camera-centred x: the body starts 1 m to the image's left
    cam[..., 1] = 1.0 - joints[..., 1]  # camera axes: y down, camera 1 m above the floor
    cam[..., 2] = distance - joints[..., 2]  # z away from the camera; the body faces it
    f = focal_length(width, height, fov)
    u = f * cam[..., 0] / cam[..., 2] + width / 2
    v = f * cam[..., 1] / cam[..., 2] + height / 2
    image = np.stack([u / width, v / height], -1).astype(np.float32)
    hip = cam[:, [23, 24]].mean(1, keepdims=True)
    world = (cam - hip).astype(np.float32)
    track = Track.empty(times, width, height)
    track.status[:] = KEPT
    track.image[:], track.world[:] = image, world
    track.visibility[:] = 0.95
    if lost is not None:
        track.status[lost] = NO_PERSON
        track.image[lost] = np.nan
        track.world[lost] = np.nan
        track.visibility[lost] = 0.0
    return track, joints
