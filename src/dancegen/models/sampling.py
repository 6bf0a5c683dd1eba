"""The diffusion process, kept apart from the network: schedules, noising, DDIM sampling.

The network predicts x0 (clean normalised motion). Sampling is deterministic DDIM (eta = 0) over a
configurable number of steps, with classifier-free guidance and inpainting: frames under ``mask``
are held to ``known`` values (noised to the current level), and an optional ``tie`` callback
rewrites the sample after every step (long-form generation uses it to keep overlapping windows
identical). All randomness comes from the ``torch.Generator`` passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from dancegen.models.diffusion import DanceDenoiser


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
    ) -> torch.Tensor:
        """DDIM sample of normalised motion (B, T, D) for conditioning rows (B, T, C) [+ style (B,)].

        ``guidance`` w mixes predictions as uncond + w (cond - uncond); w = 1 skips the unconditional
        pass. ``style_guidance`` s > 0 with a style label adds s (cond - cond with style "any"):
        classifier-free guidance on the label alone (one more network pass per step). ``known``/``mask`` (B, T, D) pin masked entries (inpainting); ``tie`` maps the sample
        to a consistent one after each step.
        """
        b, n = music.shape[:2]
        device = music.device
        dim = model.motion_dim
        noise = torch.randn((b, n, dim), generator=generator, device="cpu").to(device)
        x = noise
        contexts = [model.encode_music(music, style)]
        if guidance != 1.0:
            contexts.append(model.null_context(b))
        use_style = style_guidance > 0 and style is not None and bool((style != 0).any())
        if use_style:
            contexts.append(model.encode_music(music, torch.zeros_like(style)))
        context = torch.cat(contexts, dim=0)
        passes = len(contexts)
        steps = self.ddim_timesteps(num_steps)
        for i, t in enumerate(steps):
            if known is not None and mask is not None:
                x = torch.where(mask, self.q_sample(known, torch.full((b,), t, device=device), noise), x)
            if tie is not None:
                x = tie(x)
            tt = torch.full((x.shape[0],), t, device=device, dtype=torch.long)
            if passes > 1:
                preds = model.denoise(x.repeat(passes, 1, 1), tt.repeat(passes), context).chunk(passes, dim=0)
                cond = x0 = preds[0]
                if guidance != 1.0:
                    x0 = preds[1] + guidance * (cond - preds[1])
                if use_style:
                    x0 = x0 + style_guidance * (cond - preds[-1])
            else:
                x0 = model.denoise(x, tt, context)
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
            x = math.sqrt(ab_next) * x0 + math.sqrt(1 - ab_next) * eps
        return x
