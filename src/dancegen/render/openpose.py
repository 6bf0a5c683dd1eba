"""OpenPose body keypoints (COCO-18) from any skeleton, control maps in ControlNet's convention, JSON.

**Keypoints.** OpenPose's 18 body keypoints, in its order (``OPENPOSE_KEYPOINTS``): nose, neck,
right shoulder, elbow, wrist, left shoulder, elbow, wrist, right hip, knee, ankle, left hip, knee,
ankle, right eye, left eye, right ear, left ear ("right" is the person's right). They are made from
the common 18-point body every skeleton maps to (``dancegen.motion.skeleton.COMMON_JOINTS``), so the
mapping is the same for every skeleton: limbs are the common joints; the neck is the midpoint of the
shoulders (OpenPose's definition); nose, eyes and ears are placed on the head from a head frame
(up = neck to head, left = the shoulder line, forward = left x up), scaled with the body's size.

**Visibility.** Like a detector, the face points are dropped when they face away from the camera
(nose and eyes when the face turns away, an ear when its side of the head does), and any point
outside the image is dropped. A dropped point has confidence 0; limbs are drawn only between two
kept points.

**Drawing** (``draw_openpose``) follows ControlNet's ``draw_bodypose`` (annotator of ControlNet 1.1
and controlnet_aux): black background; the 17 limbs ``OPENPOSE_LIMBS`` in that order, each a filled
ellipse along the limb, half-width ``stickwidth`` (4 px at 512 px), in its colour
``OPENPOSE_COLOURS[i]`` times 0.6 (integer); then the 18 keypoints as filled circles of radius 4 px
(at 512 px) in full ``OPENPOSE_COLOURS[k]``. Both sizes scale with the image (``size / 512``).
No anti-aliasing (the annotator's OpenCV calls draw without it).

**JSON** (``openpose_json``, ``write_openpose_json``): OpenPose's per-frame format, one file per
frame named ``<name>_<frame:012d>_keypoints.json``, holding ``{"version": 1.3, "people": [{"person_id":
[-1], "pose_keypoints_2d": [x0, y0, c0, ...] (54 numbers, pixels), ...}], "canvas_width": W,
"canvas_height": H}``; dropped points are ``0, 0, 0``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dancegen.errors import OutputError
from dancegen.motion.motion import Motion
from dancegen.motion.skeleton import COMMON_JOINTS
from dancegen.render.camera import CameraPath, framing_camera

#: OpenPose COCO-18 body keypoints, in OpenPose's order.
OPENPOSE_KEYPOINTS: tuple[str, ...] = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip

#: The 17 limbs ControlNet draws, as 0-based keypoint index pairs, in drawing order (the
#: annotator's ``limbSeq`` minus one, without its two ear-shoulder entries).
OPENPOSE_LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip

#: The annotator's 18 colours (RGB): keypoint k is drawn in colour k, limb i in colour i times 0.6.
OPENPOSE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip

#: Limb colours as drawn: ``int(c * 0.6)`` per channel.
OPENPOSE_LIMB_COLOURS: tuple[tuple[int, int, int], ...] = tuple(
    tuple(int(float(c) * 0.6) for c in OPENPOSE_COLOURS[i]) for i in range(len(OPENPOSE_LIMBS))
)

_C = {name: i for i, name in enumerate(COMMON_JOINTS)}
_DIRECT = {
    "right_shoulder": "right_shoulder", "right_elbow": "right_elbow", "right_wrist": "right_wrist",
    "left_shoulder": "left_shoulder", "left_elbow": "left_elbow", "left_wrist": "left_wrist",
    "right_hip": "right_hip", "right_knee": "right_knee", "right_ankle": "right_ankle",
    "left_hip": "left_hip", "left_knee": "left_knee", "left_ankle": "left_ankle",
}  # fmt: skip
_FACE = ("nose", "right_eye", "left_eye", "right_ear", "left_ear")
#: Face points relative to the head point, in metres for an adult (scaled by body size):
#: (forward, up, left) offsets in the head frame.
_FACE_OFFSETS = {
    "nose": (0.095, -0.015, 0.0),
    "right_eye": (0.075, 0.03, -0.033),
    "left_eye": (0.075, 0.03, 0.033),
    "right_ear": (0.0, 0.01, -0.075),
    "left_ear": (0.0, 0.01, 0.075),
}
_REF_TORSO = 0.52  # m, shoulder midpoint to hip midpoint of an adult (SMPL's rest pose)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-9, v / np.where(n > 1e-9, n, 1.0), np.nan)


def head_frames(common: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame head axes (forward, up, left), each (T, 3) unit vectors, from a common body (T, 18, 3).

    Up is neck to head; left is the shoulder line (the hips where the shoulders are missing),
    made perpendicular to up; forward = left x up (+z for a dancer standing as the Motion type
    defines). Frames with missing points get the rest frame (+z, +y, +x).
    """
    j = np.asarray(common, np.float64)
    neck = 0.5 * (j[:, _C["left_shoulder"]] + j[:, _C["right_shoulder"]])
    up = _unit(j[:, _C["head"]] - neck)
    side = j[:, _C["left_shoulder"]] - j[:, _C["right_shoulder"]]
    hips = j[:, _C["left_hip"]] - j[:, _C["right_hip"]]
    side = np.where(np.isfinite(side).all(axis=1, keepdims=True), side, hips)
    up = np.where(np.isfinite(up).all(axis=1, keepdims=True), up, [0.0, 1.0, 0.0])
    left = _unit(side - (side * up).sum(axis=1, keepdims=True) * up)
    left = np.where(np.isfinite(left).all(axis=1, keepdims=True), left, [1.0, 0.0, 0.0])
    forward = _unit(np.cross(left, up))
    return forward, up, left


