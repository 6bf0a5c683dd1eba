"""Per-frame detections of one video -> clean motion pieces at the model fps, and a report.

Rules, in order (thresholds are ``CleanSettings`` fields; docs/VIDEOS.md lists the defaults):

1. **Confidence.** A tracked frame is usable when the mean visibility of the 12 main body joints
   (shoulders, elbows, wrists, hips, knees, ankles) is at least ``min_visibility``; otherwise
   ``low_confidence``. Frames without the tracked person are ``no_person`` / ``other_person``.
2. **Root translation.** MediaPipe's world landmarks are metres around the hip centre; the hip
   centre's position relative to the camera is solved per frame by least squares from the 2-D
   landmarks (pinhole camera, principal point at the image centre, focal length from ``fov_deg``
   over the longer side, landmarks weighted by visibility). Sideways and vertical motion hardly
   depend on the assumed focal length; depth scales with it. A solution less than 0.3 m in front
   of the camera is ``implausible``.
3. **Axes.** Camera axes (x right, y down, z away) become y-up (x, -y, -z): a dancer facing the
   camera faces +z with their left at +x. The camera's tilt is removed by the rotation that makes
   the video's mean body axis (ankle centre -> shoulder centre) vertical.
4. **Gaps and cuts.** Unusable frames between usable ones are interpolated when the two usable
   frames around them are at most ``max_gap_s`` apart; a longer gap cuts the video into pieces. A
   jump of the torso centre larger than (0.5 + 6 x dt) torso lengths between usable frames dt
   seconds apart (somebody else picked up after an occlusion) also cuts. Leading and trailing
   unusable frames are dropped. Pieces shorter than ``min_piece_s`` (default: one 5-s training
   window) are discarded (``short_piece``).
5. **Resampling and smoothing.** Each piece is resampled linearly at the frames' own timestamps
   (variable frame rates included) to ``fps``. The depth of the root (noisy: it comes from the
   person's size in pixels) is median-filtered over ``depth_median_s`` and smoothed over
   ``depth_smooth_s``, and the sideways / vertical root position solved again with it. The joints
   are then smoothed with a Savitzky-Golay filter (``smooth_s`` window, cubic): a centred,
   zero-phase filter, so the motion does not lag.
6. **Floor and centre.** The slowly varying floor (``datasets.base.drifting_floor`` over
   ``floor_window_s``: the 10th percentile of the lowest joint) is subtracted so the feet touch
   y = 0 even where the ground slopes or the tilt estimate is off; the piece's median pelvis
   position is moved to x = z = 0.

Every frame ends up with one ``STATUS``: kept, interpolated or the reason it was dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from dancegen.motion.motion import Motion
from dancegen.videos.skeleton import BODY12, MEDIAPIPE33

#: Final per-frame status codes (index = code).
STATUS: tuple[str, ...] = (
    "kept", "interpolated", "no_person", "other_person", "low_confidence", "implausible", "short_piece",
)  # fmt: skip
KEPT, INTERPOLATED, NO_PERSON, OTHER_PERSON, LOW_CONFIDENCE, IMPLAUSIBLE, SHORT_PIECE = range(len(STATUS))

_SHOULDERS, _HIPS, _ANKLES = [11, 12], [23, 24], [27, 28]


@dataclass
class CleanSettings:
    """Thresholds of the cleaning rules (seconds, [0, 1] visibility, degrees)."""

    min_visibility: float = 0.5
    max_gap_s: float = 0.25
    min_piece_s: float = 5.0
    smooth_s: float = 0.3
    polyorder: int = 3
    fps: int = 30
    fov_deg: float = 60.0
    depth_median_s: float = 0.3
    depth_smooth_s: float = 1.0
    floor_window_s: float = 2.0
    jump_lengths: float = 0.5
    jump_lengths_per_s: float = 6.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Track:
    """Raw per-frame results for one video (N frames).

    ``times`` (N,) s; ``status`` (N,) int8 detection status (KEPT = tracked, NO_PERSON,
    OTHER_PERSON); ``image`` (N, 33, 2) landmarks normalised to the frame (x right, y down), NaN
    without a detection; ``visibility`` (N, 33) in [0, 1]; ``world`` (N, 33, 3) metres, MediaPipe
    world axes (x right, y down, z away, origin at the hip centre), NaN without a detection;
    ``width`` x ``height`` the displayed frame size in pixels.
    """

    times: np.ndarray
    status: np.ndarray
    image: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    width: int
    height: int

    @property
    def num_frames(self) -> int:
        return int(self.times.shape[0])

    @classmethod
    def empty(cls, times: np.ndarray, width: int, height: int) -> Track:
        """A track of ``len(times)`` frames with nobody detected (to be filled frame by frame)."""
        n = len(times)
        return cls(
            times=np.asarray(times, np.float64), status=np.full(n, NO_PERSON, np.int8),
            image=np.full((n, 33, 2), np.nan, np.float32), visibility=np.zeros((n, 33), np.float32),
            world=np.full((n, 33, 3), np.nan, np.float32), width=int(width), height=int(height),
        )  # fmt: skip


@dataclass
class Piece:
    """One continuous stretch of usable motion: ``motion`` at the model fps (mediapipe skeleton,
    metres, y-up, floor at 0); ``start`` / ``end`` in seconds of the video (first / last frame)."""

    motion: Motion
    start: float
    end: float
    first_frame: int
    last_frame: int


@dataclass
class CleanResult:
    """The pieces kept, the final status of every frame (N,) int8, the 2-D landmarks of kept and
    interpolated frames (N, 33, 2; NaN elsewhere) and the report (JSON-ready dict)."""

    pieces: list[Piece]
    status: np.ndarray
    image_filled: np.ndarray
    report: dict = field(default_factory=dict)


def focal_length(width: int, height: int, fov_deg: float) -> float:
    """Focal length in pixels of a camera whose field of view over the longer side is ``fov_deg``."""
    return (max(width, height) / 2.0) / np.tan(np.radians(fov_deg) / 2.0)


def root_translation(image: np.ndarray, world: np.ndarray, weights: np.ndarray, width: int, height: int,
                     fov_deg: float) -> np.ndarray:  # fmt: skip
    """Camera-frame position (..., 3) in metres of the world landmarks' origin (the hip centre).

    Least squares over the landmarks of ``u = f (X + tx) / (Z + tz)``, ``v = f (Y + ty) / (Z + tz)``
    with (u, v) pixels from the image centre; ``image`` (..., 33, 2) normalised, ``world``
    (..., 33, 3) metres (camera axes), ``weights`` (..., 33) (visibility). Linear in t.
    """
    f = focal_length(width, height, fov_deg)
    u = (image[..., 0].astype(np.float64) - 0.5) * width
    v = (image[..., 1].astype(np.float64) - 0.5) * height
    x, y, z = (world[..., i].astype(np.float64) for i in range(3))
    w = np.clip(np.nan_to_num(weights.astype(np.float64)), 1e-3, 1.0)
    ok = np.isfinite(u) & np.isfinite(v) & np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    w = np.where(ok, w, 0.0)
    u, v, x, y, z = (np.nan_to_num(a) for a in (u, v, x, y, z))
    # rows [f, 0, -u] . t = u z - f x   and   [0, f, -v] . t = v z - f y
    a = np.zeros(u.shape[:-1] + (3, 3))
    b = np.zeros(u.shape[:-1] + (3,))
    a[..., 0, 0] = (w * f * f).sum(-1)
    a[..., 0, 2] = a[..., 2, 0] = (w * -f * u).sum(-1)
    a[..., 1, 1] = (w * f * f).sum(-1)
    a[..., 1, 2] = a[..., 2, 1] = (w * -f * v).sum(-1)
    a[..., 2, 2] = (w * (u * u + v * v)).sum(-1)
    ru, rv = u * z - f * x, v * z - f * y
    b[..., 0] = (w * f * ru).sum(-1)
    b[..., 1] = (w * f * rv).sum(-1)
    b[..., 2] = (w * (-u * ru - v * rv)).sum(-1)
    a = a + np.eye(3) * 1e-9
    return np.linalg.solve(a, b[..., None])[..., 0]


def translation_xy(image: np.ndarray, world: np.ndarray, weights: np.ndarray, depth: np.ndarray, width: int,
                   height: int, fov_deg: float) -> np.ndarray:  # fmt: skip
    """Camera-frame hip-centre position (T, 3) with the depth ``depth`` (T,) given: tx, ty are the
    weighted least-squares solutions of the projection equations (see ``root_translation``)."""
    f = focal_length(width, height, fov_deg)
    u = (image[..., 0] - 0.5) * width
    v = (image[..., 1] - 0.5) * height
    w = np.clip(weights, 1e-3, 1.0)
    zz = world[..., 2] + depth[:, None]
    tx = (w * (u * zz / f - world[..., 0])).sum(-1) / w.sum(-1)
    ty = (w * (v * zz / f - world[..., 1])).sum(-1) / w.sum(-1)
    return np.stack([tx, ty, depth], axis=-1)


def piece_translation(image: np.ndarray, world: np.ndarray, weights: np.ndarray, width: int, height: int,
                      s: CleanSettings) -> np.ndarray:  # fmt: skip
    """Hip-centre trajectory (T, 3) in camera axes for one piece sampled at ``s.fps``.

    The depth from each frame's own solve is noisy (it comes from the person's size in pixels),
    so it is median-filtered over ``depth_median_s`` and smoothed over ``depth_smooth_s``; the
    sideways and vertical position are then solved again frame by frame with that depth.
    """
    from scipy.ndimage import median_filter

    raw = root_translation(image, world, weights, width, height, s.fov_deg)
    k = max(1, int(round(s.depth_median_s * s.fps)) | 1)
    depth = median_filter(raw[:, 2], size=k, mode="mirror")
    depth = smooth(depth, s.fps, s.depth_smooth_s, 2)
    return translation_xy(image, world, weights, np.maximum(depth, 0.3), width, height, s.fov_deg)


def to_y_up(points: np.ndarray) -> np.ndarray:
    """Camera axes (x right, y down, z away) -> dancegen axes (x, -y, -z): y up, z to the camera."""
    return points * np.array([1.0, -1.0, -1.0], dtype=points.dtype)


def level_rotation(joints: np.ndarray) -> tuple[np.ndarray, float]:
    """(3x3 rotation, angle in degrees) turning the mean body axis of ``joints`` (T, 33, 3), y-up,
    from the ankle centre to the shoulder centre, onto +y (the smallest such rotation)."""
    axis = joints[:, _SHOULDERS].mean(1) - joints[:, _ANKLES].mean(1)
    axis = axis[np.isfinite(axis).all(1)]
    if axis.shape[0] == 0:
        return np.eye(3), 0.0
    axis = axis / np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-9)
    up = axis.mean(0)
    up /= max(np.linalg.norm(up), 1e-9)
    target = np.array([0.0, 1.0, 0.0])
    v = np.cross(up, target)
    s, c = np.linalg.norm(v), float(np.dot(up, target))
    if s < 1e-9:
        return (np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])), (0.0 if c > 0 else 180.0)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]]) / s
    angle = np.arctan2(s, c)
    rot = np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)
    return rot, float(np.degrees(angle))


def smooth(x: np.ndarray, fps: float, window_s: float, polyorder: int = 3) -> np.ndarray:
    """Savitzky-Golay smoothing along axis 0 (centred, zero phase: no lag). The window is
    ``window_s`` seconds rounded to an odd number of frames (at least polyorder + 2); series
    shorter than that are returned unchanged."""
    from scipy.signal import savgol_filter

    n = x.shape[0]
    win = int(round(window_s * fps)) | 1
    win = max(win, polyorder + 2 + (polyorder % 2 == 0))
    if win % 2 == 0:
        win += 1
    if n < win:
        return x.copy()
    return savgol_filter(x, win, polyorder, axis=0, mode="interp").astype(x.dtype)


def resample_at(times: np.ndarray, values: np.ndarray, out_times: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (T, ...) sampled at ``times`` (T,) at ``out_times`` (M,)."""
    flat = values.reshape(values.shape[0], -1)
    out = np.empty((out_times.shape[0], flat.shape[1]), dtype=np.float64)
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(out_times, times, flat[:, j])
    return out.reshape((out_times.shape[0],) + values.shape[1:])


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index ranges of the True runs of a boolean array."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def segment(times: np.ndarray, usable: np.ndarray, centre: np.ndarray, length: np.ndarray,
            s: CleanSettings) -> tuple[list[tuple[int, int]], dict[str, int]]:  # fmt: skip
    """Split the usable frames into runs (first, last) frame indices, bridging gaps of at most
    ``max_gap_s`` between usable frames; cut at longer gaps and at torso jumps. ``centre`` (N, 2)
    and ``length`` (N,) are the torso centre and length in pixels. Returns (runs, cut counts)."""
    idx = np.flatnonzero(usable)
    cuts = {"long_gap": 0, "jump": 0}
    if idx.size == 0:
        return [], cuts
    runs, first = [], int(idx[0])
    for a, b in zip(idx[:-1], idx[1:]):
        dt = float(times[b] - times[a])
        allowed = (s.jump_lengths + s.jump_lengths_per_s * dt) * min(length[a], length[b])
        if b - a > 1 and dt > s.max_gap_s + 1e-9:
            cuts["long_gap"] += 1
        elif np.linalg.norm(centre[b] - centre[a]) > allowed:
            cuts["jump"] += 1
        else:
            continue
        runs.append((first, int(a)))
        first = int(b)
    runs.append((first, int(idx[-1])))
    return runs, cuts


