"""The field's dance metrics, reproduced faithfully (quirks included) and in a corrected variant.

Modules, one concern each (the math is in ../shared/METRICS.md and docs/METRICS.md):

==================  ==========================================================================
``skeletons``       joint mappings of smpl24 / dwm23 / coco17 / mediapipe onto SMPL-24 names
``kinetic``         kinetic features (3 per joint: horizontal KE, vertical KE, energy expenditure)
``geometric``       the 32 boolean Mueller-style relational features (AIST++ API adaptation)
``fid``             normalisation, Frechet distance (FID) with the reference numerics, diversity
``beats``           beat alignment scores (Bailando and FACT variants)
``foot_contact``    EDGE's physical foot contact score (PFC)
``protocols``       the named protocols (bailando, fact, edge, fixed) and clip preparation
``formats``         reading motions: our .npz, EDGE pickles, Bailando json/npy, AIST++ pickles
``suite``           scoring sets of clips (rows) against a ground-truth pool
``references``      the reference rows (mismatched music, static mean pose, NN retrieval)
``report``          Markdown report with PNG plots
==================  ==========================================================================

Only numpy is imported here; scipy and matplotlib are imported by the modules that need them.
"""

from __future__ import annotations

from dancegen.errors import DancegenError


class EvaluationError(DancegenError):
    """Bad input to the evaluation suite (empty folder, NaNs, too-short clip, unknown skeleton...)."""


__all__ = ["EvaluationError"]
