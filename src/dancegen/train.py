"""One trainer for the diffusion model: data preparation, losses, the Accelerate loop, resume.

Data flow: dataset sequences -> (music features (T, 35), motion features (T, D)) per sequence ->
windows of ``ModelConfig.window`` frames every ``TrainConfig.stride_s`` seconds -> normalised
tensors. Prepared arrays can be saved to one ``.npz`` (``--save-prepared``) and trained from
(``--prepared``) on a machine without the raw data or librosa.

Output folder: ``checkpoint/`` (latest: inference weights = EMA + exact-resume state), ``best/``
(lowest validation loss, inference weights only), ``log.csv`` (one row per log step), and with
``TrainConfig.snapshot_every`` ``snapshots/step_NNNNNNN/`` (inference weights at those steps).
"""

from __future__ import annotations

import csv
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from dancegen.checkpoint import save_checkpoint
from dancegen.config import LossWeights, ModelConfig, TrainConfig, from_dict, to_dict
from dancegen.errors import DancegenError, DatasetError
from dancegen.models.diffusion import DanceDenoiser, count_parameters
from dancegen.models.sampling import Diffusion
from dancegen.motion.representation import FeatureLayout, Normalizer, decode, encode
from dancegen.motion.skeleton import get_skeleton

STATE_TENSORS = "training_state.safetensors"
STATE_JSON = "training_state.json"


# --------------------------------------------------------------------------------------------
# data


@dataclass
class PreparedData:
    """Per-sequence training arrays at ``fps``: music (T_i, 35) and joints (T_i, J, 3) metres."""

    names: list[str]
    music: list[np.ndarray]
    joints: list[np.ndarray]
    skeleton: str
    fps: int
    styles: list[str] = field(default_factory=list)

    def save(self, path: str | Path) -> None:
        """One compressed ``.npz`` (no pickle): concatenated arrays plus per-sequence lengths."""
        from dancegen.io import atomic_path

        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                names=np.array(self.names),
                styles=np.array(self.styles or [""] * len(self.names)),
                lengths=np.array([len(m) for m in self.music]),
                music=np.concatenate(self.music).astype(np.float32),
                joints=np.concatenate(self.joints).astype(np.float32),
                skeleton=np.str_(self.skeleton),
                fps=np.int64(self.fps),
            )

    @classmethod
    def load(cls, path: str | Path) -> PreparedData:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as d:
                cuts = np.cumsum(d["lengths"])[:-1]
                return cls(
                    [str(n) for n in d["names"]],
                    np.split(d["music"], cuts),
                    np.split(d["joints"], cuts),
                    str(d["skeleton"]),
                    int(d["fps"]),
                    [str(s) for s in d["styles"]],
                )
        except (OSError, KeyError, ValueError) as err:
            raise DatasetError(f"{path}: not a prepared training file ({err}).") from None


def prepare_data(
    dataset: str, root: str | Path, split: str, fps: int = 30, progress: bool = True, names: list[str] | None = None
) -> PreparedData:
    """Load a dataset split and compute each sequence's music features (cached by file content).

    ``names`` keeps only those sequences (in the split's order).
    """
    from tqdm import tqdm

    from dancegen.audio import extract_features
    from dancegen.datasets import load_dataset

    seqs = load_dataset(dataset, root, split=split, fps=fps)
    if names is not None:
        seqs = [s for s in seqs if s.name in set(names)]
    kept, music, joints, styles, skipped = [], [], [], [], []
    skeleton = None
    for seq in tqdm(seqs, desc=f"features {dataset}/{split}", disable=not progress, leave=False):
        if seq.audio_path is None:
            skipped.append(seq.name)
            continue
        feats = extract_features(seq.audio_path, fps=fps, start=seq.audio_start, end=seq.audio_end, tempo_hint=seq.tempo_hint)
        n = min(feats.num_frames, seq.motion.num_frames)
        if skeleton is not None and seq.motion.skeleton != skeleton:
            raise DatasetError(f"{root}: mixed skeletons ({skeleton}, {seq.motion.skeleton}) in one dataset.")
        skeleton = seq.motion.skeleton
        kept.append(seq.name)
        music.append(feats.features[:n])
        joints.append(seq.motion.joints[:n])
        styles.append(seq.style or "")
    if skipped:
        print(f"skipped {len(skipped)} sequences without music: {', '.join(skipped[:5])}...", file=sys.stderr)
    if not kept:
        raise DatasetError(f"{root}: no sequence with music in the {split!r} split of {dataset}.")
    return PreparedData(kept, music, joints, skeleton or "", fps, styles)


