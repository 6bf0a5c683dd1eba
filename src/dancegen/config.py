"""Typed configs (dataclasses) for the model and the trainer, with JSON file and CLI overrides.

A checkpoint stores its ``ModelConfig`` as JSON beside the weights, so a model is rebuilt from the
checkpoint alone. ``TrainConfig`` holds everything the trainer needs that does not change the
network's shape.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dancegen.errors import DancegenError

T = TypeVar("T")


def is_guidance_interval(value: Any) -> bool:
    """True for a pair (lo, hi) of noise levels with 0 <= lo <= hi <= 1 (NaN fails)."""
    try:
        lo, hi = value
        return bool(0.0 <= float(lo) <= float(hi) <= 1.0)
    except (TypeError, ValueError):
        return False


@dataclass
class ModelConfig:
    """Shape of a model (everything needed to rebuild it): the diffusion denoiser or the GAN."""

    family: str = "diffusion"  # "diffusion" (EDGE-style denoiser) or "gan" (the seed's GAN)
    skeleton: str = "dwm23"
    fps: int = 30
    window: int = 150  # frames per training/sampling window (5 s at 30 fps)
    audio_dim: int = 35
    frames_per_token: int = 3  # motion frames folded into one transformer token
    # Output head: 1 maps each token to its own frames (older checkpoints); 3 lets each token's
    # frames see the neighbouring tokens too (a temporal convolution over tokens), against jitter
    # at token borders.
    head_kernel: int = 1
    d_model: int = 256
    num_heads: int = 4
    music_layers: int = 2
    decoder_layers: int = 6
    ff_mult: int = 4
    dropout: float = 0.1
    diffusion_steps: int = 1000  # training noise levels
    schedule: str = "cosine"
    cond_drop_prob: float = 0.25  # classifier-free guidance: share of examples trained without music
    sample_steps: int = 20  # DDIM steps at generation time
    guidance: float = 2.0  # classifier-free guidance weight (1 = plain conditional)
    # Noise levels [lo, hi] (fractions of the schedule: 0 clean, 1 pure noise) at which the guidance
    # applies; at the other DDIM steps the plain conditional prediction (one network pass). [0, 1]:
    # every step. Guidance at the highest levels makes the diffusion model dance worse (MODEL_CARD.md).
    guidance_interval: list[float] = field(default_factory=lambda: [0.0, 1.0])
    velocity_weight: float = 0.0  # decode: weight of the joint-velocity outputs against the positions
    # (motion.representation.fuse_velocities; 0 = positions only); measured per checkpoint, MODEL_CARD.md
    noise_dim: int = 64  # GAN: size of the noise code z
    disc_channels: int = 64  # GAN: width of the discriminator's first layer
    # Beat conditioning (dancegen.models.conditioning): "music" feeds the music's beat one-hot as
    # is; "motion" trains on the motion's OWN kinematic beats (one-hot + beat phase sin/cos, two
    # extra input columns) and feeds the music's beats at generation time.
    beat_condition: str = "music"
    beat_period: float = 0.0  # frames: median kinematic-beat interval of the training motions
    styles: list[str] = field(default_factory=list)  # style labels; index 0 of the embedding is "any"
    style_drop_prob: float = 0.3  # label dropout: share of training windows shown as "any"
    # Per-layer style vectors: each label also adds a learned vector to the decoder's motion tokens
    # before every decoder block (row 0, "any", is zero), more reach for a label than its input
    # vectors alone; needs ``styles``.
    style_layers: bool = False

    def __post_init__(self) -> None:
        if self.family not in ("diffusion", "gan"):
            raise DancegenError(f"model family must be 'diffusion' or 'gan', got {self.family!r}.")
        if self.beat_condition not in ("music", "motion"):
            raise DancegenError(f"beat_condition must be 'music' or 'motion', got {self.beat_condition!r}.")
        if self.head_kernel < 1 or self.head_kernel % 2 == 0:
            raise DancegenError(f"head_kernel must be an odd number >= 1, got {self.head_kernel}.")
        if not is_guidance_interval(self.guidance_interval):
            raise DancegenError(f"guidance_interval must be [lo, hi] with 0 <= lo <= hi <= 1, "
                                f"got {self.guidance_interval}.")
        self.guidance_interval = [float(v) for v in self.guidance_interval]
        if not self.velocity_weight >= 0:
            raise DancegenError(f"velocity_weight must be 0 or more, got {self.velocity_weight}.")
        if self.family == "gan" and (self.beat_condition != "music" or self.styles):
            raise DancegenError("beat_condition 'motion' and style labels need the diffusion family.")
        if self.style_layers and not self.styles:
            raise DancegenError("style_layers needs style labels (ModelConfig.styles).")


@dataclass
class LossWeights:
    """Weights of the training loss terms (all on normalised features unless stated)."""

    recon: float = 1.0  # x0 reconstruction of the normalised features (MSE, unitless)
    velocity: float = 1.0  # decoded joint velocities (MSE, (m/s)^2): punishes jitter
    joints: float = 10.0  # decoded joint positions (MSE, m^2)
    foot: float = 1.0  # squared speed (m/s)^2 of feet the model predicts planted (anti foot-skate)
    acceleration: float = 0.0  # decoded joint accelerations (MSE, (m/s^2)^2): second differences, so
    # a jump between two tokens costs twice (off in every shipped recipe; docs/MODEL_CARD.md, head fine-tune)
    adversarial: float = 1.0  # GAN: hinge loss of the generator
    feature_matching: float = 10.0  # GAN: L1 between discriminator activations on real and generated
    mode_seeking: float = 1.0  # GAN: 1 / (output distance per code distance) for two codes, one song


#: Values of ``TrainConfig.trainable``.
TRAINABLE = ("all", "style", "head")


@dataclass
class TrainConfig:
    """Optimisation settings; independent of the network's shape."""

    batch_size: int = 32
    lr: float = 2e-4
    lr_schedule: str = "cosine"  # "cosine" (warm-up + cosine to 10%) or "onecycle"
    weight_decay: float = 0.01
    warmup_steps: int = 500
    max_steps: int = 20000
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    stride_s: float = 0.5  # window stride in seconds when cutting training windows
    mirror: bool = True  # add left-right mirrored copies of the training motions
    # Tempo augmentation: each sequence is also added resampled at these playback rates (1.25 =
    # 25% faster: motion and music features both time-scaled), so beats denser or sparser than
    # the data's own are in the training distribution. Empty = off.
    tempo_augment: list[float] = field(default_factory=list)
    val_every: int = 500
    checkpoint_every: int = 500
    # Every this many steps, and at the last, also keep the inference weights (EMA) in
    # snapshots/step_NNNNNNN/ (0 = off): benchmarks/training_curve.py --snapshots scores them
    # (FID_k over steps).
    snapshot_every: int = 0
    log_every: int = 50
    seed: int = 0
    mixed_precision: str = "no"  # "no", "fp16", "bf16" (Accelerate)
    grad_accum: int = 1
    loss: LossWeights = field(default_factory=LossWeights)
    # What the optimiser updates: "all" weights; "style": only the style label rows of the style
    # tables (a fine-tune that learns what each label means while every other weight and the "any"
    # row stay exactly as they are; label and music dropout are off for it); "head": only the output
    # head (the last norm, the per-token head and its neighbour-seeing conv), dropout as the model's
    # own (dancegen.train.freeze_for).
    trainable: str = "all"
    # Draw training windows so that every style label of the model is equally likely (true or 1: a style
    # with one dance is seen as often as one with twenty), or part of the way there (a number p in
    # (0, 1): label k drawn in proportion to n_k^(1 - p) for n_k windows; train.style_balanced_probs);
    # windows without a known label are then left out. false or 0: off.
    style_balance: bool | float = False
    # Style-only fine-tunes: share of windows whose music is replaced by the null while the label is kept
    # (its direct path to the decoder): in the data label and music always agree, so with the music
    # present the label has little left to explain; without it, it must carry the style alone.
    style_music_drop: float = 0.0

    def __post_init__(self) -> None:
        if self.lr_schedule not in ("cosine", "onecycle"):
            raise DancegenError(f"lr_schedule must be 'cosine' or 'onecycle', got {self.lr_schedule!r}.")
        if not 0.0 <= self.style_music_drop <= 1.0:
            raise DancegenError(f"style_music_drop must lie in [0, 1], got {self.style_music_drop}.")
        if isinstance(self.style_balance, str) or not 0.0 <= float(self.style_balance) <= 1.0:
            raise DancegenError(f"style_balance must be true, false or a number in [0, 1], got {self.style_balance!r}.")
        if self.trainable not in TRAINABLE:
            raise DancegenError(f"trainable must be one of {', '.join(TRAINABLE)}, got {self.trainable!r}.")
        if any(not 0.25 <= r <= 4.0 for r in self.tempo_augment):
            raise DancegenError(f"tempo_augment rates must lie in [0.25, 4], got {self.tempo_augment}.")


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config (nested dataclasses) as a plain JSON-able dict."""
    return dataclasses.asdict(cfg)


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build ``cls`` from a dict, rejecting unknown keys (a typo must not pass silently)."""
    names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - set(names)
    if unknown:
        raise DancegenError(f"unknown {cls.__name__} keys: {', '.join(sorted(unknown))}.")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        sub = names[key].default_factory if names[key].default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
        if sub is not None and dataclasses.is_dataclass(sub) and isinstance(value, dict):
            kwargs[key] = from_dict(sub, value)  # type: ignore[arg-type]
        else:
            kwargs[key] = value
    return cls(**kwargs)  # type: ignore[call-arg]


def load_config_file(path: str | Path) -> tuple[ModelConfig, TrainConfig]:
    """Read a JSON file ``{"model": {...}, "train": {...}}``; missing keys keep their defaults."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DancegenError(f"{path}: no such config file.") from None
    except (OSError, ValueError) as err:
        raise DancegenError(f"{path}: not a valid JSON config ({err}).") from None
    if not isinstance(data, dict) or set(data) - {"model", "train"}:
        raise DancegenError(f"{path}: a config holds only the sections 'model' and 'train'.")
    try:
        return from_dict(ModelConfig, data.get("model", {})), from_dict(TrainConfig, data.get("train", {}))
    except DancegenError as err:
        raise DancegenError(f"{path}: {err}") from None
