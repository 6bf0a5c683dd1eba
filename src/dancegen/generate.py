"""Song -> Motion: long-form sampling with overlapping windows kept consistent, then stitched.

A song of T frames is covered by windows of W frames (the model's window) every H frames
(default 0.7 W, so neighbours overlap by 0.3 W = 1.5 s at W = 5 s).
All windows of a chunk are denoised together; before and after every DDIM step each overlap is
replaced in both windows by a linear cross-fade of the two (the earlier window fading out, the
later fading in), so overlaps agree exactly and each window joins its neighbour where that
neighbour's weight is one: no seam. (EDGE copies the earlier window over the later one instead;
measured here, that leaves pose jumps of up to 0.4 m at the joins, since the later window's own
continuation does not always fit the copied half.) Chunks of ``chunk_windows`` windows
bound memory for long songs: the first window of a chunk is inpainted with the end of the previous
chunk. The stitched features are decoded once, so the root trajectory is continuous.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dancegen.checkpoint import Checkpoint, load_checkpoint
from dancegen.config import is_guidance_interval
from dancegen.constraints import (
    CARRY_S,
    Constraint,
    blend_borders,
    border_draft,
    orientation_offset,
    pose_borders,
    turn_features,
)
from dancegen.errors import DancegenError
from dancegen.motion.motion import Motion
from dancegen.motion.representation import FeatureLayout, decode, fuse_velocities


@dataclass
class GenerationSettings:
    """Sampling knobs; ``None`` takes the checkpoint's defaults."""

    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    chunk_windows: int = 32
    hop: int | None = None  # frames between window starts, W/2..W (default 0.7 W: 1.5-s cross-fades)
    style: str | None = None  # style label of a style-conditioned model (None / "any": unconditioned)
    style_guidance: float = 2.0  # extra guidance on the style label alone, used only when a style is
    # asked (0: off; one more network pass per step; see models.sampling and docs/MODEL_CARD.md)
    style_base: str = "music"  # what the style guidance pushes from: "music" (with the music, label vs
    # "any") or "null" (without the music, label vs no label: composable guidance, as style-only
    # fine-tunes train the label); measured in docs/MODEL_CARD.md, "music" stays the default
    beat_every: float | str | None = None  # "motion"-beat models: accent every n-th music beat (None or
    # "auto", the default: the octave n in 0.5, 1, 2, 4 whose interval is closest to the movement period
    # learned from the training dances, about one accent per bar; "beat": the octave closest to 90 BPM, one
    # accent per felt beat, on the beat but less natural; 1 = every tracked beat; 3 = every bar of a
    # waltz; models.conditioning, docs/MODEL_CARD.md)
    beat_align: float = 0.0  # 0..1: strength of the final time warp onto the music beats (dancegen.beat_align)
    velocity_weight: float | None = None  # decode: joint positions fused with the model's own joint-
    # velocity outputs by this weight (motion.representation.fuse_velocities; 0 = positions only;
    # None = the checkpoint's ModelConfig.velocity_weight: 1 for the default, 0 for the GAN)
    guidance_interval: tuple[float, float] | None = None  # noise levels (0 clean .. 1 pure noise) where
    # the guidance applies, plain conditional elsewhere (None = the checkpoint's ModelConfig.guidance_interval)
    eta: float = 0.0  # DDIM stochasticity: 0 deterministic, 1 DDPM-like fresh noise at every step
    smooth: float = 0.0  # seconds: sigma of a Gaussian low-pass of the joints along time, the last step
    # (dancegen.motion.smoothing; pinned frames of an edit kept exactly); 0 = off
    edit_draft: bool = True  # edits: face the way an unconstrained pass does at the borders, start the frames
    # next to pinned ones from the pinned pose and carry the model's error there (docs/EDITING.md); False =
    # pinning only, with the jumps it leaves blended afterwards (the sampler before the seam fix)


