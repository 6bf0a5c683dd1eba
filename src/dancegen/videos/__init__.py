"""From dance videos to a training dataset (``dancegen prepare-videos``, ``dancegen overlay``).

Modules, one concern each: ``decode`` (probe, frame timestamps, streaming frame reader, audio to
wav), ``pose`` (MediaPipe Pose wrapper and single-person tracker), ``clean`` (confidence, gaps,
pieces, smoothing, root translation, y-up, floor, 30 fps), ``dataset`` (the on-disk format and the
``prepare_videos`` driver), ``overlay`` (2-D poses drawn over the original video), ``skeleton``
(the ``mediapipe`` 33-landmark skeleton spec). Format, rules and thresholds: docs/VIDEOS.md.

Only ``pose`` needs the optional ``video`` extra (mediapipe); it is imported lazily, so everything
else (and ``import dancegen``) works without it.
"""

from __future__ import annotations

from dancegen.errors import DancegenError

#: The one sentence telling how to get the optional dependencies.
INSTALL_HINT = "install the video extra: pip install 'dancegen[video]'"


class VideoError(DancegenError):
    """A video cannot be used: no video stream, empty, corrupt, no person in it (CLI exit code 2)."""


class VideoExtraMissing(DancegenError):
    """The optional ``video`` extra (mediapipe) is not installed (CLI exit code 2)."""
