"""The diffusion process, kept apart from the network: schedules, noising, DDIM sampling.

The network predicts x0 (clean normalised motion). Sampling is deterministic DDIM (eta = 0) over a
configurable number of steps (or stochastic with ``eta`` > 0), with classifier-free guidance (at every
step or within an interval of noise levels) and inpainting: frames under ``mask``
are held to ``known`` values (noised to the current level), an optional ``draft`` moves the sample
once, at a high noise level, towards given values (edits: the frames next to pinned ones start from
the pinned pose), and an optional ``tie`` callback rewrites the sample after every step (long-form
generation uses it to keep overlapping windows identical). All randomness comes from the
``torch.Generator`` passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from dancegen.models.diffusion import DanceDenoiser
from dancegen.motion.smoothing import smoothstep


def cosine_alphas_cumprod(steps: int, s: float = 0.008) -> torch.Tensor:
    """Cumulative signal share alpha_bar(t), t = 0..steps-1, of the cosine schedule (Nichol & Dhariwal)."""
    x = torch.linspace(0, steps, steps + 1, dtype=torch.float64)
    f = torch.cos(((x / steps) + s) / (1 + s) * math.pi / 2) ** 2
    ab = f / f[0]
    betas = (1 - ab[1:] / ab[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0).float()


def linear_alphas_cumprod(steps: int) -> torch.Tensor:
    """alpha_bar(t) of the linear beta schedule (DDPM), scaled to ``steps``."""
    scale = 1000 / steps
    betas = torch.linspace(scale * 1e-4, scale * 0.02, steps, dtype=torch.float64)
    return torch.cumprod(1 - betas, dim=0).float()


#: Level (fraction of the diffusion steps) at which ``Diffusion.sample`` moves the sample to a draft.
DRAFT_LEVEL = 0.8
#: What style guidance pushes from (``Diffusion.sample``'s ``style_base``).
STYLE_BASES = ("music", "null")

SCHEDULES: dict[str, Callable[[int], torch.Tensor]] = {
    "cosine": cosine_alphas_cumprod,
    "linear": linear_alphas_cumprod,
}


@dataclass
class Diffusion:
    """Noise schedule with ``steps`` levels; t = 0 is almost clean, t = steps-1 almost pure noise."""

    steps: int = 1000
    schedule: str = "cosine"

    def __post_init__(self) -> None:
        self.alphas_cumprod = SCHEDULES[self.schedule](self.steps)

    def _ab(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return self.alphas_cumprod.to(like.device)[t].to(like.dtype).view(-1, *([1] * (like.ndim - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Noised x_t = sqrt(ab) x0 + sqrt(1 - ab) noise, for per-row steps t (B,)."""
        ab = self._ab(t, x0)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def sample_timesteps(self, batch: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """Uniform training steps (B,) int64."""
        return torch.randint(0, self.steps, (batch,), generator=generator, device="cpu").to(device)

    def ddim_timesteps(self, num_steps: int) -> list[int]:
        """Descending steps visited by DDIM: ``num_steps`` levels from steps-1 down to 0."""
        num_steps = max(1, min(num_steps, self.steps))
        ts = torch.linspace(self.steps - 1, 0, num_steps).round().long().tolist()
        return list(dict.fromkeys(ts))

    @torch.no_grad()
    def sample(
        self,
        model: DanceDenoiser,
        music: torch.Tensor,
        num_steps: int,
        guidance: float = 1.0,
        generator: torch.Generator | None = None,
        known: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        tie: Callable[[torch.Tensor], torch.Tensor] | None = None,
        style: torch.Tensor | None = None,
        style_guidance: float = 0.0,
        style_base: str = "music",
        draft: torch.Tensor | None = None,
        draft_weight: torch.Tensor | None = None,
        draft_level: float = DRAFT_LEVEL,
        carry_frames: int = 0,
        guidance_interval: tuple[float, float] = (0.0, 1.0),
        eta: float = 0.0,
    ) -> torch.Tensor:
        """DDIM sample of normalised motion (B, T, D) for conditioning rows (B, T, C) [+ style (B,)].

        ``guidance`` w mixes predictions as uncond + w (cond - uncond); w = 1 skips the unconditional
        pass. ``guidance_interval`` (lo, hi): the guidance applies only at the steps whose noise
        level t / (steps - 1) lies in [lo, hi] (0 = clean, 1 = pure noise); the others take the
        plain conditional prediction, one network pass (Kynkaanniemi et al. 2024, "Applying guidance
        in a limited interval"; for this model guidance at the high levels makes the dance worse:
        docs/MODEL_CARD.md). ``style_guidance`` s > 0 with a style label adds s (cond - cond with
        style "any"): classifier-free guidance on the label alone (one more network pass per step,
        at every step). ``known``/``mask`` (B, T, D) pin masked entries (inpainting); ``tie`` maps
        the sample to a consistent one after each step. ``eta``: 0 is deterministic DDIM; eta > 0
        adds fresh noise (from ``generator``) at each step, eta = 1 as in DDPM (Song et al. 2021,
        eq. 16).

        ``draft``/``draft_weight`` (B, T, D): once, at the first step whose level is at most
        ``draft_level`` (a fraction of the schedule), the sample moves to the draft noised to that
        level, by ``draft_weight`` (0..1) per entry: x <- x + w (q_sample(draft) - x). Edits use it to
        start the frames next to pinned ones from the pinned pose (``constraints.border_draft``):
        with pinning alone the model has chosen its own facing and stance there before the pinned
        values show through the noise, and snaps between the two at the border.

        ``carry_frames`` n > 0: at every step, where a free frame follows (or precedes) a pinned
        one, the model's own error at that pinned frame (known - predicted) is added to the
        predicted free frames beside it, fading out with a smoothstep over n frames; the free
        frames then start from the pinned value with the model's own step, instead of from the
        model's own (slightly wrong) version of the pinned frame.
        """
        b, n = music.shape[:2]
        device = music.device
        dim = model.motion_dim
        noise = torch.randn((b, n, dim), generator=generator, device="cpu").to(device)
        x = noise
        use_style = style_guidance > 0 and style is not None and bool((style != 0).any())
        # the contexts of one step's passes, built once: conditional [+ style "any"], and with guidance
        # conditional + null [+ style "any"] (the null pass only at the steps inside the interval)
        plain = [model.encode_music(music, style)]
        if style_base not in STYLE_BASES:
            raise ValueError(f"style_base must be one of {', '.join(STYLE_BASES)}, got {style_base!r}")
        if use_style and style_base == "music":
            plain.append(model.encode_music(music, torch.zeros_like(style)))
        elif use_style:
            plain += [model.null_context(b, style), model.null_context(b)]
        contexts = {False: torch.cat(plain, dim=0)}
        if guidance != 1.0:
            contexts[True] = torch.cat([plain[0], model.null_context(b), *plain[1:]], dim=0)
        lo, hi = guidance_interval
        steps = self.ddim_timesteps(num_steps)
        carry = _carry_plan(mask, carry_frames) if known is not None and mask is not None and carry_frames > 0 else []
        if carry:  # a free frame near two borders gets their weighted mean, not their sum
            carry_sum = torch.zeros(mask.shape, dtype=torch.float32, device=device)
            for row, _, frames, weight, cols in carry:
                carry_sum[row, frames] += weight[:, None] * cols
            carry_scale = 1 / carry_sum.clamp(min=1.0)
        draft_t = draft_level * (self.steps - 1) if draft is not None and draft_weight is not None else -1.0
        for i, t in enumerate(steps):
            if t <= draft_t:  # the first step at or below the draft's level (a high one: coarse structure only)
                draft_t = -1.0
                x = x + draft_weight * (self.q_sample(draft, torch.full((b,), t, device=device), noise) - x)
            if known is not None and mask is not None:
                x = torch.where(mask, self.q_sample(known, torch.full((b,), t, device=device), noise), x)
            if tie is not None:
                x = tie(x)
            tt = torch.full((x.shape[0],), t, device=device, dtype=torch.long)
            guided = True in contexts and lo <= t / max(1, self.steps - 1) <= hi
            context = contexts[guided]
            n_p = context.shape[0] // b
            if n_p > 1:
                preds = model.denoise(x.repeat(n_p, 1, 1), tt.repeat(n_p), context).chunk(n_p, dim=0)
                cond = x0 = preds[0]
                if guided:
                    x0 = preds[1] + guidance * (cond - preds[1])
                if use_style and style_base == "music":
                    x0 = x0 + style_guidance * (cond - preds[-1])
                elif use_style:
                    x0 = x0 + style_guidance * (preds[-2] - preds[-1])
            else:
                x0 = model.denoise(x, tt, context)
            if carry:
                shift = torch.zeros_like(x0)
                for row, edge, frames, weight, cols in carry:
                    shift[row, frames] += weight[:, None] * ((known[row, edge] - x0[row, edge]) * cols)
                x0 = x0 + shift * carry_scale
            if known is not None and mask is not None:
                x0 = torch.where(mask, known, x0)
            if tie is not None:
                x0 = tie(x0)
            if i + 1 == len(steps):
                x = x0
                break
            ab = float(self.alphas_cumprod[t])
            ab_next = float(self.alphas_cumprod[steps[i + 1]])
            eps = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
            sigma = eta * math.sqrt((1 - ab_next) / (1 - ab) * (1 - ab / ab_next)) if eta > 0 else 0.0
            x = math.sqrt(ab_next) * x0 + math.sqrt(max(0.0, 1 - ab_next - sigma * sigma)) * eps
            if sigma > 0:
                x = x + sigma * torch.randn(x.shape, generator=generator, device="cpu").to(device)
        return x


def _carry_plan(mask: torch.Tensor, n: int) -> list[tuple[int, int, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """For ``Diffusion.sample``'s ``carry_frames``: (row, pinned edge frame, free frames beside it,
    their weights, the edge's pinned entries as 0/1) for every border between pinned and free frames."""
    u = torch.arange(n, dtype=torch.float32) / n
    fade = 1 - smoothstep(u)  # 1 at the first free frame, fading towards 0
    plan = []
    pinned = mask.any(dim=-1).cpu()
    for row in range(mask.shape[0]):
        p = pinned[row]
        for b in (torch.nonzero(p[1:] != p[:-1]).flatten() + 1).tolist():  # frames b - 1 and b differ
            edge, step = (b - 1, 1) if p[b - 1] else (b, -1)
            frames = []
            for k in range(1, n + 1):
                t = edge + step * k
                if not 0 <= t < len(p) or p[t]:
                    break
                frames.append(t)
            if frames:
                idx = torch.tensor(frames, device=mask.device)
                plan.append((row, edge, idx, fade[: len(frames)].to(mask.device), mask[row, edge].to(torch.float32)))
    return plan