def settings_from_pairs(pairs: list[str]) -> dict[str, object]:
    """``["key=value", ...]`` -> GenerationSettings fields {key: value} (values parsed as Python
    literals, else kept as text), for the benchmarks' ``--setting``; ValueError on a bad pair or an
    unknown field."""
    import ast
    from dataclasses import fields

    known = {f.name for f in fields(GenerationSettings)}
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--setting {pair!r}: expected key=value")
        if key not in known:
            raise ValueError(f"--setting {key}: not a GenerationSettings field (known: {', '.join(sorted(known))})")
        try:
            out[key] = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            out[key] = raw.strip()
    return out


def window_starts(num_frames: int, window: int, hop: int) -> list[int]:
    """Start frames of the windows covering ``num_frames`` frames (the last one may run past the end)."""
    n = 1 if num_frames <= window else math.ceil((num_frames - window) / hop) + 1
    return [i * hop for i in range(n)]


def generate_features(
    ckpt: Checkpoint,
    music: np.ndarray,
    settings: GenerationSettings | None = None,
    model=None,
    progress: Callable[[int, int], None] | None = None,
    constraint: Constraint | None = None,
) -> np.ndarray:
    """Normalised-space sampling for music features (T, 35) -> denormalised motion features (T, D).

    ``constraint`` (diffusion models) pins features by inpainting (``dancegen.constraints``).
    """
    import torch

    from dancegen.models.conditioning import generation_condition, style_index

    settings = settings or GenerationSettings()
    cfg = ckpt.config
    style = style_index(cfg, settings.style)
    song = music
    music = generation_condition(cfg, music, settings.beat_every)
    model = model if model is not None else ckpt.build_model()
    from dancegen.models.sampling import Diffusion

    diffusion = Diffusion(cfg.diffusion_steps, cfg.schedule)
    steps = settings.steps or cfg.sample_steps
    guidance = cfg.guidance if settings.guidance is None else settings.guidance
    interval = tuple(cfg.guidance_interval if settings.guidance_interval is None else settings.guidance_interval)
    if not is_guidance_interval(interval):
        raise ValueError(f"guidance_interval must be (lo, hi) with 0 <= lo <= hi <= 1, got {interval}")
    w = cfg.window
    hop = settings.hop or int(round(0.7 * w))
    if not w // 2 <= hop <= w:
        raise ValueError(f"hop must lie between half a window and a window ({w // 2}..{w}), got {hop}")
    ov = w - hop
    total = music.shape[0]
    starts = window_starts(total, w, hop)
    padded_len = starts[-1] + w
    pad = padded_len - total
    music_p = np.concatenate([music, np.repeat(music[-1:], pad, axis=0)]) if pad > 0 else music
    windows = np.stack([music_p[s : s + w] for s in starts]).astype(np.float32)
    gen = torch.Generator().manual_seed(int(settings.seed))
    angle = 0.0  # edits: the constraint is turned by this about the vertical axis while sampling
    draft_w = None
    carry_frames = 0
    if constraint is not None:
        if cfg.family != "diffusion":
            raise DancegenError("constraints (keyframes, in-betweening, body parts, paths) need a diffusion model.")
        if constraint.known.shape[0] != total:
            raise ValueError(f"constraint covers {constraint.known.shape[0]} frames, the song {total}")
        work = constraint
        if settings.edit_draft:
            angle = _edit_orientation(ckpt, song, settings, model, constraint)
            work = constraint.turned(angle, _num_joints(cfg)) if angle else constraint

        def windowed(a: np.ndarray, dtype) -> np.ndarray:
            padded = np.zeros((padded_len, a.shape[1]), dtype)
            padded[:total] = a
            return np.stack([padded[s : s + w] for s in starts])

        c_known_w = windowed(ckpt.normalizer.normalize(work.known), np.float32)
        c_mask_w = windowed(work.mask, bool)
        if settings.edit_draft:
            values, weight = border_draft(work, cfg.fps)
            draft_w = windowed(ckpt.normalizer.normalize(values), np.float32), windowed(weight, np.float32)
            carry_frames = max(1, int(round(CARRY_S * cfg.fps)))

    ramp = torch.linspace(0.0, 1.0, ov + 2)[1:-1].view(1, ov, 1)  # weight of the later window

    def tie(x: torch.Tensor) -> torch.Tensor:
        """Cross-fade each overlap (earlier window fading out, later fading in) into both windows."""
        if x.shape[0] < 2:
            return x
        blend = (1 - ramp) * x[:-1, hop:] + ramp * x[1:, :ov]
        out = x.clone()
        out[1:, :ov] = blend
        out[:-1, hop:] = blend
        return out

    if cfg.family == "gan":
        return ckpt.normalizer.denormalize(_stitch(_gan_windows(model, windows, gen, settings, tie, progress), ov, total))

    outs: list[torch.Tensor] = []
    prev_last: torch.Tensor | None = None
    done = 0
    with torch.inference_mode():
        for a in range(0, len(windows), settings.chunk_windows):
            chunk = torch.from_numpy(windows[a : a + settings.chunk_windows])
            known = mask = None
            if constraint is not None:
                known = torch.from_numpy(c_known_w[a : a + settings.chunk_windows].copy())
                mask = torch.from_numpy(c_mask_w[a : a + settings.chunk_windows].copy())
            if prev_last is not None:
                if known is None:
                    known = torch.zeros((chunk.shape[0], w, model.motion_dim))
                    mask = torch.zeros_like(known, dtype=torch.bool)
                known[0, :ov] = prev_last[hop:]
                mask[0, :ov] = True
            style_t = torch.full((chunk.shape[0],), style, dtype=torch.long) if cfg.styles else None
            draft = draft_weight = None
            if draft_w is not None:
                draft = torch.from_numpy(draft_w[0][a : a + settings.chunk_windows].copy())
                draft_weight = torch.from_numpy(draft_w[1][a : a + settings.chunk_windows].copy())
            x = diffusion.sample(model, chunk, steps, guidance, gen, known=known, mask=mask, tie=tie, style=style_t,
                                 style_guidance=settings.style_guidance,
                                 style_base=settings.style_base, draft=draft, draft_weight=draft_weight,
                                 carry_frames=carry_frames, guidance_interval=interval, eta=settings.eta)
            outs.append(x)
            prev_last = x[-1]
            done += chunk.shape[0]
            if progress is not None:
                progress(done, len(windows))
    feats = ckpt.normalizer.denormalize(_stitch(torch.cat(outs).numpy(), ov, total))
    if constraint is not None:
        if angle:
            feats = turn_features(feats, -angle, _num_joints(cfg))  # back to the constraint's own facing
        if not settings.edit_draft:
            # pinning only leaves jumps at the borders: blend them away (with the draft and the carried
            # error there are none left, and blending would only add speed there)
            feats = blend_borders(feats, constraint, cfg.fps)
        feats[constraint.mask] = constraint.known[constraint.mask]  # exactly, not to float32 round-off
    return feats


