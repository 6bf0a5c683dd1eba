"""Perspective cameras that keep a dancer in frame for a whole motion.

World coordinates are metres, y-up; the dancer's front is +z, so the cameras stand on the +z side and
look towards -z (the dancer's left, +x, appears on the right of the image). Image coordinates are
pixels, continuous: ``(0, 0)`` is the top-left corner of the image, ``(size, size)`` the bottom-right,
``u`` to the right and ``v`` down.

``framing_camera`` builds a :class:`CameraPath` (one camera per motion frame, all with the same
focal length and downward tilt):

* ``"follow"``: the camera looks at a heavily smoothed root trajectory from a fixed distance, slightly
  from above. The distance is chosen once from the whole motion (the body plus margins fills about
  75% of the frame height, and every joint of every frame stays inside the frame), so nothing zooms.
* ``"orbit"``: like follow (same smoothed target, fixed distance, no zoom), but the camera also
  circles the dancer slowly (one turn every ``orbit_period_s`` seconds, 24 s by default), starting
  in front. The distance fits every joint of every frame as seen from that frame's angle.
* ``"fixed"``: one camera for all frames that sees every joint of every frame and the floor the
  dancer uses.

Follow and fixed cameras share one orientation (``CameraPath.rotation``); the orbit camera has one
per frame (``CameraPath.rotations``, (T, 3, 3)).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from dancegen.motion.skeleton import COMMON_JOINTS

CAMERA_MODES: tuple[str, ...] = ("follow", "orbit", "fixed")

#: Seconds per full turn of the orbit camera (15 degrees per second).
ORBIT_PERIOD_S = 24.0

_PELVIS = COMMON_JOINTS.index("pelvis")
_NEAR = 0.05  # metres: points closer to the camera plane than this are not projected


def _look_rotation(pitch_deg: float) -> np.ndarray:
    """World-to-camera rotation (3, 3) whose rows are the camera's right, down and forward axes.

    The camera looks towards -z, tilted down by ``pitch_deg`` degrees; right is +x.
    """
    th = np.deg2rad(pitch_deg)
    s, c = np.sin(th), np.cos(th)
    right = np.array([1.0, 0.0, 0.0])
    forward = np.array([0.0, -s, -c])
    down = np.cross(forward, right)
    return np.stack([right, down, forward])


def _yawed_rotations(base: np.ndarray, yaw_rad: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations of a camera turned about the world's vertical axis by ``yaw_rad`` (T,).

    Positive yaw moves a camera standing in front (+z) towards the dancer's left (+x).
    """
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    ry = np.zeros((yaw_rad.shape[0], 3, 3))
    ry[:, 0, 0], ry[:, 0, 2], ry[:, 1, 1], ry[:, 2, 0], ry[:, 2, 2] = c, s, 1.0, -s, c
    # R_t = base @ Ry(t)^T: un-turn the world, then look as the base camera does.
    return np.einsum("ij,tkj->tik", base, ry)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera for a square image.

    ``position`` (3,) metres; ``rotation`` (3, 3) world-to-camera, rows = right, down, forward;
    ``focal`` in pixels; ``size`` the image side in pixels (principal point at the image centre).
    """

    position: np.ndarray
    rotation: np.ndarray
    focal: float
    size: int

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project world points (..., 3) m to pixels (..., 2) and depths (..., ) m along the view axis.

        Points closer than 5 cm to the camera plane (or behind it) get NaN pixel coordinates.
        """
        cam = (np.asarray(points, np.float64) - self.position) @ self.rotation.T
        return _perspective(cam, self.focal, self.size)

    def unproject_to_floor(self, uv: np.ndarray, floor_y: float) -> np.ndarray:
        """World points (..., 3) where the rays through pixels ``uv`` (..., 2) meet the plane y = floor_y.

        NaN where a ray does not hit the floor in front of the camera (at or above the horizon).
        """
        uv = np.asarray(uv, np.float64)
        c = self.size / 2.0
        d_cam = np.stack([(uv[..., 0] - c) / self.focal, (uv[..., 1] - c) / self.focal, np.ones(uv.shape[:-1])], -1)
        d_world = d_cam @ self.rotation  # R^T d for row vectors
        dy = d_world[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = (floor_y - self.position[1]) / dy
        lam = np.where((dy < -1e-9) & (lam > 0), lam, np.nan)
        return self.position + lam[..., None] * d_world


def _perspective(cam: np.ndarray, focal: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    depth = cam[..., 2]
    ok = depth > _NEAR
    safe = np.where(ok, depth, 1.0)
    uv = focal * cam[..., :2] / safe[..., None] + size / 2.0
    uv = np.where(ok[..., None], uv, np.nan)
    return uv, depth


@dataclass(frozen=True)
class CameraPath:
    """One camera per motion frame, all sharing ``focal`` and ``size``.

    ``positions`` (T, 3) m camera centres; ``targets`` (T, 3) m the look-at points; ``rotation``
    (3, 3) the world-to-camera rotation (frame 0's when the camera turns); ``floor_y`` the floor
    height (m) the renderer draws; ``mode`` ``"follow"``, ``"orbit"`` or ``"fixed"``; ``rotations``
    (T, 3, 3) per-frame rotations of a turning (orbit) camera, None when all frames share
    ``rotation``.
    """

    positions: np.ndarray
    targets: np.ndarray
    rotation: np.ndarray
    focal: float
    size: int
    floor_y: float
    mode: str
    rotations: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def __getitem__(self, t: int) -> Camera:
        rot = self.rotation if self.rotations is None else self.rotations[t]
        return Camera(self.positions[t], rot, self.focal, self.size)

    def rotation_per_frame(self) -> np.ndarray:
        """(T, 3, 3) world-to-camera rotations, one per frame."""
        if self.rotations is not None:
            return self.rotations
        return np.broadcast_to(self.rotation, (len(self), 3, 3))

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """Per-frame world points (T, N, 3) m in each frame's camera coordinates (right, down, forward)."""
        rel = np.asarray(points, np.float64) - self.positions[:, None, :]
        if self.rotations is None:
            return rel @ self.rotation.T
        return np.einsum("tij,tnj->tni", self.rotations, rel)

    @property
    def pitch_deg(self) -> float:
        """Downward tilt of the view axis in degrees."""
        return float(np.rad2deg(np.arcsin(-self.rotation[2, 1])))

    def scaled(self, factor: float) -> CameraPath:
        """The same cameras for an image ``factor`` times larger (e.g. 2 for 2x supersampling)."""
        return CameraPath(
            self.positions, self.targets, self.rotation, self.focal * factor,
            int(round(self.size * factor)), self.floor_y, self.mode, self.rotations,
        )  # fmt: skip

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project per-frame world points (T, N, 3) m: pixels (T, N, 2) and depths (T, N) m.

        Vectorised over frames. Points closer than 5 cm to the camera plane get NaN pixels.
        """
        points = np.asarray(points, np.float64)
        if points.ndim != 3 or points.shape[0] != len(self) or points.shape[2] != 3:
            raise ValueError(f"points must be ({len(self)}, N, 3), got {points.shape}")
        return _perspective(self.to_camera(points), self.focal, self.size)

    def floor_grid(
        self, spacing: float = 0.5, radius: float = 6.0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The floor grid (lines every ``spacing`` m within ``radius`` m of each frame's target).

        Returns ``segments`` (T, K, 2, 2) pixel end points, ``depths`` (T, K, 2) m and ``valid``
        (T, K) bool (False for lines wholly behind the near clip or below the image bottom). Lines
        are world-fixed (constant x or constant z) and clipped to the part in front of the camera
        and above 1.15 image heights from the top, so they end just below the bottom edge.
        """
        T = len(self)
        n = int(np.ceil(radius / spacing))
        j = np.arange(-n, n + 1)
        tx, tz = self.targets[:, 0], self.targets[:, 2]
        xs = (np.round(tx / spacing)[:, None] + j) * spacing  # (T, K1) lines of constant x
        zs = (np.round(tz / spacing)[:, None] + j) * spacing  # (T, K2) lines of constant z
        k1, k2 = xs.shape[1], zs.shape[1]
        ends = np.empty((T, k1 + k2, 2, 3))
        ends[:, :k1, :, 0] = xs[:, :, None]
        ends[:, :k1, 0, 2] = (tz - radius)[:, None]
        ends[:, :k1, 1, 2] = (tz + radius)[:, None]
        ends[:, k1:, 0, 0] = (tx - radius)[:, None]
        ends[:, k1:, 1, 0] = (tx + radius)[:, None]
        ends[:, k1:, :, 2] = zs[:, :, None]
        ends[..., 1] = self.floor_y
        cam = self.to_camera(ends.reshape(T, -1, 3)).reshape(T, k1 + k2, 2, 3)
        a, b = cam[:, :, 0], cam[:, :, 1]
        # Keep g(p) >= 0 for both half-spaces: depth beyond 2 * near, and v <= 1.15 * size.
        k_bottom = (1.15 * self.size - self.size / 2.0) / self.focal
        u_lo = np.zeros((T, k1 + k2))
        u_hi = np.ones((T, k1 + k2))
        for ga, gb in ((a[..., 2] - 2 * _NEAR, b[..., 2] - 2 * _NEAR),
                       (k_bottom * a[..., 2] - a[..., 1], k_bottom * b[..., 2] - b[..., 1])):  # fmt: skip
            dg = gb - ga
            with np.errstate(divide="ignore", invalid="ignore"):
                u = -ga / dg
            entering = dg > 0  # outside at a, inside towards b: raises the lower bound
            leaving = dg < 0
            u_lo = np.where(entering, np.maximum(u_lo, u), u_lo)
            u_hi = np.where(leaving, np.minimum(u_hi, u), u_hi)
            parallel_out = (dg == 0) & (ga < 0)
            u_hi = np.where(parallel_out, -1.0, u_hi)
        valid = u_hi > u_lo + 1e-9
        u_lo_c = np.where(valid, u_lo, 0.0)[..., None]
        u_hi_c = np.where(valid, u_hi, 1.0)[..., None]
        clipped = np.stack([a + u_lo_c * (b - a), a + u_hi_c * (b - a)], axis=2)  # (T, K, 2, 3)
        uv, depth = _perspective(clipped, self.focal, self.size)
        valid &= np.isfinite(uv).all(axis=(2, 3))
        return uv, depth, valid


def _fill_nan_frames(x: np.ndarray) -> np.ndarray:
    """Fill frames of a (T, D) series whose values are not finite by linear interpolation."""
    ok = np.isfinite(x).all(axis=1)
    if ok.all():
        return x
    if not ok.any():
        return np.zeros_like(x)
    t = np.arange(x.shape[0])
    return np.stack([np.interp(t, t[ok], x[ok, d]) for d in range(x.shape[1])], axis=1)


def estimate_floor(joints: np.ndarray) -> float:
    """The floor height (m) under a motion (T, N, 3): a low percentile of the per-frame lowest joint.

    Robust to a few glitched frames; 2 cm below the lowest joint centres (which sit inside the feet).
    """
    y = joints[..., 1]
    if y.size == 0:
        return 0.0
    lowest = np.min(np.where(np.isfinite(y), y, np.inf), axis=1)
    lowest = lowest[np.isfinite(lowest)]
    if lowest.size == 0:
        return 0.0
    return float(np.percentile(lowest, 5) - 0.02)


def framing_camera(
    joints_common: np.ndarray,
    size: int,
    mode: str = "follow",
    *,
    fps: float = 30.0,
    pitch_deg: float | None = None,
    vfov_deg: float = 35.0,
    fill: float = 0.75,
    margin: float = 0.06,
    smooth_s: float = 1.0,
    orbit_period_s: float = ORBIT_PERIOD_S,
) -> CameraPath:
    """A camera path that keeps every joint of ``joints_common`` (T, N, 3) m, y-up, inside the frame.

    ``size`` is the square image side in pixels; ``mode`` ``"follow"`` (looks at the root trajectory
    low-passed with a Gaussian of ``smooth_s`` s at ``fps`` frames/s, from a fixed distance),
    ``"orbit"`` (the same, circling the dancer once every ``orbit_period_s`` seconds, starting in
    front) or ``"fixed"`` (one camera for the whole motion). ``pitch_deg`` tilts the view down
    (default 12 for follow and orbit, 20 for fixed, which looks down on the floor area from farther
    away), ``vfov_deg`` is
    the vertical field of view, ``fill`` the fraction of the frame height the body's overall vertical
    extent (floor to highest joint) should take, ``margin`` the fraction of the frame kept free on
    every side. The distance is the same for all frames (no zoom): the larger of the one giving
    ``fill`` and the smallest one that fits every joint of every frame inside the margins.
    The root is the common 'pelvis' (index 0) when N == 18, else the mean of the joints.
    """
    if mode not in CAMERA_MODES:
        raise ValueError(f"camera mode must be one of {', '.join(CAMERA_MODES)}, got {mode!r}")
    if size < 8:
        raise ValueError(f"image size must be at least 8 pixels, got {size}")
    if mode == "orbit" and not orbit_period_s > 0:
        raise ValueError(f"orbit_period_s must be positive, got {orbit_period_s}")
    if not 0.0 <= margin < 0.5 or not 0.0 < fill <= 1.0:
        raise ValueError(f"need 0 <= margin < 0.5 and 0 < fill <= 1, got margin={margin}, fill={fill}")
    joints = np.asarray(joints_common, np.float64)
    if joints.ndim != 3 or joints.shape[2] != 3:
        raise ValueError(f"joints must be (T, N, 3), got {joints.shape}")
    T = joints.shape[0]
    if pitch_deg is None:
        pitch_deg = 20.0 if mode == "fixed" else 12.0
    rotation = _look_rotation(pitch_deg)
    focal = (size / 2.0) / np.tan(np.deg2rad(vfov_deg) / 2.0)
    if T == 0:
        empty = np.zeros((0, 3))
        return CameraPath(empty, empty, rotation, float(focal), int(size), 0.0, mode)

    joints = np.where(np.isfinite(joints), joints, np.nan)
    if joints.shape[1] == len(COMMON_JOINTS):
        root = joints[:, _PELVIS, :]
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            root = np.nanmean(joints, axis=1)
    root = _fill_nan_frames(root)
    floor_y = estimate_floor(joints)
    finite = np.isfinite(joints).all(axis=2)
    if finite.any():
        top = float(np.max(joints[..., 1][finite]))
        x_all, z_all = joints[..., 0][finite], joints[..., 2][finite]
    else:
        top, x_all, z_all = floor_y + 1.7, root[:, 0], root[:, 2]
    top = max(top, floor_y + 0.5)  # a minimum vertical extent for degenerate motions
    y_mid = 0.5 * (floor_y + top)

    if mode in ("follow", "orbit"):
        sigma = max(smooth_s * fps, 1e-6)
        tx = gaussian_filter1d(root[:, 0], sigma, mode="nearest") if T > 1 else root[:, 0]
        tz = gaussian_filter1d(root[:, 2], sigma, mode="nearest") if T > 1 else root[:, 2]
        targets = np.stack([tx, np.full(T, y_mid), tz], axis=1)
    else:
        cx = 0.5 * (np.min(x_all) + np.max(x_all))
        cz = 0.5 * (np.min(z_all) + np.max(z_all))
        targets = np.tile([cx, y_mid, cz], (T, 1))

    # Points that must stay in frame: every joint, plus the root's shadow on the floor.
    shadow = np.stack([root[:, 0], np.full(T, floor_y), root[:, 2]], axis=1)[:, None, :]
    pts = np.concatenate([joints, shadow], axis=1)
    pts = np.where(np.isfinite(pts), pts, targets[:, None, :])
    rotations = None
    if mode == "orbit":
        yaw = 2.0 * np.pi * np.arange(T) / (fps * orbit_period_s)
        rotations = _yawed_rotations(rotation, yaw)
        backs = -rotations[:, 2, :]  # (T, 3) from each frame's target towards its camera
        q = np.einsum("tij,tnj->tni", rotations, pts - targets[:, None, :])
    else:
        backs = np.broadcast_to(-rotation[2], (T, 3))
        q = (pts - targets[:, None, :]) @ rotation.T
    # With the camera at target + d * back, a point's camera coordinates are q + (0, 0, d) where
    # q = R (p - target); it is inside the margins iff f |q_xy| <= h (q_z + d), h = (1/2 - margin) size,
    # so the smallest distance that fits every point is a closed-form maximum.
    h = (0.5 - margin) * size
    need = np.maximum(focal * np.abs(q[..., :2]).max(axis=-1) / h, 0.2) - q[..., 2]
    d_fit = float(need.max()) * (1.0 + 1e-9)
    d0 = focal * (top - floor_y) / (fill * size)
    dist = max(d0, d_fit)
    positions = targets + dist * backs
    return CameraPath(positions, targets, rotation, float(focal), int(size), floor_y, mode, rotations)