def body_scale(common: np.ndarray) -> float:
    """The body's size relative to an adult (1.0): median torso length / 0.52 m, clipped to [0.3, 3]."""
    j = np.asarray(common, np.float64)
    neck = 0.5 * (j[:, _C["left_shoulder"]] + j[:, _C["right_shoulder"]])
    hip = 0.5 * (j[:, _C["left_hip"]] + j[:, _C["right_hip"]])
    torso = np.linalg.norm(neck - hip, axis=1)
    torso = torso[np.isfinite(torso)]
    if torso.size == 0:
        return 1.0
    return float(np.clip(np.median(torso) / _REF_TORSO, 0.3, 3.0))


def openpose_points_3d(common: np.ndarray) -> np.ndarray:
    """The 18 OpenPose body keypoints (T, 18, 3) m from a common body (T, 18, 3) m, any skeleton."""
    j = np.asarray(common, np.float64)
    if j.ndim != 3 or j.shape[1:] != (len(COMMON_JOINTS), 3):
        raise ValueError(f"common joints must be (T, {len(COMMON_JOINTS)}, 3), got {j.shape}")
    out = np.empty((j.shape[0], len(OPENPOSE_KEYPOINTS), 3))
    for k, name in enumerate(OPENPOSE_KEYPOINTS):
        if name in _DIRECT:
            out[:, k] = j[:, _C[_DIRECT[name]]]
    out[:, 1] = 0.5 * (j[:, _C["left_shoulder"]] + j[:, _C["right_shoulder"]])
    fwd, up, left = head_frames(j)
    s = body_scale(j)
    head = j[:, _C["head"]]
    for name in _FACE:
        f, u, lft = _FACE_OFFSETS[name]
        out[:, OPENPOSE_KEYPOINTS.index(name)] = head + s * (f * fwd + u * up + lft * left)
    return out


