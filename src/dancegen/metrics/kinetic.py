"""Kinetic features (AIST++ API / Bailando): 3 numbers per joint, vectorised over frames.

For joint positions p (T, J, 3) and each frame i = 1..T-1, with the window K(i) = {i-w .. i+w}:

- velocity v(i) = (sum of p[k] - p[k-1] over k in K(i), 1 <= k <= T-1) / (count * dt), m/s;
- horizontal kinetic energy = sum_i |v_h(i)|^2 / (T-1) (the two non-up components), vertical
  = sum_i v_up(i)^2 / (T-1);
- acceleration a(k) = (v2 - v1) / dt for 1 <= k <= T-2, with v2 = (p[k+1] - p[k]) / dt and
  v1 = (p[k] - p[k-1]) / dt; energy expenditure = sum_i |mean of a(k) over k in K(i)| / (T-1).

``accel_quirk=True`` copies the reference's operator-precedence bug v1 = p[k] - p[k-1] / dt,
which makes the energy expenditure depend on absolute position (hence root anchoring). Output per
joint: [horizontal KE, vertical KE, energy expenditure], joint-major, float32 like the reference.
"""

from __future__ import annotations

import numpy as np

#: Half-width (frames) of the reference's sliding window.
WINDOW = 2


def kinetic_features(
    joints: np.ndarray,
    frame_time: float = 1.0 / 60.0,
    window: int = WINDOW,
    up_axis: int = 1,
    accel_quirk: bool = True,
) -> np.ndarray:
    """Kinetic features (..., 3 J) float32 of joint positions (..., T, J, 3) in metres, T >= 3.

    ``frame_time`` is seconds per frame (1/60 in the reference), ``up_axis`` the index of the
    vertical axis (1 for y-up). Loops run over the 2 w + 1 window offsets, never over frames.
    """
    p = np.asarray(joints, dtype=np.float64)
    if p.ndim < 3 or p.shape[-1] != 3:
        raise ValueError(f"joints must be (..., T, J, 3), got {p.shape}")
    t = p.shape[-3]
    if t < 3:
        raise ValueError(f"kinetic features need at least 3 frames, got {t}")
    dt = float(frame_time)
    d = p[..., 1:, :, :] - p[..., :-1, :, :]  # d[k-1] = p[k] - p[k-1], k = 1..T-1
    if accel_quirk:
        v1 = p[..., 1:-1, :, :] - p[..., :-2, :, :] / dt  # k = 1..T-2
    else:
        v1 = d[..., :-1, :, :] / dt
    v2 = d[..., 1:, :, :] / dt
    acc = (v2 - v1) / dt  # acc[k-1], k = 1..T-2

    # Row r of the sums is frame i = r + 1; offset j adds the contiguous rows whose k = i + j is valid.
    vel_sum = np.zeros_like(d)
    vel_cnt = np.zeros(t - 1)
    acc_sum = np.zeros_like(d)
    acc_cnt = np.zeros(t - 1)
    for j in range(-window, window + 1):
        lo, hi = max(1, 1 - j), min(t - 1, t - 1 - j)  # frames i with 1 <= i + j <= T-1
        if lo <= hi:
            vel_sum[..., lo - 1 : hi, :, :] += d[..., lo - 1 + j : hi + j, :, :]
            vel_cnt[lo - 1 : hi] += 1
        lo, hi = max(1, 1 - j), min(t - 1, t - 2 - j)  # frames i with 1 <= i + j <= T-2
        if lo <= hi:
            acc_sum[..., lo - 1 : hi, :, :] += acc[..., lo - 1 + j : hi + j, :, :]
            acc_cnt[lo - 1 : hi] += 1
    vel = vel_sum / (vel_cnt[:, None, None] * dt)
    flat = [a for a in range(3) if a != up_axis]
    ke_h = np.sum(vel[..., flat] ** 2, axis=-1).sum(axis=-2) / (t - 1)  # (..., J)
    ke_v = (vel[..., up_axis] ** 2).sum(axis=-2) / (t - 1)
    acc_mean = acc_sum / acc_cnt[:, None, None]
    energy = np.linalg.norm(acc_mean, axis=-1).sum(axis=-2) / (t - 1)
    out = np.stack([ke_h, ke_v, energy], axis=-1)  # (..., J, 3)
    return out.reshape(*out.shape[:-2], -1).astype(np.float32)
