"""The named evaluation protocols and the clip preparation each one prescribes.

========  ===================================================================================
bailando  FID_k, FID_g, Div_k, Div_g, BAS (Bailando, Lodge, most papers): 60 fps, root-anchored
          (first frame's root subtracted), features on the first 1200 frames (20 s), kinetic
          acceleration quirk, geometric time-per-frame 1/120 s, ``move`` quirk; BAS (Bailando
          variant) on the whole clip, as the reference's beat script reads it.
fact      BAS (FACT variant, FACT / POPDG): 60 fps, envelope minima of order 10, 120 seed frames
          skipped, averaged over motion beats.
edge      PFC (EDGE): 30 fps, z-up, 5-s clips.
fixed     FID_k, FID_g, Div_k, Div_g with the quirks corrected: true acceleration, true frame
          time (1/fps), ``move`` testing its fourth point; everything else as ``bailando``. Also
          BAS_fact with motion beats found at the motion's own frame rate (a 30-fps model
          upsampled linearly has speed plateaus of two equal frames, never strict minima).
music     ours (music responsiveness, ``music.py``): beat-hit rate (share of music beats with a
          Bailando motion beat within ±0.1 s, 60 fps) and energy following (Pearson r of the
          music's loudness and the mean joint speed, both Gaussian-smoothed, sigma 1 s).
========  ===================================================================================

Motions at another rate are resampled linearly to the protocol's rate first (30-fps models are
upsampled to 60 fps, 60-fps data downsampled to 30 fps for PFC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Frame rate at which music beats are tracked for BAS (both variants).
BEAT_FPS = 60
#: Shortest clip (s) any protocol accepts: EDGE's 5-s evaluation clip (FACT also skips 2 s of
#: seed motion; Bailando's velocity smoothing spans about 1 s).
MIN_SECONDS = 5.0


@dataclass(frozen=True)
class Protocol:
    """What a protocol computes and how it prepares clips."""

    name: str
    metrics: tuple[str, ...]
    fps: float
    root_anchor: bool = False
    max_frames: int | None = None
    accel_quirk: bool = True
    tpf: float | None = 1.0 / 120.0  # None: 1 / fps
    move_quirk: bool = True
    window_frames: int | None = None
    summary: str = ""

    @property
    def time_per_frame(self) -> float:
        """Seconds per frame of the geometric velocity tests."""
        return self.tpf if self.tpf is not None else 1.0 / self.fps


PROTOCOLS: dict[str, Protocol] = {
    "bailando": Protocol(
        "bailando", ("FID_k", "FID_g", "Div_k", "Div_g", "BAS"), fps=60.0, root_anchor=True, max_frames=1200,
        summary="reference (Bailando): 60 fps, root-anchored, first 1200 frames, kinetic/geometric quirks",
    ),
    "fact": Protocol("fact", ("BAS",), fps=60.0, summary="reference (FACT): BAS over motion beats, order 10, 120 seed frames skipped"),
    "edge": Protocol("edge", ("PFC",), fps=30.0, window_frames=150, summary="reference (EDGE): PFC on 5-s clips at 30 fps, z-up"),
    "fixed": Protocol(
        "fixed", ("FID_k", "FID_g", "Div_k", "Div_g", "BAS_fact"), fps=60.0, root_anchor=True, max_frames=1200,
        accel_quirk=False, tpf=None, move_quirk=False,
        summary="corrected: true acceleration, tpf = 1/fps, move tests its 4th point; FACT BAS at the motion's own rate",
    ),
    "music": Protocol(
        "music", ("beat_hit", "energy_r"), fps=60.0,
        summary="ours: beat-hit rate (music beats with a Bailando motion beat within ±0.1 s, 60 fps); "
        "energy following (r of loudness dB and joint speed, Gaussian sigma 1 s)",
    ),
}  # fmt: skip

DEFAULT_PROTOCOLS: tuple[str, ...] = ("bailando", "fact", "edge", "fixed", "music")


def resample_joints(joints: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Linear resampling of (T, ...) in time; the duration is kept: round(T * fps_out / fps_in) frames.

    Same convention as ``Motion.resample`` (frame 0 stays at t = 0, the last frame is held).
    """
    j = np.asarray(joints, dtype=np.float64)
    if abs(fps_in - fps_out) < 1e-9:
        return j
    t = j.shape[0]
    n_out = max(1, int(round(t * fps_out / fps_in)))
    pos = np.clip(np.arange(n_out) * (fps_in / fps_out), 0, t - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo).reshape((-1,) + (1,) * (j.ndim - 1))
    return j[lo] * (1 - w) + j[hi] * w


def prepare_features_clip(view: np.ndarray, fps: float, protocol: Protocol) -> np.ndarray:
    """SMPL-view joints (T, 24, 3) at ``fps`` -> what the protocol's features read.

    Resampled to the protocol's rate, root-anchored (the first frame's root subtracted from every
    joint of every frame) and cut to ``max_frames`` when the protocol says so.
    """
    j = resample_joints(view, fps, protocol.fps)
    if protocol.root_anchor:
        j = j - j[:1, :1, :]
    if protocol.max_frames is not None:
        j = j[: protocol.max_frames]
    return j
