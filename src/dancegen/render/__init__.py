"""Rendering: framing cameras, the built-in styles (art, neon, skeleton, OpenPose maps), OpenPose
JSON, the optional Stable Diffusion + ControlNet renderer, and H.264 video output."""

from dancegen.render.art import ArtRenderer, render_art_frames
from dancegen.render.errors import RenderError
from dancegen.render.openpose import OpenPoseRenderer, write_openpose_json
from dancegen.render.skeleton import render_frames
from dancegen.render.styles import STYLES, style_frames
from dancegen.render.video import probe_video, render_motion_video, write_video

__all__ = [
    "STYLES", "ArtRenderer", "OpenPoseRenderer", "RenderError", "probe_video", "render_art_frames",
    "render_frames", "render_motion_video", "style_frames", "write_openpose_json", "write_video",
]  # fmt: skip
