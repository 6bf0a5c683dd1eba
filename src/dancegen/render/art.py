"""The art renderer: a lit, shaded 3D figure on a stage that reacts to the music ("art" and "neon").

**Figure ("art").** The common 18-point body (any skeleton) is dressed in 17 tapered capsules (torso,
hips, shoulders, neck, limbs, hands, feet) and a spherical head, sized with the body. Each capsule
is drawn as an impostor: for every pixel of its bounding box, the closest point on the projected
axis gives the distance to the axis (anti-aliased coverage from it, one pixel wide), a normal (the
offset over the radius, plus the z that puts it on a sphere) and a depth (axis depth minus the
radius times that z). Pixels are shaded from the normal with a MatCap (a small image of a lit
sphere: key light from the upper left, a fill light and a rim light in the stage's colour, specular
highlight), composited far to near with a soft depth test, so capsules blend smoothly where they
meet. Lighting is camera-relative; a slight depth cue darkens parts behind the pelvis.

**Stage.** A backdrop gradient, a soft glow behind the dancer and a floor spotlight that follows
the dancer, all coloured from the music cues (``dancegen.render.music``): the hue drifts with the
song, the glow and the spotlight swell with its energy and pulse on every beat, and each beat sends
a ring of light across the floor from the dancer's feet. A perspective floor grid fades with
distance. The figure's soft shadow is its capsules projected onto the floor along the key light,
drawn at a quarter of the resolution, blurred and faded with height, plus darker contact shadows
under feet on the floor. The smooth layers are computed at half resolution and upscaled.

**Neon.** A dark synthwave stage (glowing horizon, neon floor grid pulsing on beats) and the figure
as glowing tubes (white-hot cores, coloured halos: left cyan, right magenta, centre violet) that
leave motion trails (the halo layer decays by ``NEON_TRAIL_DECAY`` per frame).

Work per frame is numpy over small regions plus a few PIL calls; at 512x512 a frame takes a few
milliseconds on one CPU core (``benchmarks/render_speed.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from dancegen.motion.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS
from dancegen.render.camera import CameraPath, framing_camera
from dancegen.render.music import MusicCues, hsv, music_cues
from dancegen.render.openpose import body_scale, head_frames

ART_STYLES: tuple[str, ...] = ("art", "neon")

_J = {name: i for i, name in enumerate(COMMON_JOINTS)}

# ---- the figure's shape ---------------------------------------------------------------------------

# Materials: 0 torso and head (porcelain), 1 left side (warm), 2 right side (cool).
ALBEDO = np.array([[236.0, 230.0, 222.0], [255.0, 150.0, 92.0], [92.0, 170.0, 255.0]], np.float32) / 255.0
_SIDE_MATERIAL = {"centre": 0, "left": 1, "right": 2}

#: (name, end a, end b, radius a, radius b (m, adult), side). Ends are common joints or derived points.
CAPSULES: tuple[tuple[str, str, str, float, float, str], ...] = (
    ("belly", "pelvis", "spine", 0.112, 0.105, "centre"),
    ("chest", "spine", "chest_top", 0.108, 0.122, "centre"),
    ("hips", "left_hip", "right_hip", 0.092, 0.092, "centre"),
    ("shoulders", "left_shoulder", "right_shoulder", 0.062, 0.062, "centre"),
    ("neck", "neck_mid", "head", 0.048, 0.044, "centre"),
    ("head", "head_centre", "head_centre", 0.108, 0.108, "centre"),
    ("left_upper_arm", "left_shoulder", "left_elbow", 0.054, 0.044, "left"),
    ("left_forearm", "left_elbow", "left_wrist", 0.042, 0.034, "left"),
    ("left_hand", "left_wrist", "left_hand_end", 0.038, 0.032, "left"),
    ("right_upper_arm", "right_shoulder", "right_elbow", 0.054, 0.044, "right"),
    ("right_forearm", "right_elbow", "right_wrist", 0.042, 0.034, "right"),
    ("right_hand", "right_wrist", "right_hand_end", 0.038, 0.032, "right"),
    ("left_thigh", "left_hip", "left_knee", 0.078, 0.056, "left"),
    ("left_shin", "left_knee", "left_ankle", 0.053, 0.04, "left"),
    ("left_foot", "left_ankle", "left_toe", 0.042, 0.032, "left"),
    ("right_thigh", "right_hip", "right_knee", 0.078, 0.056, "right"),
    ("right_shin", "right_knee", "right_ankle", 0.053, 0.04, "right"),
    ("right_foot", "right_ankle", "right_toe", 0.042, 0.032, "right"),
)  # fmt: skip

#: Neon tubes: (end a, end b, side); the head is drawn as a ring.
NEON_BONES: tuple[tuple[str, str, str], ...] = (
    ("pelvis", "spine", "centre"), ("spine", "neck_mid", "centre"), ("neck_mid", "head_bottom", "centre"),
    ("left_shoulder", "right_shoulder", "centre"), ("pelvis", "left_hip", "centre"), ("pelvis", "right_hip", "centre"),
    ("left_shoulder", "left_elbow", "left"), ("left_elbow", "left_wrist", "left"),
    ("right_shoulder", "right_elbow", "right"), ("right_elbow", "right_wrist", "right"),
    ("left_hip", "left_knee", "left"), ("left_knee", "left_ankle", "left"), ("left_ankle", "left_toe", "left"),
    ("right_hip", "right_knee", "right"), ("right_knee", "right_ankle", "right"),
    ("right_ankle", "right_toe", "right"),
)  # fmt: skip
NEON_COLOURS = {"left": (0.0, 235.0, 255.0), "right": (255.0, 50.0, 200.0), "centre": (170.0, 110.0, 255.0)}
NEON_TRAIL_DECAY = 0.86  # per frame (30 fps: half-life of about 0.15 s)
NEON_HEAD_RADIUS = 0.1  # m

Z_SOFT = 0.025  # m, width of the soft depth test where capsules meet
SHADOW_ALPHA = 0.75
CONTACT_HEIGHT = 0.25  # m: feet joints lower than this above the floor get a contact shadow
SPOT_RADIUS = 1.1  # m, floor spotlight under the dancer
RING_SPEED = 3.2  # m/s, how fast a beat's ring crosses the floor
RING_WIDTH = 0.11  # m
RING_LIFE = 0.9  # s
MATCAP_SIZE = 96

# Light directions in camera coordinates (x right, y down, z away from the camera), towards the light.
_KEY = np.array([-0.5, -0.75, -0.55])
_FILL = np.array([0.85, 0.15, -0.25])
_KEY = _KEY / np.linalg.norm(_KEY)
_FILL = _FILL / np.linalg.norm(_FILL)
#: The direction the shadow-casting light travels, camera coordinates (down, right, away).
_SHADOW_DIR_CAM = np.array([0.7, 1.0, 0.12])


def _derived_points(common: np.ndarray) -> dict[str, np.ndarray]:
    """Every capsule end (T, 3) m by name: common joints plus derived points."""
    j = np.asarray(common, np.float64)
    pts = {name: j[:, i] for i, name in enumerate(COMMON_JOINTS)}
    s = body_scale(j)
    _, up, _ = head_frames(j)
    neck_mid = 0.5 * (pts["left_shoulder"] + pts["right_shoulder"])
    pts["neck_mid"] = neck_mid
    torso_up = neck_mid - pts["spine"]
    n = np.linalg.norm(torso_up, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        torso_up = np.where(n > 1e-6, torso_up / np.where(n > 1e-6, n, 1.0), [0.0, 1.0, 0.0])
    pts["chest_top"] = neck_mid - 0.045 * s * torso_up
    pts["head_centre"] = pts["head"] + 0.025 * s * up
    pts["head_bottom"] = pts["head_centre"] - NEON_HEAD_RADIUS * s * up
    for side in ("left", "right"):
        w, e = pts[f"{side}_wrist"], pts[f"{side}_elbow"]
        pts[f"{side}_hand_end"] = w + 0.2 * (w - e)
    return pts


def _matcap_parts(size: int = MATCAP_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Light terms of a unit sphere seen by the camera, indexed [v, u] with u, v in [-1, 1].

    Returns (diffuse + ambient, specular, fill, rim), each (size, size) float32.
    """
    c = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    u, v = np.meshgrid(c, c)
    r2 = u * u + v * v
    scale = np.where(r2 > 1.0, 1.0 / np.sqrt(np.maximum(r2, 1e-12)), 1.0)
    u, v = u * scale, v * scale
    nz = -np.sqrt(np.clip(1.0 - u * u - v * v, 0.0, 1.0))  # towards the camera
    n = np.stack([u, v, nz], -1)
    ndl = n @ _KEY
    diffuse = np.clip((ndl + 0.25) / 1.25, 0.0, 1.0) ** 1.2
    ambient = 0.22 + 0.1 * np.clip(-v, 0.0, 1.0)  # a little sky from above
    half = _KEY + np.array([0.0, 0.0, -1.0])
    half = half / np.linalg.norm(half)
    spec = np.clip(n @ half, 0.0, 1.0) ** 36
    fill = np.clip(n @ _FILL, 0.0, 1.0) ** 1.5
    rim = (1.0 - np.abs(nz)) ** 2.6
    return tuple(x.astype(np.float32) for x in (ambient + 0.9 * diffuse, spec, fill, rim))  # type: ignore[return-value]