def clean_track(track: Track, settings: CleanSettings | None = None) -> CleanResult:
    """Apply the cleaning rules (module docstring) to ``track``; pieces at ``settings.fps``."""
    from dancegen.datasets.base import drifting_floor

    s = settings or CleanSettings()
    n = track.num_frames
    status = track.status.astype(np.int8).copy()
    tracked = status == KEPT
    score = track.visibility[:, list(BODY12)].mean(1)
    low = tracked & (score < s.min_visibility)
    status[low] = LOW_CONFIDENCE
    usable = tracked & ~low

    t_root = np.full((n, 3), np.nan)
    if usable.any():
        t_root[usable] = root_translation(track.image[usable], track.world[usable], track.visibility[usable],
                                          track.width, track.height, s.fov_deg)  # fmt: skip
    bad = usable & ~(np.isfinite(t_root).all(1) & (t_root[:, 2] > 0.3))
    status[bad] = IMPLAUSIBLE
    usable &= ~bad

    rot, tilt = level_rotation(to_y_up(track.world[usable].astype(np.float64))) if usable.any() else (np.eye(3), 0.0)

    px = track.image.astype(np.float64) * np.array([track.width, track.height])
    centre = px[:, [11, 12, 23, 24]].mean(1)
    length = np.linalg.norm(px[:, _SHOULDERS].mean(1) - px[:, _HIPS].mean(1), axis=1)
    runs, cuts = segment(track.times, usable, centre, np.maximum(np.nan_to_num(length), 1.0), s)

    pieces: list[Piece] = []
    image_filled = np.full_like(track.image, np.nan)
    discarded: list[float] = []
    for a, b in runs:
        t = track.times[a : b + 1]
        ok = usable[a : b + 1]
        n_out = int(np.floor((t[-1] - t[0]) * s.fps + 1e-6)) + 1
        duration = n_out / s.fps
        if duration + 1e-9 < s.min_piece_s:
            discarded.append(duration)
            status[a : b + 1][ok] = SHORT_PIECE
            continue
        status[a : b + 1][~ok] = INTERPOLATED
        t_ok = t[ok]
        image_filled[a : b + 1] = resample_at(t_ok, track.image[a : b + 1][ok].astype(np.float64), t)
        out_t = t[0] + np.arange(n_out) / s.fps
        image = resample_at(t_ok, track.image[a : b + 1][ok].astype(np.float64), out_t)
        world = resample_at(t_ok, track.world[a : b + 1][ok].astype(np.float64), out_t)
        vis = resample_at(t_ok, track.visibility[a : b + 1][ok].astype(np.float64), out_t)
        root = piece_translation(image, world, vis, track.width, track.height, s)
        j = to_y_up(world + root[:, None, :]) @ rot.T
        j = smooth(j, s.fps, s.smooth_s, s.polyorder)
        j[..., 1] -= drifting_floor(j, s.fps, window_s=s.floor_window_s, smooth_s=s.floor_window_s / 2)[:, None]
        pelvis = j[:, [23, 24]].mean(1)
        j[..., 0] -= np.median(pelvis[:, 0])
        j[..., 2] -= np.median(pelvis[:, 2])
        pieces.append(Piece(Motion(j.astype(np.float32), s.fps, MEDIAPIPE33.name), float(t[0]),
                            float(t[-1]), int(a), int(b)))  # fmt: skip

    counts = {name: int((status == code).sum()) for code, name in enumerate(STATUS)}
    report = {
        "frames": n,
        "kept": counts["kept"],
        "interpolated": counts["interpolated"],
        "dropped": {k: counts[k] for k in STATUS[2:]},
        "cuts": cuts,
        "discarded_pieces": len(discarded),
        "longest_discarded_s": round(max(discarded), 3) if discarded else None,
        "tilt_deg": round(tilt, 2),
        "final_duration_s": round(sum(p.motion.duration for p in pieces), 3),
        "settings": s.as_dict(),
    }
    return CleanResult(pieces, status, image_filled.astype(np.float32), report)
