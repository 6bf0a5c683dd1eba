"""Temporal smoothing of generated joint positions: an optional, measured last step of generation.

A Gaussian low-pass along time (zero phase: no lag, the accents stay where they are) of every
joint's position. It removes frame-to-frame jitter the model leaves, at the cost of a little
sharpness. Its effect on the realism measures is in docs/MODEL_CARD.md ("Smoothing", measured
with ``python benchmarks/quality.py --smooth ...``); it is never a substitute for training.

Frames that an edit pins (keyframes, continuation, in-betweening) keep their values: the
smoothing fades out towards them over ``PIN_FADE_S``, so the pins stay exact and their borders
stay continuous.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter1d

T = TypeVar("T")

#: Seconds over which smoothing fades in next to a pinned frame.
PIN_FADE_S = 0.2
#: A sigma below this many frames changes nothing measurable: the joints are returned as they are.
MIN_SIGMA_FRAMES = 0.05


def smooth_joints(joints: np.ndarray, fps: float, sigma_s: float, pinned: np.ndarray | None = None) -> np.ndarray:
    """Gaussian-smoothed copy of joint positions (T, J, 3), metres, along time.

    ``sigma_s``: the Gaussian's standard deviation in seconds (0 = unchanged copy); the ends are
    padded by repeating the first/last frame. ``pinned`` (T,) bool: frames kept exactly, the
    smoothing faded in with a smoothstep over ``PIN_FADE_S`` seconds away from them.
    """
    if sigma_s < 0 or not np.isfinite(sigma_s):
        raise ValueError(f"smoothing sigma must be a finite number of seconds >= 0, got {sigma_s}")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    joints = np.asarray(joints)
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f"joints must be (T, J, 3), got {joints.shape}")
    if pinned is not None:
        pinned = np.asarray(pinned, bool)
        if pinned.shape != (joints.shape[0],):
            raise ValueError(f"pinned must be ({joints.shape[0]},) bool, got {pinned.shape}")
    out = joints.astype(np.float64, copy=True)
    sigma = sigma_s * fps
    if sigma < MIN_SIGMA_FRAMES or joints.shape[0] < 2:
        return out.astype(joints.dtype)
    smoothed = gaussian_filter1d(out, sigma, axis=0, mode="nearest")
    if pinned is None or not pinned.any():
        return smoothed.astype(joints.dtype)
    weight = _pin_weight(pinned, fps)
    out = out + weight[:, None, None] * (smoothed - out)
    return out.astype(joints.dtype)


def smoothstep(u: T) -> T:
    """3u^2 - 2u^3 of u in [0, 1] (a numpy array or torch tensor): 0 -> 0, 1 -> 1, flat at both ends."""
    return u * u * (3 - 2 * u)


def _pin_weight(pinned: np.ndarray, fps: float) -> np.ndarray:
    """(T,) 0 on the pinned frames (T,) bool (at least one), rising with a smoothstep to 1 at
    ``PIN_FADE_S`` seconds from the nearest one."""
    u = np.clip(distance_transform_edt(~pinned) / max(1.0, PIN_FADE_S * fps), 0.0, 1.0)
    return smoothstep(u)
