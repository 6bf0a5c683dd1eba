"""The built-in styles, by name: one call that yields the frames of any of them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dancegen.motion.motion import Motion

#: Built-in styles; "art" is the default of ``dance`` and ``render``.
STYLES: tuple[str, ...] = ("art", "neon", "skeleton", "openpose")
DEFAULT_STYLE = "art"


def style_frames(
    motion: Motion,
    style: str = DEFAULT_STYLE,
    size: int = 512,
    camera_mode: str = "follow",
    beat_times: np.ndarray | None = None,
    *,
    energy: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Yield (size, size, 3) uint8 RGB frames of ``motion`` in a built-in ``style`` (see ``STYLES``).

    ``beat_times`` (s from the motion's start) and ``energy`` ((T,) in [0, 1]) drive the music-reactive
    styles (the skeleton style flashes on beats; OpenPose maps ignore both). Set-up runs now, so bad
    arguments raise here.
    """
    if style in ("art", "neon"):
        from dancegen.render.art import ArtRenderer

        return ArtRenderer(motion, size, camera_mode, beat_times, energy, style).frames()
    if style == "skeleton":
        from dancegen.render.skeleton import render_frames

        return render_frames(motion, size=size, camera_mode=camera_mode, beat_times=beat_times)
    if style == "openpose":
        from dancegen.render.openpose import OpenPoseRenderer

        return OpenPoseRenderer(motion, size, camera_mode).frames()
    raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
