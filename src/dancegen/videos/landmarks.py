"""MediaPipe Pose's 33 landmarks as plain data (no imports), for the ``mediapipe`` skeleton spec.

Kept free of dancegen imports so that ``dancegen.motion.skeleton`` can build the spec from it
without an import cycle. Joint order = MediaPipe's (and ``dancegen.metrics.skeletons``'
``mediapipe`` mapping); ``mouth_left`` / ``mouth_right`` are named ``left_mouth`` / ``right_mouth``
so that left-right mirroring swaps them like every other side pair.
"""

from __future__ import annotations

#: Landmark names (33) in MediaPipe's order.
MEDIAPIPE_JOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "left_mouth", "right_mouth",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

#: Kinematic tree rooted at the left hip (MediaPipe has no pelvis point): the right hip and the
#: shoulders hang from the hips, the face from the nose, the nose from the left shoulder, fingers
#: from the wrists, heels and foot-index points from the ankles.
MEDIAPIPE_PARENTS: tuple[int, ...] = (
    11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    23, 24, 11, 12, 13, 14, 15, 16, 15, 16, 15, 16,
    -1, 23, 23, 24, 25, 26, 27, 28, 27, 28,
)  # fmt: skip

#: Common body set: pelvis = mean of the hips, spine = mean of shoulders and hips, neck = mean of
#: the shoulders, head = mean of nose and ears, toes = ``*_foot_index``.
MEDIAPIPE_COMMON: dict[str, tuple[int, ...]] = {
    "pelvis": (23, 24), "spine": (11, 12, 23, 24), "neck": (11, 12), "head": (0, 7, 8),
    "left_shoulder": (11,), "left_elbow": (13,), "left_wrist": (15,),
    "right_shoulder": (12,), "right_elbow": (14,), "right_wrist": (16,),
    "left_hip": (23,), "left_knee": (25,), "left_ankle": (27,), "left_toe": (31,),
    "right_hip": (24,), "right_knee": (26,), "right_ankle": (28,), "right_toe": (32,),
}  # fmt: skip

#: The 12 main body joints (shoulders, elbows, wrists, hips, knees, ankles): the per-frame
#: confidence is the mean visibility over these.
BODY12: tuple[int, ...] = (11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)

#: Bones drawn by the overlay (MediaPipe's body connections without the face mesh).
DRAW_BONES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 23), (12, 24), (23, 24),
    (11, 13), (13, 15), (15, 17), (15, 19), (17, 19), (15, 21),
    (12, 14), (14, 16), (16, 18), (16, 20), (18, 20), (16, 22),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (0, 7), (0, 8),
)  # fmt: skip