def make_training_windows(
    data: PreparedData,
    window: int,
    stride: int,
    mirror: bool = False,
    cfg: ModelConfig | None = None,
    tempo_rates: Sequence[float] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of all sequences: motion features (N, window, D), conditioning rows (N, window, C)
    and style indices (N,) int64 (0 = "any").

    ``tempo_rates`` adds every sequence again played at each of these rates
    (``datasets.windows.time_scale``; 1.25 = 25% faster, so its beats come 25% more often), before
    mirroring. ``mirror`` adds the left-right mirror image of every sequence (same music): twice
    the data. With ``cfg`` the conditioning follows it (``models.conditioning``: a "motion"-beat
    model gets each motion's own kinematic beats, found after time-scaling; labels index
    ``cfg.styles``); without, C = 35 (the music).
    """
    from dancegen.datasets.windows import make_windows, time_scale
    from dancegen.models.conditioning import BEAT_COLUMN, condition, motion_beats

    spec = get_skeleton(data.skeleton)
    joints, music = list(data.joints), list(data.music)
    styles = list(data.styles) if data.styles else [""] * len(joints)
    for rate in tempo_rates:
        if rate == 1.0:
            continue
        scaled = [time_scale(j, m, rate, BEAT_COLUMN) for j, m in zip(data.joints, data.music)]
        joints += [j for j, _ in scaled]
        music += [m for _, m in scaled]
        styles += styles[: len(data.joints)]
    if cfg is not None and cfg.beat_condition == "motion":
        music = [condition(cfg, m, motion_beats(j)) for m, j in zip(music, joints)]
    if mirror:
        joints += [spec.mirror(j) for j in joints]
        music += list(music)
        styles += list(styles)
    feats = [encode(j, spec, data.fps) for j in joints]
    music_w, motion_w, index = make_windows(music, feats, window, stride)
    known = cfg.styles if cfg is not None else []
    seq_style = np.array([1 + known.index(s) if s in known else 0 for s in styles], np.int64)
    return motion_w.astype(np.float32), music_w.astype(np.float32), seq_style[index] if len(index) else index


def resolve_auto_fields(cfg: ModelConfig, data: PreparedData) -> ModelConfig:
    """Fill the config fields learned from the data: ``styles == ["auto"]`` -> the data's style
    labels (sorted); a "motion"-beat model's ``beat_period`` -> the median kinematic-beat interval."""
    from dancegen.models.conditioning import median_period, motion_beats

    changes: dict[str, Any] = {}
    if cfg.styles == ["auto"]:
        changes["styles"] = sorted({s for s in data.styles if s})
    if cfg.beat_condition == "motion" and cfg.beat_period <= 0:
        changes["beat_period"] = round(median_period([motion_beats(j) for j in data.joints]), 2)
    return ModelConfig(**{**to_dict(cfg), **changes}) if changes else cfg


# --------------------------------------------------------------------------------------------
# losses


def diffusion_losses(
    model: torch.nn.Module,
    diffusion: Diffusion,
    x0: torch.Tensor,
    music: torch.Tensor,
    normalizer: Normalizer,
    cfg: ModelConfig,
    tcfg: TrainConfig,
    generator: torch.Generator | None = None,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
    drop: torch.Tensor | None = None,
    style: torch.Tensor | None = None,
    noise_generator: torch.Generator | None = None,
) -> dict[str, torch.Tensor]:
    """The weighted training loss and its parts for a batch of normalised windows x0 (B, T, D).

    ``style`` (B,) long labels are replaced by 0 ("any") with probability ``cfg.style_drop_prob``
    unless ``drop`` is given (validation: no dropout at all). ``noise_generator`` (on x0's
    device, e.g. CUDA) draws the noise there instead of from ``generator`` on the CPU."""
    b = x0.shape[0]
    dev = x0.device
    if t is None:
        t = diffusion.sample_timesteps(b, generator, dev)
    if noise is None and noise_generator is not None:
        noise = torch.randn(x0.shape, generator=noise_generator, device=noise_generator.device).to(dev)
    elif noise is None:
        noise = torch.randn(x0.shape, generator=generator).to(dev)
    if style is not None and drop is None and cfg.styles:
        keep = (torch.rand((b,), generator=generator) >= cfg.style_drop_prob).to(dev)
        style = torch.where(keep, style, torch.zeros_like(style))
    if drop is None:
        drop = (torch.rand((b,), generator=generator) < cfg.cond_drop_prob).to(dev)
    xt = diffusion.q_sample(x0, t, noise)
    pred = model(xt, t, music, drop, style if cfg.styles else None, keep_style=tcfg.trainable == "style")
    w = tcfg.loss
    parts = motion_losses(pred, x0, normalizer, cfg)
    parts["recon"] = F.mse_loss(pred, x0)
    parts["loss"] = weighted_motion_loss(w, parts)
    return parts


def motion_losses(pred: torch.Tensor, x0: torch.Tensor, normalizer: Normalizer, cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """Joint-space terms shared by every family, for normalised features pred, x0 (B, T, D).

    joints: MSE of decoded joint positions (m^2); velocity: MSE of joint velocities ((m/s)^2);
    foot: squared speed ((m/s)^2) of feet that ``pred`` itself marks as planted (anti foot-skate);
    acceleration: MSE of joint second differences ((m/s^2)^2).
    """
    num_joints = get_skeleton(cfg.skeleton).num_joints
    lay = FeatureLayout(num_joints)
    j_pred = decode(normalizer.denormalize(pred), num_joints, cfg.fps)
    j_true = decode(normalizer.denormalize(x0), num_joints, cfg.fps)
    v_pred = (j_pred[:, 1:] - j_pred[:, :-1]) * cfg.fps  # (B, T-1, J, 3) m/s
    v_true = (j_true[:, 1:] - j_true[:, :-1]) * cfg.fps
    feet = list(get_skeleton(cfg.skeleton).feet)
    contact = (normalizer.denormalize(pred)[:, :-1, lay.contacts] > 0.5).float().detach()
    foot = ((v_pred[:, :, feet] ** 2).sum(-1) * contact).mean()
    accel = lambda v: (v[:, 1:] - v[:, :-1]) * cfg.fps  # noqa: E731  (B, T-2, J, 3) m/s^2
    return {"joints": F.mse_loss(j_pred, j_true), "velocity": F.mse_loss(v_pred, v_true), "foot": foot,
            "acceleration": F.mse_loss(accel(v_pred), accel(v_true))}


def weighted_motion_loss(w: LossWeights, parts: dict[str, torch.Tensor]) -> torch.Tensor:
    """The terms every family shares (recon and :func:`motion_losses`), weighted by ``w``."""
    return (w.recon * parts["recon"] + w.joints * parts["joints"] + w.velocity * parts["velocity"]
            + w.foot * parts["foot"] + w.acceleration * parts["acceleration"])


class DiffusionObjective:
    """Trains the EDGE-style denoiser: one network, the diffusion losses."""

    log_keys = ("loss", "recon", "joints", "velocity", "foot", "acceleration")

    def __init__(self, cfg: ModelConfig, tcfg: TrainConfig, normalizer: Normalizer) -> None:
        self.cfg, self.tcfg, self.normalizer = cfg, tcfg, normalizer
        self.diffusion = Diffusion(cfg.diffusion_steps, cfg.schedule)
        #: set by ``train`` on a GPU: the noise is drawn there instead of on the CPU
        self.noise_generator: torch.Generator | None = None

    def build(self) -> dict[str, torch.nn.Module]:
        return {"model": DanceDenoiser(self.cfg)}

    def optimizer(self, name: str, net: torch.nn.Module) -> torch.optim.Optimizer:
        params = [p for p in net.parameters() if p.requires_grad]
        # style-only fine-tunes: no weight decay, so the frozen "any" row (zero gradient) stays exact
        decay = 0.0 if self.tcfg.trainable == "style" else self.tcfg.weight_decay
        return torch.optim.AdamW(params, lr=self.tcfg.lr, weight_decay=decay)

    def step(self, nets, opts, x, music, gen, accelerator, style=None) -> dict[str, torch.Tensor]:
        model, opt = nets["model"], opts["model"]
        with accelerator.accumulate(model):
            with accelerator.autocast():
                parts = diffusion_losses(model, self.diffusion, x, music, self.normalizer, self.cfg, self.tcfg,
                                         generator=gen, style=style, noise_generator=self.noise_generator)
            accelerator.backward(parts["loss"])
            if accelerator.sync_gradients and self.tcfg.grad_clip > 0:
                accelerator.clip_grad_norm_(model.parameters(), self.tcfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
        return parts

    def validation_loss(self, model, x, music, vgen: torch.Generator, style=None) -> torch.Tensor:
        b, dev = len(x), x.device
        t = torch.linspace(50, self.diffusion.steps - 50, b).long().to(dev)
        noise = torch.randn(x.shape, generator=vgen).to(dev)
        parts = diffusion_losses(model, self.diffusion, x, music, self.normalizer, self.cfg, self.tcfg, t=t,
                                 noise=noise, drop=torch.zeros(b, dtype=torch.bool, device=dev), style=style)
        return parts["loss"]


#: Cap of the mode-seeking ratio (normalised-feature L1 per unit of code L1): about the distance
#: between two different real dances (~0.5 std) per code distance (E|z1 - z2| = 1.13).
MODE_SEEKING_CAP = 0.5


class GanObjective:
    """Trains the seed's GAN: hinge loss under spectral norm, alternating D and G updates.

    Generator loss = adversarial + feature matching (L1 of discriminator activations) + recon (L1
    of normalised features) + joints + velocity + foot (as the diffusion model) + mode seeking
    (minus the distance between the dances of two codes per code distance, capped at
    ``MODE_SEEKING_CAP``, so z is not ignored).
    """

    log_keys = ("loss", "d_loss", "adversarial", "feature_matching", "recon", "joints", "velocity", "foot",
                "mode_seeking", "d_real_acc", "d_fake_acc")

    def __init__(self, cfg: ModelConfig, tcfg: TrainConfig, normalizer: Normalizer) -> None:
        self.cfg, self.tcfg, self.normalizer = cfg, tcfg, normalizer
        if tcfg.grad_accum != 1:
            raise DancegenError("the GAN trains without gradient accumulation (--grad-accum 1).")

    def build(self) -> dict[str, torch.nn.Module]:
        from dancegen.models.gan import DanceDiscriminator, DanceGenerator

        return {"model": DanceGenerator(self.cfg), "disc": DanceDiscriminator(self.cfg)}

    def optimizer(self, name: str, net: torch.nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(net.parameters(), lr=self.tcfg.lr, betas=(0.5, 0.999))

    def generator_losses(self, gen_net, disc, x, music, z1, z2) -> dict[str, torch.Tensor]:
        w = self.tcfg.loss
        fake = gen_net(music, z1)
        parts = motion_losses(fake, x, self.normalizer, self.cfg)
        parts["recon"] = F.l1_loss(fake, x)
        total = weighted_motion_loss(w, parts)
        if disc is not None:
            logits, f_fake = disc(fake, music)
            with torch.no_grad():
                _, f_real = disc(x, music)
            parts["adversarial"] = -logits.mean()
            parts["feature_matching"] = sum(F.l1_loss(a, b) for a, b in zip(f_fake, f_real)) / len(f_real)
            other = gen_net(music, z2)
            ratio = (fake - other).abs().mean() / ((z1 - z2).abs().mean() + 1e-8)
            # MSGAN's 1 / ratio explodes while z still has no effect (at initialisation); the
            # clamped, diversity-sensitive form (DSGAN) gives the same push and stays bounded
            parts["mode_seeking"] = -torch.clamp(ratio, max=MODE_SEEKING_CAP)
            total = total + w.adversarial * parts["adversarial"] + w.feature_matching * parts["feature_matching"] \
                + w.mode_seeking * parts["mode_seeking"]
        parts["loss"] = total
        return parts

    def step(self, nets, opts, x, music, gen, accelerator, style=None) -> dict[str, torch.Tensor]:
        g, d = nets["model"], nets["disc"]
        raw_g = accelerator.unwrap_model(g)
        b = len(x)
        z1, z2 = raw_g.sample_noise(b, gen, x.device), raw_g.sample_noise(b, gen, x.device)
        # discriminator: hinge loss on real vs generated (generator frozen)
        with torch.no_grad():
            fake = g(music, z1)
        real_logits, _ = d(x, music)
        fake_logits, _ = d(fake, music)
        d_loss = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
        opts["disc"].zero_grad(set_to_none=True)
        accelerator.backward(d_loss)
        opts["disc"].step()
        # generator
        parts = self.generator_losses(g, d, x, music, z1, z2)
        opts["model"].zero_grad(set_to_none=True)
        accelerator.backward(parts["loss"])
        if self.tcfg.grad_clip > 0:
            accelerator.clip_grad_norm_(g.parameters(), self.tcfg.grad_clip)
        opts["model"].step()
        opts["disc"].zero_grad(set_to_none=True)  # the generator step left gradients in D
        parts["d_loss"] = d_loss.detach()
        parts["d_real_acc"] = (real_logits > 0).float().mean().detach()
        parts["d_fake_acc"] = (fake_logits < 0).float().mean().detach()
        return parts

    def validation_loss(self, model, x, music, vgen: torch.Generator, style=None) -> torch.Tensor:
        z = model.sample_noise(len(x), vgen, x.device)
        return self.generator_losses(model, None, x, music, z, z)["loss"]


OBJECTIVES = {"diffusion": DiffusionObjective, "gan": GanObjective}


# --------------------------------------------------------------------------------------------
# state (exact resume)


#: Parameters a ``trainable = "style"`` fine-tune updates (their rows 1.., not row 0 = "any").
STYLE_TABLES = ("style.weight", "style_direct.weight", "style_layer.weight")


#: Parameters a ``trainable = "head"`` fine-tune updates: the output norm and head (DanceDenoiser).
HEAD_PREFIXES = ("norm_out.", "motion_out.", "motion_out_context.")


def freeze_for(net: torch.nn.Module, trainable: str) -> list[str]:
    """Freeze ``net`` for ``TrainConfig.trainable``; the names of the parameters left trainable.

    "all": nothing frozen. "head": every parameter but the output head (``HEAD_PREFIXES``).
    "style": every parameter but the style tables, and their row 0 ("any") through a gradient hook
    that zeroes it, so a dance asked without a label is unchanged.
    """
    if trainable == "all":
        return [n for n, _ in net.named_parameters()]
    if trainable == "head":
        for name, p in net.named_parameters():
            p.requires_grad_(name.startswith(HEAD_PREFIXES))
        return [n for n, p in net.named_parameters() if p.requires_grad]
    if getattr(net, "style", None) is None:
        raise DancegenError("trainable 'style' needs a model with style labels (ModelConfig.styles).")
    kept = []
    for name, p in net.named_parameters():
        p.requires_grad_(name in STYLE_TABLES)
        if name in STYLE_TABLES:
            p.register_hook(lambda g: g.index_fill(0, torch.tensor([0], device=g.device), 0.0))
            kept.append(name)
    return kept


def style_balanced_probs(style_idx: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Sampling probabilities (N,) for windows with style indices (N,) (0 = no label).

    Label k with n_k windows gets the total probability n_k^(1 - power) / sum_j n_j^(1 - power),
    split evenly over its windows: ``power`` 1 gives every label present the same share, 0 the
    shares of the data, 0.5 lies between (a style with 1/20 of the windows of another gets 1/sqrt(20)
    of its share). Unlabelled windows get 0 (all equal when no window has a label)."""
    if not 0.0 <= power <= 1.0:
        raise ValueError(f"power must lie in [0, 1], got {power}")
    style_idx = np.asarray(style_idx)
    labels = np.unique(style_idx[style_idx > 0])
    if labels.size == 0:
        return np.full(len(style_idx), 1.0 / max(1, len(style_idx)))
    counts = {int(k): int((style_idx == k).sum()) for k in labels}
    share = {k: n ** (1.0 - power) for k, n in counts.items()}
    total = sum(share.values())
    return np.array([share[int(k)] / (total * counts[int(k)]) if k > 0 else 0.0 for k in style_idx])


def grow_load(net: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Load ``state`` into ``net`` where names match; a tensor that grew keeps the old values in
    its leading slice per axis and zeros elsewhere, except ``music_in.weight``, whose input columns
    are frame-major (k frames x C channels): old channel c of frame f goes to new (f, c)."""
    own = net.state_dict()
    k = getattr(getattr(net, "cfg", None), "frames_per_token", 1)
    for name, old in state.items():
        if name not in own:
            continue
        new = own[name]
        old = old.to(new.dtype)
        if old.shape == new.shape:
            new.copy_(old)
            continue
        if old.dim() != new.dim() or any(o > n for o, n in zip(old.shape, new.shape)):
            raise DancegenError(f"cannot fine-tune from this checkpoint: {name} {tuple(old.shape)} -> {tuple(new.shape)}.")
        new.zero_()
        if name == "music_in.weight":
            c_old, c_new = old.shape[1] // k, new.shape[1] // k
            new.view(new.shape[0], k, c_new)[:, :, :c_old] = old.view(old.shape[0], k, c_old)
        else:
            new[tuple(slice(0, o) for o in old.shape)] = old
    net.load_state_dict(own)


def _optimizer_tensors(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """An optimizer's tensors as ``{prefix}{param index}.{name}`` and its param groups (JSON)."""
    sd = opt.state_dict()
    tensors = {}
    for idx, st in sd["state"].items():
        for key, val in st.items():
            tensors[f"{prefix}{idx}.{key}"] = torch.as_tensor(val).detach().cpu().clone()
    return tensors, {"param_groups": sd["param_groups"]}


def _load_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: list, prefix: str) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, val in tensors.items():
        if key.startswith(prefix):
            idx, name = key[len(prefix) :].split(".", 1)
            state.setdefault(int(idx), {})[name] = val
    opt.load_state_dict({"state": state, "param_groups": groups})


def lr_at(step: int, tcfg: TrainConfig) -> float:
    """Learning rate at ``step``.

    ``cosine``: linear warm-up over ``warmup_steps``, then cosine decay to 10% of the peak at
    ``max_steps``. ``onecycle`` (Smith's one-cycle, as torch's OneCycleLR with its defaults): cosine
    rise from lr/25 to lr over the first 30% of ``max_steps``, then cosine fall to lr/1e4.
    """
    if tcfg.lr_schedule == "onecycle":
        total = max(1, tcfg.max_steps)
        up = max(1, int(0.3 * total))
        start, end = tcfg.lr / 25, tcfg.lr / 25 / 1e4
        if step < up:
            return start + (tcfg.lr - start) * 0.5 * (1 - math.cos(math.pi * step / up))
        progress = min(1.0, (step - up) / max(1, total - up))
        return end + (tcfg.lr - end) * 0.5 * (1 + math.cos(math.pi * progress))
    if step < tcfg.warmup_steps:
        return tcfg.lr * (step + 1) / tcfg.warmup_steps
    progress = min(1.0, (step - tcfg.warmup_steps) / max(1, tcfg.max_steps - tcfg.warmup_steps))
    return tcfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


# --------------------------------------------------------------------------------------------
# the loop


@dataclass
class TrainResult:
    out_dir: Path
    steps: int
    final_loss: float
    val_loss: float | None
    seconds: float
    is_main_process: bool = True


def train(
    data: PreparedData,
    out_dir: str | Path,
    cfg: ModelConfig | None = None,
    tcfg: TrainConfig | None = None,
    val_data: PreparedData | None = None,
    resume: bool = False,
    progress: bool = True,
    info: dict[str, Any] | None = None,
    time_budget_s: float | None = None,
    on_step: Callable[[int, torch.nn.Module], None] | None = None,
    on_validation: Callable[[int, float], None] | None = None,
    init_from: Any = None,
) -> TrainResult:
    """Train (or resume) a diffusion model on ``data``; writes checkpoints into ``out_dir``.

    ``time_budget_s``: after 50 timed steps, lower ``max_steps`` so that training ends within this
    many seconds; the learning-rate schedule follows the new end. ``on_step(step, model)`` is
    called on every process after each optimiser step with the unwrapped model (for inspection);
    ``on_validation(step, val_loss)`` after each validation (hyperparameter search reports there).
    ``init_from`` (a ``Checkpoint``) fine-tunes: its weights and normaliser start the run; weights
    whose shape grew (new conditioning columns, a style table) keep the old part, the rest zero.
    """
    from accelerate import Accelerator
    from tqdm import tqdm

    out_dir = Path(out_dir)
    cfg = cfg or ModelConfig(skeleton=data.skeleton, fps=data.fps)
    tcfg = tcfg or TrainConfig()
    if cfg.skeleton != data.skeleton or cfg.fps != data.fps:
        cfg = ModelConfig(**{**to_dict(cfg), "skeleton": data.skeleton, "fps": data.fps})
    state_dir = out_dir / "checkpoint"
    start_step, state_tensors, state_json = 0, None, None
    if resume and (state_dir / STATE_JSON).is_file():
        from safetensors.torch import load_file

        state_json = json.loads((state_dir / STATE_JSON).read_text())
        state_tensors = load_file(str(state_dir / STATE_TENSORS))
        saved_cfg = from_dict(ModelConfig, state_json["model"])
        if to_dict(saved_cfg) != to_dict(cfg):
            print("resuming: using the model config stored in the checkpoint", file=sys.stderr)
        cfg = saved_cfg
        tcfg = from_dict(TrainConfig, {**state_json["train"], "max_steps": tcfg.max_steps})
        start_step = int(state_json["step"])
    elif resume:
        print(f"--resume: no checkpoint in {state_dir}, starting from scratch", file=sys.stderr)

    # cpu=True on a machine without CUDA lets a multi-process launch (torchrun / accelerate launch)
    # run distributed on CPU with gloo; without it Accelerate would run each process alone.
    accelerator = Accelerator(mixed_precision=tcfg.mixed_precision, gradient_accumulation_steps=tcfg.grad_accum,
                              cpu=not torch.cuda.is_available())
    main = accelerator.is_main_process
    torch.manual_seed(tcfg.seed)
    if state_tensors is None:
        cfg = resolve_auto_fields(cfg, data)
    stride = max(1, int(round(tcfg.stride_s * cfg.fps)))
    motion_w, music_w, style_w = make_training_windows(data, cfg.window, stride, mirror=tcfg.mirror, cfg=cfg,
                                                       tempo_rates=tcfg.tempo_augment)
    if len(motion_w) == 0:
        raise DatasetError(f"no training window: every sequence is shorter than {cfg.window} frames.")
    if state_tensors is not None:
        normalizer = Normalizer(state_tensors["normalizer.mean"].numpy(), state_tensors["normalizer.std"].numpy())
    elif init_from is not None:
        normalizer = init_from.normalizer
    else:
        normalizer = Normalizer.fit(motion_w)
        spec = get_skeleton(cfg.skeleton)
        lay = FeatureLayout(spec.num_joints)
        # contacts are 0/1 labels: keep them in [0, 1] so a 0.5 threshold on decoded values works
        normalizer.mean[lay.contacts], normalizer.std[lay.contacts] = 0.0, 1.0
    x_all = torch.from_numpy(normalizer.normalize(motion_w))
    m_all = torch.from_numpy(music_w)
    s_all = torch.from_numpy(style_w)
    val = None
    if val_data is not None:
        vm, vmu, vst = make_training_windows(val_data, cfg.window, cfg.window // 2, cfg=cfg)
        if len(vm):
            val = (torch.from_numpy(normalizer.normalize(vm)), torch.from_numpy(vmu), torch.from_numpy(vst))

    # A style-only fine-tune never drops the label (its rows get a gradient from every window); it
    # drops the music of a style_music_drop share of windows, keeping the label. The saved config
    # keeps the model's own dropout values.
    obj_cfg = cfg if tcfg.trainable != "style" else ModelConfig(**{**to_dict(cfg), "cond_drop_prob": tcfg.style_music_drop,
                                                                  "style_drop_prob": 0.0})
    objective = OBJECTIVES[cfg.family](obj_cfg, tcfg, normalizer)
    if torch.cuda.is_available() and hasattr(objective, "noise_generator"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        objective.noise_generator = torch.Generator(device=accelerator.device).manual_seed(
            tcfg.seed + 1_000_003 * (start_step + 1) + accelerator.process_index)
    nets = objective.build()
    if init_from is not None and state_tensors is None:
        grow_load(nets["model"], init_from.state_dict)
    trainable = freeze_for(nets["model"], tcfg.trainable)
    draw_probs = None
    if tcfg.style_balance:
        draw_probs = torch.from_numpy(style_balanced_probs(style_w, float(tcfg.style_balance))).to(torch.float64)
    ema = objective.build()["model"]
    ema.load_state_dict(nets["model"].state_dict())
    opts = {name: objective.optimizer(name, net) for name, net in nets.items()}
    gen = torch.Generator().manual_seed(tcfg.seed)
    if state_tensors is not None:
        for name, net in nets.items():
            net.load_state_dict({k[len(name) + 1 :]: v for k, v in state_tensors.items() if k.startswith(f"{name}.")})
        ema.load_state_dict({k[4:]: v for k, v in state_tensors.items() if k.startswith("ema.")})
        for name, opt in opts.items():
            _load_optimizer(opt, state_tensors, state_json["optimizer"][name]["param_groups"], prefix=f"opt.{name}.")
        gen.set_state(state_tensors["rng.data"])
        torch.set_rng_state(state_tensors["rng.torch"])
    names = list(nets)
    prepared = accelerator.prepare(*nets.values(), *opts.values())
    nets = dict(zip(names, prepared[: len(names)]))
    opts = dict(zip(names, prepared[len(names) :]))
    model = nets["model"]
    dev = accelerator.device
    ema.to(dev)
    x_all, m_all, s_all = x_all.to(dev), m_all.to(dev), s_all.to(dev)
    world, rank = accelerator.num_processes, accelerator.process_index
    n_params = sum(p.numel() for p in accelerator.unwrap_model(model).parameters())  # all, frozen ones too
    n_trainable = count_parameters(accelerator.unwrap_model(model))
    info = dict(info or {})
    info.update(
        family=cfg.family,
        parameters=n_params,
        train_windows=int(len(x_all)),
        train_sequences=len(data.names),
        device=str(dev) if dev.type != "cuda" else torch.cuda.get_device_name(dev),
        processes=world,
        hardware=platform.processor() or platform.machine(),
        torch=torch.__version__,
    )
    elapsed = float(state_json["seconds"]) if state_json else 0.0
    best_val = float(state_json.get("best_val", math.inf)) if state_json else math.inf
    log_path = out_dir / "log.csv"
    log_keys = objective.log_keys
    if main:
        out_dir.mkdir(parents=True, exist_ok=True)
        if start_step == 0 or not log_path.exists():
            with open(log_path, "w", newline="") as fh:
                csv.writer(fh).writerow(["step", *log_keys, "val_loss", "lr", "seconds"])
        print(f"training a {cfg.family} model of {n_params / 1e6:.2f} M parameters on {len(x_all)} windows, "
              f"device {dev}, {world} process(es)", file=sys.stderr)
        if tcfg.trainable != "all":
            print(f"trainable: {tcfg.trainable} only, {n_trainable:,} parameters ({', '.join(trainable)}; "
                  f"the 'any' row and all else frozen)", file=sys.stderr)

    def val_loss() -> float | None:
        if val is None:
            return None
        vgen = torch.Generator().manual_seed(1234)
        vx, vm, vs = val
        tot, count = 0.0, 0
        ema.eval()
        with torch.no_grad():
            for i in range(0, len(vx), 64):
                xb, mb, sb = vx[i : i + 64].to(dev), vm[i : i + 64].to(dev), vs[i : i + 64].to(dev)
                tot += float(objective.validation_loss(ema, xb, mb, vgen, sb)) * len(xb)
                count += len(xb)
        return tot / count

    def save(step: int, last_val: float | None) -> None:
        nonlocal best_val
        if not main:
            return
        tensors: dict[str, torch.Tensor] = {}
        opt_json = {}
        for name, net in nets.items():
            raw = accelerator.unwrap_model(net)
            tensors.update({f"{name}.{k}": v.detach().cpu().contiguous() for k, v in raw.state_dict().items()})
            opt_tensors, opt_json[name] = _optimizer_tensors(opts[name], prefix=f"opt.{name}.")
            tensors.update(opt_tensors)
        tensors.update({f"ema.{k}": v.detach().cpu().contiguous() for k, v in ema.state_dict().items()})
        tensors["rng.data"] = gen.get_state()
        tensors["rng.torch"] = torch.get_rng_state()
        tensors["normalizer.mean"] = torch.from_numpy(normalizer.mean.copy())
        tensors["normalizer.std"] = torch.from_numpy(normalizer.std.copy())
        run_info = {**info, "steps": step, "train_seconds": round(elapsed, 1), "val_loss": last_val}
        if last_val is not None and last_val < best_val:
            best_val = last_val
            save_checkpoint(out_dir / "best", cfg, ema.state_dict(), normalizer, run_info)
        meta = {"step": step, "model": to_dict(cfg), "train": to_dict(tcfg), "optimizer": opt_json,
                "seconds": elapsed, "best_val": best_val if math.isfinite(best_val) else None}
        if meta["best_val"] is None:
            meta.pop("best_val")

        def write_state(tmp_dir: Path) -> None:
            from safetensors.torch import save_file

            save_file(tensors, str(tmp_dir / STATE_TENSORS))
            (tmp_dir / STATE_JSON).write_text(json.dumps(meta, indent=1))

        save_checkpoint(state_dir, cfg, ema.state_dict(), normalizer, run_info, extra=write_state)

    step = start_step
    last = {"loss": float("nan")}
    last_val = None
    bar = tqdm(total=tcfg.max_steps, initial=start_step, disable=not (progress and main), desc="train", dynamic_ncols=True)
    t0 = t_start = time.perf_counter()
    try:
        while step < tcfg.max_steps:
            for net in nets.values():
                net.train()
            for opt in opts.values():
                for group in opt.param_groups:
                    group["lr"] = lr_at(step, tcfg)
            for _ in range(tcfg.grad_accum):
                if draw_probs is None:
                    idx = torch.randint(0, len(x_all), (tcfg.batch_size * world,), generator=gen)
                else:
                    idx = torch.multinomial(draw_probs, tcfg.batch_size * world, replacement=True, generator=gen)
                idx = idx[rank::world].to(dev)
                parts = objective.step(nets, opts, x_all[idx], m_all[idx], gen, accelerator, s_all[idx])
            step += 1
            if time_budget_s is not None and step == start_step + 50:
                rate = 50 / max(1e-6, time.perf_counter() - t_start)
                budget_steps = start_step + int(rate * (time_budget_s - (time.perf_counter() - t_start))) + 50
                if budget_steps < tcfg.max_steps:
                    tcfg.max_steps = max(step, budget_steps)
                    bar.total = tcfg.max_steps
                    print(f"time budget: {rate:.1f} steps/s, stopping at step {tcfg.max_steps}", file=sys.stderr)
            with torch.no_grad():
                decay = min(tcfg.ema_decay, (1 + step) / (10 + step))
                torch._foreach_lerp_(list(ema.parameters()),
                                     [p.detach() for p in accelerator.unwrap_model(model).parameters()], 1 - decay)
            if on_step is not None:
                on_step(step, accelerator.unwrap_model(model))
            last = {k: float(v.detach()) for k, v in parts.items()}
            bar.update(1)
            bar.set_postfix(loss=f"{last['loss']:.4f}")
            now = time.perf_counter()
            elapsed += now - t0
            t0 = now
            do_val = step % tcfg.val_every == 0 or step == tcfg.max_steps
            if do_val:
                last_val = val_loss()
                if on_validation is not None and last_val is not None:
                    on_validation(step, last_val)
            if main and (step % tcfg.log_every == 0 or do_val):
                with open(log_path, "a", newline="") as fh:
                    csv.writer(fh).writerow([step] + [f"{last[k]:.6f}" for k in log_keys]
                                            + ["" if not do_val or last_val is None else f"{last_val:.6f}", f"{lr_at(step - 1, tcfg):.3e}", f"{elapsed:.1f}"])
            if step % tcfg.checkpoint_every == 0 or step == tcfg.max_steps:
                accelerator.wait_for_everyone()
                save(step, last_val)
            if main and tcfg.snapshot_every > 0 and (step % tcfg.snapshot_every == 0 or step == tcfg.max_steps):
                run_info = {**info, "steps": step, "train_seconds": round(elapsed, 1),
                            "val_loss": last_val if do_val else None}  # validated at this very step, or none
                save_checkpoint(out_dir / "snapshots" / f"step_{step:07d}", cfg, ema.state_dict(), normalizer, run_info)
    finally:
        bar.close()
    return TrainResult(out_dir, step, last["loss"], last_val, elapsed, main)
