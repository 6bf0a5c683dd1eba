"""Rendering: perspective framing cameras, the stick-figure renderer and H.264 video output."""

from dancegen.render.skeleton import render_frames
from dancegen.render.video import probe_video, render_motion_video, write_video

__all__ = ["probe_video", "render_frames", "render_motion_video", "write_video"]