@dataclass
class _FigureGeometry:
    """Per-frame capsule data (output pixels), all frames, computed once per video."""

    a: np.ndarray  # (T, P, 2) end a, px
    b: np.ndarray  # (T, P, 2) end b, px
    ra: np.ndarray  # (T, P) px radius at a
    rb: np.ndarray  # (T, P)
    za: np.ndarray  # (T, P) depth (m) at a
    zb: np.ndarray  # (T, P)
    wa: np.ndarray  # (T, P) radius (m) at a
    wb: np.ndarray  # (T, P)
    box: np.ndarray  # (T, P, 4) int x0, y0, x1, y1 (x1 <= x0: nothing)
    order: np.ndarray  # (T, P) far to near
    shade: np.ndarray  # (T, P) depth-cue brightness
    fig_box: np.ndarray  # (T, 4) union of the capsule boxes


class ArtRenderer:
    """Renders one motion in the "art" or "neon" style; construct once per video, iterate ``frames()``.

    ``beat_times`` (s from the motion's start) and ``energy`` ((T,) in [0, 1], or any length,
    resampled) drive the stage (see ``dancegen.render.music``); ``camera_mode`` is ``follow``,
    ``orbit`` or ``fixed``. Set-up (camera, geometry for all frames, static layers) happens here, so
    bad arguments raise at construction; frames are drawn lazily.
    """

    def __init__(
        self,
        motion: Motion,
        size: int = 512,
        camera_mode: str = "follow",
        beat_times: np.ndarray | None = None,
        energy: np.ndarray | None = None,
        style: str = "art",
        camera: CameraPath | None = None,
    ) -> None:
        if style not in ART_STYLES:
            raise ValueError(f"style must be one of {', '.join(ART_STYLES)}, got {style!r}")
        if size < 16:
            raise ValueError(f"image size must be at least 16 pixels, got {size}")
        self.style = style
        self.size = int(size)
        self.fps = float(motion.fps)
        self.joints = motion.common().astype(np.float64)
        self.num_frames = self.joints.shape[0]
        self.camera = camera if camera is not None else framing_camera(
            self.joints, self.size, camera_mode, fps=motion.fps
        )
        if len(self.camera) != self.num_frames or self.camera.size != self.size:
            raise ValueError("camera does not match the motion's frames or the image size")
        self.cues: MusicCues = music_cues(self.num_frames, self.fps, beat_times, energy)
        self.scale = body_scale(self.joints) if self.num_frames else 1.0
        self._trail: Image.Image | None = None
        self._trail_t = -2
        if self.num_frames:
            self._points = _derived_points(self.joints)
            self._root = self._root_positions()
            self._build_static()
            if style == "art":
                self.geom = self._build_figure()
                self._build_shadow()
            else:
                self._build_neon()

    # ---- set-up ---------------------------------------------------------------------------------

    def _root_positions(self) -> np.ndarray:
        root = self.joints[:, _J["pelvis"]].copy()
        bad = ~np.isfinite(root).all(axis=1)
        root[bad] = self.camera.targets[bad]
        return root

    def _build_static(self) -> None:
        n = self.size
        cam = self.camera
        self.half = max(8, (n + 1) // 2)
        h = self.half
        # Screen-static floor map at half resolution: world offsets (frame-0 axes) from the target.
        c = (np.arange(h) + 0.5) * (n / h)
        uu, vv = np.meshgrid(c, c)
        hit = cam[0].unproject_to_floor(np.stack([uu, vv], -1), cam.floor_y)
        self._floor_dx = (hit[..., 0] - cam.targets[0, 0]).astype(np.float32)
        self._floor_dz = (hit[..., 2] - cam.targets[0, 2]).astype(np.float32)
        on_floor = np.isfinite(self._floor_dx) & np.isfinite(self._floor_dz)
        self._floor_dx[~on_floor] = 1e4
        self._floor_dz[~on_floor] = 1e4
        rows = np.where(on_floor.any(axis=1))[0]
        self._floor_row0 = int(rows[0]) if rows.size else h
        # Root offsets from the target, in frame-0 axes (orbit: undo each frame's turn).
        delta = self._root - cam.targets
        rots = cam.rotation_per_frame()
        delta0 = np.einsum("ji,tjk,tk->ti", cam.rotation, rots, delta)  # R0^T R_t delta
        self._root_d0 = delta0.astype(np.float32)
        # Horizon row (px): where view rays are horizontal.
        pitch = np.deg2rad(cam.pitch_deg)
        self._horizon = n / 2.0 - cam.focal * np.tan(pitch)
        yy = (np.arange(h) + 0.5) * (n / h)
        self._wall_w = np.clip(yy / max(self._horizon, 1.0), 0.0, 1.0).astype(np.float32)  # 0 top .. 1 horizon
        self._below = np.clip((yy - self._horizon) / (0.06 * n), 0.0, 1.0).astype(np.float32)
        # Glow behind the upper body (screen-static: every camera centres its target).
        gx, gy = n / 2.0, min(self._horizon, 0.45 * n) - 0.05 * n
        r2 = ((uu - gx) ** 2 + (vv - gy) ** 2) / (0.42 * n) ** 2
        self._glow = np.exp(-r2).astype(np.float32)
        r2v = ((uu - n / 2) ** 2 + (vv - n / 2) ** 2) / (0.75 * n) ** 2
        self._vignette = (1.0 - 0.45 * np.clip(r2v, 0.0, 1.0) ** 1.3).astype(np.float32)[..., None]
        self._glowv = self._glow * self._vignette[..., 0]
        # Horizon band for neon.
        band = np.exp(-(((vv - self._horizon) / (0.05 * n)) ** 2)).astype(np.float32)
        self._bandv = band * self._vignette[..., 0]
        # Floor grid: segments for all frames at 2x, faded with floor distance from the target.
        dist = float(np.linalg.norm(cam.positions[0] - cam.targets[0]))
        self._grid_spacing = 0.5 if dist <= 10.0 else 1.0
        r_target = np.hypot(self._floor_dx, self._floor_dz)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            reach = np.nanmax(np.hypot(self._root_d0[:, 0], self._root_d0[:, 2]))
        reach = float(reach) if np.isfinite(reach) else 0.0
        fade_r = max(3.2, reach + 1.5)
        fade = np.exp(-((r_target / fade_r) ** 2))
        fade_img = Image.fromarray(np.clip(fade * 255 + 0.5, 0, 255).astype(np.uint8)).resize((n, n), Image.BILINEAR)
        self._grid_box = fade_img.point(lambda v: 255 if v > 3 else 0).getbbox()
        self._grid_width = max(2, int(round(2 * max(1.0, n / 512))))
        if self._grid_box is not None:
            x0, y0, x1, y1 = self._grid_box
            self._grid_fade = fade_img.crop(self._grid_box)
            segs, _, valid = cam.scaled(2).floor_grid(self._grid_spacing, max(6.0, 2 * fade_r))
            segs = segs - np.array([x0, y0]) * 2
            self._grid_segs = segs.reshape(segs.shape[0], segs.shape[1], 4).astype(np.float32)
            self._grid_valid = valid
        self._alpha_luts: dict[int, list[int]] = {}

    def _lut(self, level: float) -> list[int]:
        k = int(round(np.clip(level, 0.0, 1.0) * 63))
        lut = self._alpha_luts.get(k)
        if lut is None:
            lut = [int(v * k / 63 + 0.5) for v in range(256)]
            self._alpha_luts[k] = lut
        return lut

    def _build_figure(self) -> _FigureGeometry:
        cam = self.camera
        T, n = self.num_frames, self.size
        s = self.scale
        a_w = np.stack([self._points[c[1]] for c in CAPSULES], axis=1)  # (T, P, 3)
        b_w = np.stack([self._points[c[2]] for c in CAPSULES], axis=1)
        P = len(CAPSULES)
        uv, depth = cam.project(np.concatenate([a_w, b_w], axis=1))
        ok = np.isfinite(uv).all(axis=2) & (depth > 0.1)
        ok = ok[:, :P] & ok[:, P:]
        ua, ub = uv[:, :P], uv[:, P:]
        za, zb = depth[:, :P], depth[:, P:]
        wa = np.array([c[3] for c in CAPSULES]) * s
        wb = np.array([c[4] for c in CAPSULES]) * s
        safe_a = np.where(ok, za, 1.0)
        safe_b = np.where(ok, zb, 1.0)
        ra = cam.focal * wa[None] / safe_a
        rb = cam.focal * wb[None] / safe_b
        lo = np.floor(np.minimum(ua - ra[..., None], ub - rb[..., None]) - 1.0)
        hi = np.ceil(np.maximum(ua + ra[..., None], ub + rb[..., None]) + 1.0)
        box = np.concatenate([lo, hi], axis=-1)
        box = np.where(ok[..., None] & np.isfinite(box), box, 0.0)
        box = np.clip(box, 0, n).astype(int)
        mean_z = 0.5 * (za + zb) - 0.5 * (wa + wb)[None]
        mean_z = np.where(ok, mean_z, -np.inf)
        order = np.argsort(-mean_z, axis=1, kind="stable")
        # Depth cue: parts behind the pelvis a little darker, in front a little brighter.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pel = np.nanmedian(np.where(ok, 0.5 * (za + zb), np.nan), axis=1) if ok.any() else np.zeros(T)
        pel = np.where(np.isfinite(pel), pel, 0.0)
        shade = 1.0 - 0.16 * np.clip((0.5 * (za + zb) - pel[:, None]) / 0.5, -1.0, 1.0)
        nonempty = (box[..., 2] > box[..., 0]) & (box[..., 3] > box[..., 1])
        big = np.iinfo(np.int64).max // 4
        fx0 = np.where(nonempty, box[..., 0], big).min(axis=1)
        fy0 = np.where(nonempty, box[..., 1], big).min(axis=1)
        fx1 = np.where(nonempty, box[..., 2], -1).max(axis=1)
        fy1 = np.where(nonempty, box[..., 3], -1).max(axis=1)
        any_ = nonempty.any(axis=1)
        fig_box = np.stack([fx0, fy0, fx1, fy1], axis=1)
        fig_box[~any_] = 0
        return _FigureGeometry(
            a=ua.astype(np.float32), b=ub.astype(np.float32), ra=ra.astype(np.float32),
            rb=rb.astype(np.float32), za=np.where(ok, za, 0).astype(np.float32),
            zb=np.where(ok, zb, 0).astype(np.float32), wa=np.broadcast_to(wa, (T, P)).astype(np.float32),
            wb=np.broadcast_to(wb, (T, P)).astype(np.float32), box=box, order=order,
            shade=shade.astype(np.float32), fig_box=fig_box,
        )  # fmt: skip

    def _build_shadow(self) -> None:
        """Capsules projected onto the floor along the key light, in output pixels, all frames."""
        cam = self.camera
        T = self.num_frames
        rots = cam.rotation_per_frame()
        d = np.einsum("tji,j->ti", rots, _SHADOW_DIR_CAM / np.linalg.norm(_SHADOW_DIR_CAM))  # world
        d[:, 1] = np.minimum(d[:, 1], -0.2)
        fy = cam.floor_y
        a_w = np.stack([self._points[c[1]] for c in CAPSULES], axis=1)
        b_w = np.stack([self._points[c[2]] for c in CAPSULES], axis=1)
        ends = np.concatenate([a_w, b_w], axis=1)  # (T, 2P, 3)
        height = np.maximum(ends[..., 1] - fy, 0.0)
        lam = height / -d[:, None, 1]  # distance along the light down to the floor
        on_floor = ends + d[:, None, :] * lam[..., None]
        on_floor[..., 1] = fy
        uv, depth = cam.project(on_floor)
        P = len(CAPSULES)
        ok = np.isfinite(uv).all(axis=2) & (depth > 0.1)
        r_w = np.concatenate([[c[3] for c in CAPSULES], [c[4] for c in CAPSULES]]) * self.scale
        r_px = cam.focal * r_w[None] / np.where(ok, depth, np.inf)
        self._sh_uv = np.where(ok[..., None], uv, np.nan).astype(np.float32)
        self._sh_r = r_px.astype(np.float32)
        h_mean = 0.5 * (height[:, :P] + height[:, P:])
        self._sh_level = np.clip(1.0 - h_mean / 2.6, 0.5, 1.0).astype(np.float32)  # (T, P)
        # Contact shadows: the feet's floor points and closeness to the floor.
        feet = [_J[k] for k in ("left_ankle", "left_toe", "right_ankle", "right_toe")]
        fp = self.joints[:, feet].copy()
        fh = fp[..., 1] - fy
        fp[..., 1] = fy
        fuv, fdepth = cam.project(fp)
        self._contact_uv = fuv.astype(np.float32)
        self._contact_r = (cam.focal * 0.075 * self.scale / np.where(fdepth > 0.1, fdepth, np.inf)).astype(np.float32)
        with np.errstate(invalid="ignore"):
            self._contact_level = np.clip(1.0 - fh / CONTACT_HEIGHT, 0.0, 1.0)
        self._contact_level = np.where(np.isfinite(self._contact_level), self._contact_level, 0.0)
        # Blur: about 5 cm on the floor, in shadow-mask pixels.
        self._sh_factor = 4 if self.size >= 256 else 2 if self.size >= 64 else 1
        dist = float(np.linalg.norm(cam.positions[0] - cam.targets[0]))
        self._sh_blur = max(0.6, cam.focal * 0.035 * self.scale / dist / self._sh_factor)
        self._sh_T = T

    def _build_neon(self) -> None:
        cam = self.camera
        a_w = np.stack([self._points[b[0]] for b in NEON_BONES], axis=1)
        b_w = np.stack([self._points[b[1]] for b in NEON_BONES], axis=1)
        P = len(NEON_BONES)
        uv, depth = cam.project(np.concatenate([a_w, b_w, self._points["head_centre"][:, None]], axis=1))
        ok = np.isfinite(uv).all(axis=2) & (depth > 0.1)
        self._neon_uv = np.where(ok[..., None], uv, np.nan)
        px_per_m = cam.focal / np.where(ok, depth, np.inf)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self._neon_pxm = np.nanmean(np.where(np.isfinite(px_per_m) & (px_per_m > 0), px_per_m, np.nan), axis=1)
        self._neon_pxm = np.where(np.isfinite(self._neon_pxm), self._neon_pxm, 0.0)
        self._neon_P = P

    # ---- per-frame layers -------------------------------------------------------------------------

    def _add_floor_light(self, buf: np.ndarray, t: int, spot_rgb: np.ndarray, rings: list[tuple[float, float]],
                         ring_rgb: np.ndarray) -> None:  # fmt: skip
        """Add the floor spotlight on the dancer and the beat rings to ``buf`` (half, half, 3) float32."""
        r0 = self._floor_row0
        if r0 >= self.half:
            return
        dx, dz = np.float32(self._root_d0[t, 0]), np.float32(self._root_d0[t, 2])
        fx = self._floor_dx[r0:] - dx
        fz = self._floor_dz[r0:] - dz
        d2 = fx * fx + fz * fz
        rs = SPOT_RADIUS * self.scale
        light = np.exp(d2 * np.float32(-1.0 / (rs * rs)))
        sub = buf[r0:]
        sub += light[..., None] * spot_rgb
        if rings:
            d = np.sqrt(d2)
            w = np.float32(1.0 / (RING_WIDTH * self.scale))
            ring = None
            for radius, amp in rings:
                q = (d - np.float32(radius)) * w
                term = np.exp(-(q * q)) * np.float32(amp)
                ring = term if ring is None else ring + term
            sub += ring[..., None] * ring_rgb  # type: ignore[index]

    def _rings(self, t: int, strength: float) -> list[tuple[float, float]]:
        """(radius m, amplitude) of the beat rings on the floor at frame ``t`` (this beat's and the last)."""
        cues = self.cues
        if not np.isfinite(cues.since_beat[t]) or cues.beat_index[t] < 0:
            return []
        ages = [float(cues.since_beat[t])]
        prev = self._previous_beat_age(t)
        if prev is not None:
            ages.append(prev)
        e = float(cues.energy[t])
        return [
            (0.25 * self.scale + RING_SPEED * self.scale * age, strength * (1.0 - age / RING_LIFE) ** 1.5 * (0.5 + 0.5 * e))
            for age in ages if age < RING_LIFE
        ]  # fmt: skip

    def _stage_small(self, t: int) -> np.ndarray:
        """The smooth layers of frame ``t``'s background at half resolution: (half, half, 3) uint8."""
        cues = self.cues
        h_, e, b = float(cues.hue[t]), float(cues.energy[t]), float(cues.beat[t])
        alt = 0.09 * (cues.beat_index[t] % 2)  # alternate beats shift the glow's hue a little
        if self.style == "art":
            top = hsv(h_, 0.55, 0.13 + 0.07 * e)
            horizon = hsv(h_ + 0.06, 0.6, 0.26 + 0.14 * e + 0.06 * b)
            floor = hsv(h_ + 0.03, 0.5, 0.07 + 0.03 * e)
            glow = hsv(h_ + alt, 0.55, 1.0) * (0.16 + 0.2 * e + 0.25 * b)
            spot = hsv(h_ + 0.08, 0.25, 1.0) * (0.3 + 0.2 * e + 0.15 * b)
            ring = hsv(h_ + alt, 0.55, 1.0)
            rings = self._rings(t, 0.55)
        else:
            top = hsv(h_, 0.8, 0.02 + 0.02 * e)
            horizon = hsv(h_ + 0.9, 0.8, 0.08 + 0.08 * e)
            floor = hsv(h_ + 0.05, 0.8, 0.015)
            glow = hsv(h_ + 0.9 + alt, 0.85, 1.0) * (0.05 + 0.08 * e + 0.1 * b)
            spot = hsv(h_ + 0.5, 0.6, 1.0) * (0.05 + 0.05 * e + 0.05 * b)
            ring = hsv(h_ + 0.9 + alt, 0.85, 1.0)
            rings = self._rings(t, 0.8)
        wall = top[None, :] + (horizon - top)[None, :] * self._wall_w[:, None]
        col = (wall + (floor[None, :] - wall) * self._below[:, None]).astype(np.float32)  # (half, 3)
        buf = np.multiply(self._vignette, col[:, None, :])  # (half, half, 3)
        buf += self._glowv[..., None] * glow.astype(np.float32)
        if self.style == "neon":
            buf += self._bandv[..., None] * (hsv(h_ + 0.9, 0.8, 1.0) * (0.25 + 0.25 * e + 0.25 * b)).astype(np.float32)
        self._add_floor_light(buf, t, spot.astype(np.float32), rings, ring.astype(np.float32))
        buf += np.float32(0.5)
        np.clip(buf, 0.0, 255.0, out=buf)
        return buf.astype(np.uint8)

    def _upscale(self, small: Image.Image) -> Image.Image:
        return small.resize((self.size, self.size), Image.BILINEAR) if self.half != self.size else small

    def _grid(self, img: Image.Image, t: int) -> None:
        """Draw frame ``t``'s floor grid on ``img`` (output size) in the style's colours."""
        if self._grid_box is None:
            return
        cues = self.cues
        h_, e, b = float(cues.hue[t]), float(cues.energy[t]), float(cues.beat[t])
        if self.style == "art":
            gcol = hsv(h_ + 0.04, 0.35, 0.55 + 0.2 * e + 0.25 * b)
            galpha = 0.33 + 0.1 * e + 0.15 * b
        else:
            gcol = hsv(h_ + 0.9, 0.75, 1.0)
            galpha = 0.35 + 0.2 * e + 0.45 * b
        self._draw_grid(img, t, tuple(int(c) for c in gcol), galpha)

    def _stage(self, t: int) -> Image.Image:
        """The music-reactive background of frame ``t`` (PIL RGB, output size), grid included."""
        img = self._upscale(Image.fromarray(self._stage_small(t)))
        self._grid(img, t)
        return img

    def _previous_beat_age(self, t: int) -> float | None:
        idx = self.cues.beat_index[t]
        if idx < 1:
            return None
        # Walk back to the frame where the previous beat started.
        since = self.cues.since_beat[t]
        t_prev = int(round(t - since * self.fps)) - 1
        if t_prev < 0 or self.cues.beat_index[t_prev] != idx - 1:
            return None
        return float(since + self.cues.since_beat[t_prev] + 1.0 / self.fps)

    def _draw_grid(self, img: Image.Image, t: int, colour: tuple[int, int, int], alpha: float) -> None:
        x0, y0, x1, y1 = self._grid_box  # type: ignore[misc]
        mask = Image.new("L", ((x1 - x0) * 2, (y1 - y0) * 2), 0)
        draw = ImageDraw.Draw(mask)
        w = self._grid_width
        for seg in self._grid_segs[t][self._grid_valid[t]].tolist():
            draw.line(seg, fill=255, width=w)
        mask = mask.reduce(2)
        mask = ImageChops.multiply(mask, self._grid_fade).point(self._lut(alpha))
        img.paste(colour, (x0, y0, x1, y1), mask)

    def _draw_shadow(self, img: Image.Image, t: int) -> None:
        k = self._sh_factor
        uv = self._sh_uv[t]
        r = self._sh_r[t]
        ok = np.isfinite(uv).all(axis=1) & np.isfinite(r)
        cuv, cr, cl = self._contact_uv[t], self._contact_r[t], self._contact_level[t]
        cok = np.isfinite(cuv).all(axis=1) & np.isfinite(cr) & (cl > 0)
        if not ok.any() and not cok.any():
            return
        pad = 3.0 * self._sh_blur * k + 2.0
        pts = [uv[ok] - r[ok][:, None] - pad, uv[ok] + r[ok][:, None] + pad, cuv[cok] - cr[cok][:, None] - pad,
               cuv[cok] + cr[cok][:, None] + pad]  # fmt: skip
        allp = np.concatenate(pts, axis=0)
        x0 = int(np.clip(np.floor(allp[:, 0].min() / k) * k, 0, self.size))
        y0 = int(np.clip(np.floor(allp[:, 1].min() / k) * k, 0, self.size))
        x1 = int(np.clip(np.ceil(allp[:, 0].max() / k) * k, 0, self.size))
        y1 = int(np.clip(np.ceil(allp[:, 1].max() / k) * k, 0, self.size))
        if x1 - x0 < k or y1 - y0 < k or (x1 - x0) > 3 * self.size or (y1 - y0) > 3 * self.size:
            return
        w, h = (x1 - x0) // k, (y1 - y0) // k
        mask = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(mask)
        P = len(CAPSULES)
        levels = self._sh_level[t]
        for p in np.argsort(levels, kind="stable").tolist():
            if not (ok[p] and ok[p + P]):
                continue
            ax, ay = (uv[p, 0] - x0) / k, (uv[p, 1] - y0) / k
            bx, by = (uv[p + P, 0] - x0) / k, (uv[p + P, 1] - y0) / k
            rad_a, rad_b = r[p] / k, r[p + P] / k
            fill = int(255 * levels[p])
            width = max(1, int(round(rad_a + rad_b)))
            draw.line((ax, ay, bx, by), fill=fill, width=width)
            draw.ellipse((ax - rad_a, ay - rad_a, ax + rad_a, ay + rad_a), fill=fill)
            draw.ellipse((bx - rad_b, by - rad_b, bx + rad_b, by + rad_b), fill=fill)
        for i in np.where(cok)[0].tolist():
            cx, cy = (cuv[i, 0] - x0) / k, (cuv[i, 1] - y0) / k
            rr = cr[i] / k
            draw.ellipse((cx - rr, cy - 0.45 * rr, cx + rr, cy + 0.45 * rr), fill=int(255 * cl[i]))
        mask = mask.filter(ImageFilter.GaussianBlur(self._sh_blur))
        if k > 1:
            mask = mask.resize((x1 - x0, y1 - y0), Image.BILINEAR)
        img.paste((0, 0, 0), (x0, y0, x1, y1), mask.point(self._lut(SHADOW_ALPHA)))

    def _matcaps(self, t: int) -> np.ndarray:
        """(3, M*M, 3) float32 shaded colours per material for frame ``t`` (0..255)."""
        if not hasattr(self, "_mc_static"):
            lit, spec, fill, rim = (x.reshape(-1) for x in _matcap_parts())
            self._mc_static = (lit[None, :, None] * ALBEDO[:, None, :] + (0.55 * spec)[None, :, None]) * 255.0
            self._mc_fill = (0.28 * fill)[None, :, None] * ALBEDO[:, None, :]
            self._mc_rim = rim[None, :, None] * 255.0
        cues = self.cues
        h_, e, b = float(cues.hue[t]), float(cues.energy[t]), float(cues.beat[t])
        rim_c = hsv(h_ + 0.09 * (cues.beat_index[t] % 2), 0.6, 1.0) / 255.0
        fill_c = hsv(h_ + 0.5, 0.35, 1.0).astype(np.float32)
        rim_k = 0.45 + 0.3 * e + 0.5 * b
        out = self._mc_static + self._mc_fill * fill_c + self._mc_rim * (rim_k * rim_c).astype(np.float32)
        return np.minimum(out, 255.0, out=out)

    def _draw_figure(self, frame: np.ndarray, t: int) -> None:
        g = self.geom
        fx0, fy0, fx1, fy1 = (int(v) for v in g.fig_box[t])
        if fx1 <= fx0 or fy1 <= fy0:
            return
        region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
        zbuf = np.full(region.shape[:2], np.inf, np.float32)
        mc = self._matcaps(t)
        M = MATCAP_SIZE
        half_m = np.float32(0.5 * (M - 1))
        xs_all = np.arange(fx0, fx1, dtype=np.float32) + 0.5
        ys_all = np.arange(fy0, fy1, dtype=np.float32) + 0.5
        a, b, ra, rb = g.a[t], g.b[t], g.ra[t], g.rb[t]
        za, zb, wa, wb = g.za[t], g.zb[t], g.wa[t], g.wb[t]
        box, shade = g.box[t], g.shade[t]
        for p in g.order[t].tolist():
            x0, y0, x1, y1 = box[p].tolist()
            if x1 <= x0 or y1 <= y0:
                continue
            mat = _SIDE_MATERIAL[CAPSULES[p][5]]
            px = xs_all[x0 - fx0 : x1 - fx0][None, :] - a[p, 0]
            py = ys_all[y0 - fy0 : y1 - fy0][:, None] - a[p, 1]
            dx, dy = float(b[p, 0] - a[p, 0]), float(b[p, 1] - a[p, 1])
            l2 = dx * dx + dy * dy
            if l2 > 1e-6:
                s = np.clip((px * (dx / l2) + py * (dy / l2)), 0.0, 1.0)
                ox = px - s * dx
                oy = py - s * dy
            else:
                s = np.zeros((y1 - y0, x1 - x0), np.float32)
                ox = np.broadcast_to(px, s.shape)
                oy = np.broadcast_to(py, s.shape)
            r = ra[p] + s * (rb[p] - ra[p])
            d2 = ox * ox + oy * oy
            d = np.sqrt(d2)
            cov = np.clip(r - d + 0.5, 0.0, 1.0)
            if not cov.any():
                continue
            inv_r = 1.0 / np.maximum(r, 0.5)
            nx = np.clip(ox * inv_r, -1.0, 1.0)
            ny = np.clip(oy * inv_r, -1.0, 1.0)
            nz = np.sqrt(np.clip(1.0 - nx * nx - ny * ny, 0.0, 1.0))
            z = za[p] + s * (zb[p] - za[p]) - (wa[p] + s * (wb[p] - wa[p])) * nz
            zr = zbuf[y0 - fy0 : y1 - fy0, x0 - fx0 : x1 - fx0]
            vis = np.clip((zr - z) * (1.0 / Z_SOFT) + 0.5, 0.0, 1.0)
            alpha = cov * vis
            iu = (nx * half_m + (half_m + 0.5)).astype(np.intp)
            iv = (ny * half_m + (half_m + 0.5)).astype(np.intp)
            colour = mc[mat][iv * M + iu]
            if shade[p] != 1.0:
                colour *= shade[p]
            reg = region[y0 - fy0 : y1 - fy0, x0 - fx0 : x1 - fx0]
            reg += (colour - reg) * alpha[..., None]
            np.copyto(zr, np.minimum(zr, z), where=alpha > 0.5)
        np.clip(region, 0.0, 255.0, out=region)
        frame[fy0:fy1, fx0:fx1] = (region + 0.5).astype(np.uint8)

    # ---- neon -------------------------------------------------------------------------------------

    def _neon_frame(self, t: int) -> Image.Image:
        small = Image.fromarray(self._stage_small(t))
        n = self.size
        hs = self.half
        cues = self.cues
        e, bt = float(cues.energy[t]), float(cues.beat[t])
        uv = self._neon_uv[t]
        P = self._neon_P
        pxm = float(self._neon_pxm[t])
        f = hs / n
        halo = Image.new("RGB", (hs, hs), (0, 0, 0))
        dh = ImageDraw.Draw(halo)
        k = 0.55 + 0.25 * e + 0.3 * bt
        w_halo = max(1, int(round(0.07 * self.scale * pxm * f)))
        for i, (_, _, side) in enumerate(NEON_BONES):
            pa, pb = uv[i], uv[i + P]
            if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
                continue
            c = tuple(int(min(255, v * k)) for v in NEON_COLOURS[side])
            dh.line((pa[0] * f, pa[1] * f, pb[0] * f, pb[1] * f), fill=c, width=w_halo)
        head = uv[2 * P]
        rh = NEON_HEAD_RADIUS * self.scale * pxm
        if np.isfinite(head).all():
            c = tuple(int(min(255, v * k)) for v in NEON_COLOURS["centre"])
            x, y = head * f
            dh.ellipse((x - rh * f, y - rh * f, x + rh * f, y + rh * f), outline=c, width=w_halo)
        halo = halo.filter(ImageFilter.GaussianBlur(max(1.0, 0.035 * self.scale * pxm * f)))
        # Motion trails: the decayed previous halo layer, brightened by the current one.
        if self._trail is not None and self._trail_t == t - 1:
            decay = NEON_TRAIL_DECAY * (0.92 + 0.08 * e)
            trail = ImageChops.lighter(self._trail.point(self._lut(decay) * 3), halo)
        else:
            trail = halo
        self._trail, self._trail_t = trail, t
        small = ImageChops.add(small, trail)
        if bt > 0.6:
            small = ImageChops.add(small, trail)
        img = self._upscale(small)
        self._grid(img, t)
        # White-hot cores, anti-aliased (drawn at 2x inside the figure's box).
        fin = np.isfinite(uv).all(axis=1)
        if not fin.any():
            return img
        pad = rh + 4
        x0 = int(np.clip(np.floor(uv[fin, 0].min() - pad), 0, n))
        y0 = int(np.clip(np.floor(uv[fin, 1].min() - pad), 0, n))
        x1 = int(np.clip(np.ceil(uv[fin, 0].max() + pad), 0, n))
        y1 = int(np.clip(np.ceil(uv[fin, 1].max() + pad), 0, n))
        if x1 <= x0 or y1 <= y0:
            return img
        crop = img.crop((x0, y0, x1, y1)).resize(((x1 - x0) * 2, (y1 - y0) * 2), Image.NEAREST)
        dc = ImageDraw.Draw(crop)
        w_core = max(2, int(round(2 * 0.022 * self.scale * pxm)))
        for i, (_, _, side) in enumerate(NEON_BONES):
            pa, pb = uv[i], uv[i + P]
            if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
                continue
            base = np.array(NEON_COLOURS[side])
            c = tuple(int(v) for v in base * 0.3 + 255 * 0.7)
            dc.line(((pa[0] - x0) * 2, (pa[1] - y0) * 2, (pb[0] - x0) * 2, (pb[1] - y0) * 2), fill=c, width=w_core)
            for q in (pa, pb):
                rq = w_core / 2
                qx, qy = (q[0] - x0) * 2, (q[1] - y0) * 2
                dc.ellipse((qx - rq, qy - rq, qx + rq, qy + rq), fill=c)
        if np.isfinite(head).all():
            base = np.array(NEON_COLOURS["centre"])
            c = tuple(int(v) for v in base * 0.3 + 255 * 0.7)
            x, y = (head[0] - x0) * 2, (head[1] - y0) * 2
            dc.ellipse((x - 2 * rh, y - 2 * rh, x + 2 * rh, y + 2 * rh), outline=c, width=w_core)
        img.paste(crop.reduce(2), (x0, y0))
        return img

    # ---- frames -----------------------------------------------------------------------------------

    def render_frame(self, t: int) -> np.ndarray:
        """Frame ``t`` as a new (size, size, 3) uint8 RGB array.

        Neon trails need the previous frame: rendering frames out of order draws them without trails.
        """
        if self.style == "art":
            img = self._stage(t)
            self._draw_shadow(img, t)
            frame = np.array(img)
            self._draw_figure(frame, t)
            return frame
        return np.array(self._neon_frame(t))

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame in order, each a new (size, size, 3) uint8 RGB array."""
        self._trail, self._trail_t = None, -2
        for t in range(self.num_frames):
            yield self.render_frame(t)


def render_art_frames(
    motion: Motion,
    size: int = 512,
    camera_mode: str = "follow",
    beat_times: np.ndarray | None = None,
    *,
    energy: np.ndarray | None = None,
    style: str = "art",
) -> Iterator[np.ndarray]:
    """Render ``motion`` in the ``"art"`` or ``"neon"`` style: yields (size, size, 3) uint8 RGB frames.

    ``beat_times`` in s from the motion's start, ``energy`` (per frame, in [0, 1]) as in
    :class:`ArtRenderer`. Set-up runs now (bad arguments raise here); frames are drawn lazily.
    """
    return ArtRenderer(motion, size, camera_mode, beat_times, energy, style).frames()