#: The orientation probe of an edit samples with this fraction of the steps (at least 2).
PROBE_STEP_FRACTION = 0.25


def _num_joints(cfg) -> int:
    from dancegen.motion.skeleton import get_skeleton

    return get_skeleton(cfg.skeleton).num_joints


def _edit_orientation(ckpt: Checkpoint, music: np.ndarray, settings: GenerationSettings, model,
                      constraint: Constraint) -> float:
    """Angle to turn an edit's constraint by so that its pinned poses face, at their borders, the
    way this song and seed dance without the edit.

    The model picks a window's facing in its first steps, before pinned values show through the
    noise; a window whose pins face elsewhere then flips between the two, token by token. A quick
    unconstrained pass (same seed, so the same noise; a quarter of the steps) shows which way the
    model goes; 0 when no border pins a pose (paths, body parts kept for the whole song).
    """
    from dancegen.motion.skeleton import get_skeleton

    spec = get_skeleton(ckpt.config.skeleton)
    if not pose_borders(constraint, spec):
        return 0.0
    steps = settings.steps or ckpt.config.sample_steps
    probe_settings = replace(settings, steps=max(2, math.ceil(steps * PROBE_STEP_FRACTION)), beat_align=0.0)
    probe = generate_features(ckpt, music, probe_settings, model)
    return orientation_offset(constraint, probe, spec)


