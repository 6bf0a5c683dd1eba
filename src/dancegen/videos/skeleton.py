"""The ``mediapipe`` skeleton spec: MediaPipe Pose's 33 landmarks (data in ``landmarks``).

The same joint order as ``dancegen.metrics.skeletons``' ``mediapipe`` mapping, so motions on this
skeleton can be evaluated; the common body set lets renderers, metrics and the model
representation use it. The spec itself is registered in ``dancegen.motion.skeleton``.
"""

from __future__ import annotations

from dancegen.motion.skeleton import MEDIAPIPE33
from dancegen.videos.landmarks import BODY12, DRAW_BONES, MEDIAPIPE_JOINTS

__all__ = ["BODY12", "DRAW_BONES", "MEDIAPIPE33", "MEDIAPIPE_JOINTS"]
