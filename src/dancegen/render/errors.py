"""Errors of the renderers that the user can fix (the CLI prints them as one sentence, exit code 2)."""

from __future__ import annotations

from dancegen.errors import DancegenError


class RenderError(DancegenError):
    """A rendering option or model is missing, unusable or inconsistent (e.g. no diffusion weights)."""
