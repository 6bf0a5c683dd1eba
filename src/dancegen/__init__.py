"""dancegen: music in, 3D dance out, rendered to video.

The core imports fast: heavy parts (torch, librosa) load inside the functions that need them.
"""

__version__ = "0.1.0"