def openpose_keypoints(common: np.ndarray, camera: CameraPath) -> tuple[np.ndarray, np.ndarray]:
    """Project the OpenPose keypoints of a common body (T, 18, 3) m with ``camera``.

    Returns pixels (T, 18, 2) (x right, y down, continuous: (0, 0) is the image's top-left corner)
    and visibility (T, 18) bool: finite, in front of the camera, inside the image, and for the face
    points facing the camera (see the module docstring).
    """
    pts = openpose_points_3d(common)
    uv, depth = camera.project(pts)
    n = camera.size
    vis = np.isfinite(uv).all(axis=2) & (depth > 0) & (uv >= 0).all(axis=2) & (uv < n).all(axis=2)
    # Facing: the cosine between a direction on the head and the direction to the camera.
    fwd, _, left = head_frames(common)
    to_cam = camera.positions - np.asarray(common, np.float64)[:, _C["head"]]
    to_cam = _unit(to_cam)
    face = (fwd * to_cam).sum(axis=1)
    side = (left * to_cam).sum(axis=1)
    face = np.where(np.isfinite(face), face, 1.0)
    side = np.where(np.isfinite(side), side, 0.0)
    k = OPENPOSE_KEYPOINTS.index
    vis[:, k("nose")] &= face > -0.1
    vis[:, k("right_eye")] &= (face > 0.0) & (side < 0.75)
    vis[:, k("left_eye")] &= (face > 0.0) & (side > -0.75)
    vis[:, k("right_ear")] &= side < 0.5
    vis[:, k("left_ear")] &= side > -0.5
    return uv, vis


def _ellipse_poly(cx: int, cy: int, ax: int, ay: int, angle_deg: int) -> list[tuple[int, int]]:
    """OpenCV's ``ellipse2Poly(center, (ax, ay), angle, 0, 360, 1)``: integer points, 1-degree steps."""
    a = np.deg2rad(angle_deg)
    th = np.deg2rad(np.arange(0, 361))
    x = cx + ax * np.cos(th) * np.cos(a) - ay * np.sin(th) * np.sin(a)
    y = cy + ax * np.cos(th) * np.sin(a) + ay * np.sin(th) * np.cos(a)
    pts = np.stack([np.round(x), np.round(y)], axis=1).astype(int)
    keep = np.ones(len(pts), bool)
    keep[1:] = (np.diff(pts, axis=0) != 0).any(axis=1)  # OpenCV drops repeated points
    return [tuple(p) for p in pts[keep].tolist()]


def openpose_sizes(size: int) -> tuple[int, int]:
    """(limb half-width, keypoint radius) in pixels for a ``size``-pixel image: 4 and 4 at 512 px."""
    s = max(1, int(round(4 * size / 512)))
    return s, s


def draw_openpose(canvas: Image.Image, uv: np.ndarray, visible: np.ndarray) -> Image.Image:
    """Draw one pose on ``canvas`` (PIL RGB, drawn on in place and returned), ControlNet's convention.

    ``uv`` (18, 2) pixels and ``visible`` (18,) bool, OpenPose keypoint order.
    """
    draw = ImageDraw.Draw(canvas)
    stick, radius = openpose_sizes(min(canvas.size))
    for (a, b), colour in zip(OPENPOSE_LIMBS, OPENPOSE_LIMB_COLOURS):
        if not (visible[a] and visible[b]):
            continue
        # The annotator's variable names: X is the row (y), Y the column (x).
        Y = np.array([uv[a, 0], uv[b, 0]])
        X = np.array([uv[a, 1], uv[b, 1]])
        m_x, m_y = float(np.mean(X)), float(np.mean(Y))
        length = float(np.hypot(X[0] - X[1], Y[0] - Y[1]))
        angle = np.degrees(np.arctan2(X[0] - X[1], Y[0] - Y[1]))
        poly = _ellipse_poly(int(m_y), int(m_x), int(length / 2), stick, int(angle))
        if len(poly) >= 3:
            draw.polygon(poly, fill=colour)
        elif poly:
            draw.point(poly, fill=colour)
    for k, colour in enumerate(OPENPOSE_COLOURS):
        if not visible[k]:
            continue
        x, y = int(uv[k, 0]), int(uv[k, 1])
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    return canvas


