"""Pose detection (MediaPipe Pose 0.10.21, model_complexity=1) and a tracker that follows one person.

MediaPipe Pose finds one person per call (the most prominent one in the image). To follow ONE
dancer when several people are in view, ``Tracker``:

1. **Acquires** a person: MediaPipe on the whole frame and, every ``search_every`` frames, on
   overlapping tiles half the frame's longer side wide (small people far from the camera are found
   there). Of the candidates the largest (box area x mean visibility) is taken; when a track was
   lost, the candidate of similar size closest to where it was lost is preferred.
2. **Tracks** it: each next frame is cropped to a square around the predicted position
   (``crop_scale`` x the body's bounding box, side rounded up to 32 px, growing while the person
   is missing), so other people are mostly outside the image the model sees. The crop is kept
   while the person stays within ``recentre`` x its side of its centre, so MediaPipe's video mode
   can reuse its region of interest and skip its person detector; when that finds nobody or
   somebody else, the static mode (with the detector) tries the same crop once more.
3. **Checks** every detection: the torso centre (mean of shoulders and hips) must lie within
   ``max_jump`` torso lengths of the prediction (plus ``max_speed`` torso lengths per second
   while the person is missing) and the torso length must stay within a factor of ``max_scale``;
   otherwise the detection is somebody else (status ``other_person``) and is not
   used. After ``lost_s`` seconds without a match the tracker acquires again.

Coordinates: ``Detection.image`` are normalised to the whole frame (x right, y down, in [0, 1]
inside the frame); ``Detection.world`` are MediaPipe's world landmarks, metres, origin at the hip
centre, x right, y down, z away from the camera.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from dancegen.audio import _quiet_c_stderr
from dancegen.videos import INSTALL_HINT, VideoError, VideoExtraMissing
from dancegen.videos.clean import KEPT as TRACKED
from dancegen.videos.clean import NO_PERSON, OTHER_PERSON, Track
from dancegen.videos.decode import MAX_SIDE, VideoInfo

#: The MediaPipe release whose wheel bundles the pose model used (model_complexity=1).
MEDIAPIPE_VERSION = "0.10.21"

#: Per-frame detection statuses are codes of ``clean.STATUS``: TRACKED (= kept), NO_PERSON, OTHER_PERSON.
__all__ = ["NO_PERSON", "OTHER_PERSON", "TRACKED", "Detection", "PoseModel", "Tracker", "track_video"]

_SHOULDERS_HIPS = [11, 12, 23, 24]


def load_mediapipe() -> Any:
    """The ``mediapipe`` module; VideoExtraMissing (one sentence, how to install) if unusable."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import mediapipe as mp  # noqa: PLC0415
    except ModuleNotFoundError as err:
        if err.name not in (None, "mediapipe"):
            raise VideoExtraMissing(
                f"mediapipe cannot be imported (missing module {err.name}); {INSTALL_HINT}."
            ) from None
        raise VideoExtraMissing(f"pose detection needs mediapipe, which is not installed; {INSTALL_HINT}.") from None
    except ImportError as err:  # e.g. built against numpy 1.x but numpy 2 installed
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise VideoExtraMissing(
            f"mediapipe is installed but cannot be imported ({first.rstrip('.')}); {INSTALL_HINT} (it needs numpy<2)."
        ) from None
    try:
        _ = mp.solutions.pose.Pose
    except AttributeError:
        version = getattr(mp, "__version__", "?")
        raise VideoExtraMissing(
            f"mediapipe {version} has no mp.solutions.pose (version {MEDIAPIPE_VERSION} is needed); {INSTALL_HINT}."
        ) from None
    return mp