def _gan_windows(model, windows: np.ndarray, gen, settings: GenerationSettings, tie, progress) -> np.ndarray:
    """GAN: one noise code per window, all windows generated (in chunks), overlaps cross-faded once."""
    import torch

    out = []
    with torch.inference_mode():
        for a in range(0, len(windows), settings.chunk_windows):
            chunk = torch.from_numpy(windows[a : a + settings.chunk_windows])
            out.append(model(chunk, model.sample_noise(len(chunk), gen)))
            if progress is not None:
                progress(a + len(chunk), len(windows))
        return tie(torch.cat(out)).numpy()


def _stitch(x: np.ndarray, ov: int, total: int) -> np.ndarray:
    """Windows (N, W, D) whose overlaps agree -> one sequence (total, D): the first window whole,
    then each later window without its first ``ov`` frames."""
    return np.concatenate([x[0]] + [w[ov:] for w in x[1:]])[:total]


def generate_motion(
    ckpt: Checkpoint,
    music: np.ndarray,
    settings: GenerationSettings | None = None,
    model=None,
    progress: Callable[[int, int], None] | None = None,
    constraint: Constraint | None = None,
) -> Motion:
    """Music features (T, 35) at the model fps -> a Motion of T frames on the checkpoint's skeleton.

    The model's features are decoded to joint positions fused with its joint-velocity outputs
    (``settings.velocity_weight``, else the checkpoint's; ``motion.representation.fuse_velocities``;
    an edit's pinned frames kept exactly). ``settings.beat_align`` > 0 then time-warps the result so
    its accents move onto the music's beats (``dancegen.beat_align``; constrained frames are no
    longer pinned exactly). Last, when asked: ``settings.smooth`` (dancegen.motion.smoothing),
    which leaves an edit's pinned frames as they are.
    """
    from dancegen.motion.skeleton import get_skeleton

    settings = settings or GenerationSettings()
    cfg = ckpt.config
    feats = generate_features(ckpt, music, settings, model, progress, constraint)
    num_joints = get_skeleton(cfg.skeleton).num_joints
    joints = decode(feats, num_joints, cfg.fps)
    pinned = constraint.mask.any(axis=1) if constraint is not None else None
    weight = cfg.velocity_weight if settings.velocity_weight is None else settings.velocity_weight
    if weight > 0:
        vel = feats[:, FeatureLayout(num_joints).joint_vel].reshape(joints.shape)
        joints = fuse_velocities(joints, vel, cfg.fps, weight, pinned)
    if settings.beat_align > 0:
        from dancegen.beat_align import align_to_beats
        from dancegen.models.conditioning import music_beats

        joints = align_to_beats(joints, music_beats(music), settings.beat_align, fps=cfg.fps)
        pinned = None  # the warp has moved the pinned frames
    if settings.smooth > 0:
        from dancegen.motion.smoothing import smooth_joints

        joints = smooth_joints(joints, cfg.fps, settings.smooth, pinned)
    return Motion(joints, cfg.fps, cfg.skeleton)


def dance_to_song(
    audio_path: str | Path,
    checkpoint: str | Path | None = None,
    settings: GenerationSettings | None = None,
    max_duration: float | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Load a checkpoint and a song, and generate its dance: returns (Motion, AudioFeatures)."""
    from dancegen.audio import extract_features

    ckpt = load_checkpoint(checkpoint)
    feats = extract_features(audio_path, fps=ckpt.config.fps, max_duration=max_duration)
    motion = generate_motion(ckpt, feats.features, settings, progress=progress)
    return motion, feats