class OpenPoseRenderer:
    """OpenPose control maps of one motion: ``frames()`` yields (size, size, 3) uint8 RGB per frame.

    ``keypoints`` (T, 18, 2) px and ``visible`` (T, 18) bool are computed at construction.
    """

    def __init__(
        self, motion: Motion, size: int = 512, camera_mode: str = "follow", camera: CameraPath | None = None
    ) -> None:
        if size < 16:
            raise ValueError(f"image size must be at least 16 pixels, got {size}")
        self.size = int(size)
        self.fps = motion.fps
        self.joints = motion.common().astype(np.float64)
        self.num_frames = self.joints.shape[0]
        self.camera = camera if camera is not None else framing_camera(
            self.joints, self.size, camera_mode, fps=motion.fps
        )
        if len(self.camera) != self.num_frames or self.camera.size != self.size:
            raise ValueError("camera does not match the motion's frames or the image size")
        if self.num_frames:
            self.keypoints, self.visible = openpose_keypoints(self.joints, self.camera)
        else:
            self.keypoints = np.zeros((0, 18, 2))
            self.visible = np.zeros((0, 18), bool)

    def render_image(self, t: int) -> Image.Image:
        """Frame ``t`` as a PIL RGB image."""
        img = Image.new("RGB", (self.size, self.size), (0, 0, 0))
        return draw_openpose(img, self.keypoints[t], self.visible[t])

    def frames(self) -> Iterator[np.ndarray]:
        """Yield every frame as a (size, size, 3) uint8 RGB array."""
        for t in range(self.num_frames):
            yield np.asarray(self.render_image(t))

    def json_frames(self) -> Iterator[dict]:
        """Yield OpenPose JSON dicts, one per frame (see ``openpose_json``)."""
        for t in range(self.num_frames):
            yield openpose_json(self.keypoints[t], self.visible[t], self.size, self.size)


def openpose_json(uv: np.ndarray, visible: np.ndarray, width: int, height: int) -> dict:
    """One frame in OpenPose's JSON format: ``pose_keypoints_2d`` = [x, y, confidence] * 18 (pixels).

    Dropped points are ``0, 0, 0``; kept ones have confidence 1.
    """
    flat: list[float] = []
    for k in range(len(OPENPOSE_KEYPOINTS)):
        if visible[k]:
            flat += [round(float(uv[k, 0]), 3), round(float(uv[k, 1]), 3), 1.0]
        else:
            flat += [0.0, 0.0, 0.0]
    person = {
        "person_id": [-1], "pose_keypoints_2d": flat, "face_keypoints_2d": [],
        "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": [], "pose_keypoints_3d": [],
        "face_keypoints_3d": [], "hand_left_keypoints_3d": [], "hand_right_keypoints_3d": [],
    }  # fmt: skip
    return {"version": 1.3, "people": [person], "canvas_width": int(width), "canvas_height": int(height)}


def check_output_folder(folder: str | Path, force: bool = False) -> Path:
    """Validate an output folder before any work: OutputError if it exists (without ``force``),
    is a file, or its parent folder is missing."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file, not an output folder.")
    if folder.exists() and not force:
        raise OutputError(f"{folder}: already exists (use --force to overwrite).")
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{folder}: cannot write, folder {parent} does not exist.")
    return folder


def write_openpose_json(renderer: OpenPoseRenderer, folder: str | Path, name: str = "frame") -> Path:
    """Write one OpenPose JSON file per frame into ``folder`` (``<name>_<frame:012d>_keypoints.json``).

    Atomic: the files are written into a temporary folder beside ``folder``, which then replaces it
    (an existing folder is removed only once the new one is complete). Returns ``folder``.
    """
    folder = Path(folder)
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=parent))
    except OSError as err:
        raise OutputError(f"{folder}: cannot write ({err.strerror}).") from None
    try:
        for t, data in enumerate(renderer.json_frames()):
            (tmp / f"{name}_{t:012d}_keypoints.json").write_text(json.dumps(data))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)
        if folder.exists():
            old = parent / f".{folder.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