@dataclass
class Detection:
    """One person in one frame: ``image`` (33, 2) normalised frame coordinates, ``visibility``
    (33,) in [0, 1], ``world`` (33, 3) metres (MediaPipe world axes, origin at the hip centre)."""

    image: np.ndarray
    visibility: np.ndarray
    world: np.ndarray

    def box(self, width: int, height: int) -> np.ndarray:
        """Bounding box (x0, y0, x1, y1) in pixels of all 33 landmarks, clipped to the frame."""
        x = np.clip(self.image[:, 0] * width, 0, width)
        y = np.clip(self.image[:, 1] * height, 0, height)
        return np.array([x.min(), y.min(), x.max(), y.max()])

    def torso(self, width: int, height: int) -> tuple[np.ndarray, float]:
        """(centre (2,) in pixels, length in pixels): mean of shoulders and hips, and the distance
        from the shoulder centre to the hip centre."""
        px = self.image * np.array([width, height])
        centre = px[_SHOULDERS_HIPS].mean(axis=0)
        length = float(np.linalg.norm(px[[11, 12]].mean(axis=0) - px[[23, 24]].mean(axis=0)))
        return centre, max(length, 1.0)


class PoseModel:
    """MediaPipe Pose (model_complexity=1) on RGB frames or crops of them.

    ``static`` is MediaPipe's static_image_mode: the person detector runs on every call (needed
    when consecutive calls see unrelated images, e.g. tiles); otherwise MediaPipe reuses the
    previous landmarks to place its region of interest and runs the detector only when it loses it.
    MediaPipe's own landmark smoothing is off (``clean`` smooths without lag).
    """

    def __init__(self, static: bool = True, min_confidence: float = 0.5):
        mp = load_mediapipe()
        with _quiet_c_stderr():  # MediaPipe's C++ start-up chatter (TFLite delegate, absl warnings)
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=static, model_complexity=1, smooth_landmarks=False, enable_segmentation=False,
                min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence,
            )  # fmt: skip
        self.calls = 0

    def detect(self, frame: np.ndarray, region: tuple[int, int, int, int] | None = None) -> Detection | None:
        """The most prominent person in ``frame`` (H, W, 3) uint8 RGB, or in its ``region``
        (x0, y0, x1, y1) pixels; landmarks are returned in whole-frame coordinates. None if nobody."""
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = region if region is not None else (0, 0, w, h)
        image = frame if region is None else np.ascontiguousarray(frame[y0:y1, x0:x1])
        if image.shape[0] < 8 or image.shape[1] < 8:
            return None
        self.calls += 1
        if self.calls <= 2:  # the first inferences print C++ warnings on stderr
            with _quiet_c_stderr():
                res = self._pose.process(image)
        else:
            res = self._pose.process(image)
        if not res.pose_landmarks or not res.pose_world_landmarks:
            return None
        lm = np.array([(p.x, p.y, p.visibility) for p in res.pose_landmarks.landmark], dtype=np.float64)
        world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], dtype=np.float32)
        cw, ch = x1 - x0, y1 - y0
        image_xy = np.stack([(x0 + lm[:, 0] * cw) / w, (y0 + lm[:, 1] * ch) / h], axis=1).astype(np.float32)
        return Detection(image_xy, lm[:, 2].astype(np.float32), world)

    def close(self) -> None:
        self._pose.close()


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def tiles(width: int, height: int, fraction: float = 0.5, min_side: int = 160) -> list[tuple[int, int, int, int]]:
    """Overlapping square tiles (x0, y0, x1, y1) of side ``fraction`` x the longer side, half a
    tile apart, covering the frame; none when that side would be under ``min_side`` pixels."""
    side = int(round(fraction * max(width, height)))
    side = min(side, width, height)
    if side < min_side or (side >= width and side >= height):
        return []
    step = max(1, side // 2)

    def starts(n: int) -> list[int]:
        s = list(range(0, max(1, n - side + 1), step))
        if s[-1] != n - side:
            s.append(n - side)
        return s

    return [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]


class Tracker:
    """Follows one person through a video, frame by frame (see the module docstring).

    ``update(frame)`` returns (status, detection): ``TRACKED`` with the person's detection,
    ``NO_PERSON`` (nobody found) or ``OTHER_PERSON`` (someone found who is not the tracked person;
    the detection returned is None). Frames are (H, W, 3) uint8 RGB of a constant size.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        crop_scale: float = 1.6,
        max_jump: float = 1.0,
        max_scale: float = 1.6,
        max_speed: float = 3.0,
        lost_s: float = 0.5,
        recentre: float = 0.15,
        search_per_s: float = 5.0,
        model: PoseModel | None = None,
        search_model: PoseModel | None = None,
    ):
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.crop_scale, self.max_jump, self.max_scale = crop_scale, max_jump, max_scale
        self.max_speed = max_speed
        self.lost_frames = max(1, int(round(lost_s * fps)))
        self.search_every = max(1, int(round(fps / search_per_s)))
        self.model = model or PoseModel(static=False)
        self.search_model = search_model or PoseModel(static=True)
        self._tiles = tiles(self.width, self.height)
        self.box: np.ndarray | None = None  # body box of the tracked person (pixels)
        self.centre = np.zeros(2)  # torso centre (pixels)
        self.length = 1.0  # torso length (pixels)
        self.velocity = np.zeros(2)  # torso centre motion per frame (pixels)
        self.lost = 0
        self.last: tuple[np.ndarray, float] | None = None  # (centre, length) when the track was lost
        self.frame_index = -1
        self.acquisitions = 0
        self.recentre = recentre
        self._crop: tuple[int, int, int, int] | None = None

    # -- acquisition ---------------------------------------------------------------------------
    def _candidates(self, frame: np.ndarray, with_tiles: bool) -> list[Detection]:
        found: list[Detection] = []
        boxes: list[np.ndarray] = []
        regions = [None] + (list(self._tiles) if with_tiles else [])
        for region in regions:
            det = self.search_model.detect(frame, region)
            if det is None:
                continue
            box = det.box(self.width, self.height)
            if any(_iou(box, b) > 0.5 for b in boxes):
                continue
            found.append(det)
            boxes.append(box)
        return found

    def _choose(self, cands: list[Detection]) -> Detection | None:
        if not cands:
            return None
        if self.last is not None:
            centre, length = self.last
            near = []
            for det in cands:
                c, ln = det.torso(self.width, self.height)
                if 1 / self.max_scale**2 <= ln / length <= self.max_scale**2:
                    near.append((float(np.linalg.norm(c - centre)), det))
            if near:
                return min(near, key=lambda x: x[0])[1]

        def score(det: Detection) -> float:
            b = det.box(self.width, self.height)
            return float((b[2] - b[0]) * (b[3] - b[1]) * det.visibility.mean())

        return max(cands, key=score)

    def _start(self, det: Detection) -> None:
        self.box = det.box(self.width, self.height)
        self.centre, self.length = det.torso(self.width, self.height)
        self.velocity = np.zeros(2)
        self.lost = 0
        self._crop = None
        self.acquisitions += 1
        # No reset of the video-mode model here: MediaPipe's graph reset leaks memory (about 0.7 MB
        # per call in 0.10.21); a stale region of interest only costs one extra detector run.

    # -- tracking ------------------------------------------------------------------------------
    def _region(self) -> tuple[int, int, int, int]:
        """The crop for the next frame: kept while the person stays near its centre (so MediaPipe's
        own region of interest, in crop coordinates, stays valid), else re-centred."""
        want = self._wanted_region()
        cur = self._crop
        if cur is not None and self.lost == 0:
            side, cur_side = want[2] - want[0], cur[2] - cur[0]
            dx = abs((want[0] + want[2]) - (cur[0] + cur[2])) / 2
            dy = abs((want[1] + want[3]) - (cur[1] + cur[3])) / 2
            if max(dx, dy) <= self.recentre * cur_side and 0.8 <= side / max(cur_side, 1) <= 1.25:
                return cur
        self._crop = want
        return want

    def _wanted_region(self) -> tuple[int, int, int, int]:
        assert self.box is not None
        bw, bh = self.box[2] - self.box[0], self.box[3] - self.box[1]
        side = max(bw, bh, 3.0 * self.length) * self.crop_scale * (1.0 + 0.5 * self.lost)
        side = min(np.ceil(side / 32) * 32, max(self.width, self.height))  # few distinct crop sizes
        cx = (self.box[0] + self.box[2]) / 2 + self.velocity[0] * (1 + self.lost)
        cy = (self.box[1] + self.box[3]) / 2 + self.velocity[1] * (1 + self.lost)
        x0 = int(round(np.clip(cx - side / 2, 0, max(0, self.width - side))))
        y0 = int(round(np.clip(cy - side / 2, 0, max(0, self.height - side))))
        return x0, y0, min(self.width, int(round(x0 + side))), min(self.height, int(round(y0 + side)))

    def _matches(self, det: Detection) -> bool:
        c, ln = det.torso(self.width, self.height)
        predicted = self.centre + self.velocity * (1 + self.lost)
        allowed = self.length * (self.max_jump + self.max_speed * self.lost / self.fps)
        near = np.linalg.norm(c - predicted) <= allowed
        return bool(near and 1 / self.max_scale <= ln / self.length <= self.max_scale)

    def _accept(self, det: Detection) -> None:
        c, ln = det.torso(self.width, self.height)
        step = (c - self.centre) / (1 + self.lost)
        self.velocity = 0.5 * self.velocity + 0.5 * step
        self.centre, self.length = c, 0.7 * self.length + 0.3 * ln
        self.box = det.box(self.width, self.height)
        self.lost = 0

    def update(self, frame: np.ndarray) -> tuple[int, Detection | None]:
        """Process the next frame; returns (status, detection of the tracked person or None)."""
        self.frame_index += 1
        if self.box is None:
            with_tiles = self.frame_index % self.search_every == 0
            det = self._choose(self._candidates(frame, with_tiles))
            if det is None:
                return NO_PERSON, None
            self._start(det)
            return TRACKED, det
        region = self._region()
        det = self.model.detect(frame, region)
        if det is None or not self._matches(det):
            # MediaPipe's video mode places its region from the previous call, which may be stale
            # (new crop, new person): try once more with the person detector on the same crop.
            again = self.search_model.detect(frame, region)
            det = again if again is not None else det
        if det is not None and self._matches(det):
            self._accept(det)
            return TRACKED, det
        self.lost += 1
        if self.lost > self.lost_frames:
            self.last = (self.centre.copy(), self.length)
            self.box = None
        return (NO_PERSON if det is None else OTHER_PERSON), None

    def close(self) -> None:
        self.model.close()
        if self.search_model is not self.model:
            self.search_model.close()


def track_video(
    info: VideoInfo,
    max_frames: int | None = None,
    max_side: int = MAX_SIDE,
    progress: bool = False,
    **tracker_options: Any,
) -> tuple[Track, list[str]]:
    """Decode ``info``'s video frame by frame and follow one person through it.

    Returns the raw ``Track`` (one row per decoded frame; only the first ``max_frames`` when
    given) and notes about decoding (e.g. fewer frames decoded than the container lists). Memory
    holds one frame at a time. VideoError if ffmpeg cannot decode the video.
    """
    from dancegen.videos.decode import FrameReader, analysis_size

    n = info.num_frames if max_frames is None else min(info.num_frames, int(max_frames))
    w, h = analysis_size(info.width, info.height, max_side)
    track = Track.empty(info.times[:n], info.width, info.height)
    tracker = Tracker(w, h, info.fps, **tracker_options)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n, unit="frame", desc=f"poses {info.path.name}", leave=False)
    notes: list[str] = []
    try:
        with FrameReader(info, (w, h), max_frames=n) as reader:
            for i, frame in enumerate(reader):
                status, det = tracker.update(frame)
                track.status[i] = status
                if det is not None:
                    track.image[i], track.visibility[i], track.world[i] = det.image, det.visibility, det.world
                if bar is not None:
                    bar.update(1)
        read = reader.frames_read
        if reader.returncode:
            if read == 0:
                raise VideoError(f"{info.path}: cannot decode the video (ffmpeg: {reader.error}).")
            notes.append(f"decoding stopped with an error after {read} of {n} frames (ffmpeg: {reader.error})")
    finally:
        tracker.close()
        if bar is not None:
            bar.close()
    if read == 0:
        raise VideoError(f"{info.path}: no video frame could be decoded.")
    if read < n:
        if not notes:
            notes.append(f"only {read} of the {n} frames listed in the file could be decoded (damaged file?)")
        track = Track(track.times[:read], track.status[:read], track.image[:read], track.visibility[:read],
                      track.world[:read], track.width, track.height)  # fmt: skip
    return track, notes
