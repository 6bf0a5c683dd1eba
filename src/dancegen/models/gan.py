"""The seed's model family: a music-conditioned GAN over the same motion representation.

Generator: music features (B, T, A) + a noise vector z (B, noise_dim) -> normalised motion features
(B, T, D). ``frames_per_token`` frames are folded into one token; a transformer encoder mixes the
music tokens, z enters every block by FiLM (so different z give different dances for one song),
and a residual temporal convolution over the unfolded frames smooths token borders.

Discriminator: judges a whole window of motion jointly with its music (features concatenated per
frame) with a strided 1-D convolution stack under spectral norm; it returns per-patch logits (one
per 8 frames, a temporal PatchGAN) and its intermediate activations for feature matching. Because
it sees music and motion together, motion that ignores the music's accents is something it can
learn to reject.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from dancegen.config import ModelConfig
from dancegen.models.diffusion import FiLM
from dancegen.motion.representation import feature_dim
from dancegen.motion.skeleton import get_skeleton


class GeneratorBlock(nn.Module):
    """Pre-norm self-attention and feed-forward, each modulated by the noise code (FiLM)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.norm1, self.film1 = nn.LayerNorm(d), FiLM(d)
        self.attn = nn.MultiheadAttention(d, cfg.num_heads, dropout=cfg.dropout, batch_first=True)
        self.norm2, self.film2 = nn.LayerNorm(d), FiLM(d)
        self.ff = nn.Sequential(nn.Linear(d, cfg.ff_mult * d), nn.GELU(), nn.Linear(cfg.ff_mult * d, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, h: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        a = self.film1(self.norm1(h), code)
        h = h + self.drop(self.attn(a, a, a, need_weights=False)[0])
        return h + self.drop(self.ff(self.film2(self.norm2(h), code)))


class DanceGenerator(nn.Module):
    """Music (B, T, A) + noise (B, noise_dim) -> normalised motion features (B, T, D)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        k, d = cfg.frames_per_token, cfg.d_model
        if cfg.window % k:
            raise ValueError(f"window {cfg.window} is not a multiple of frames_per_token {k}")
        self.motion_dim = feature_dim(get_skeleton(cfg.skeleton).num_joints)
        self.music_in = nn.Linear(k * cfg.audio_dim, d)
        self.pos = nn.Parameter(torch.randn(1, cfg.window // k, d) * 0.02)
        self.mapping = nn.Sequential(nn.Linear(cfg.noise_dim, d), nn.SiLU(), nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.blocks = nn.ModuleList(GeneratorBlock(cfg) for _ in range(cfg.decoder_layers))
        self.norm_out = nn.LayerNorm(d)
        self.out = nn.Linear(d, k * self.motion_dim)
        self.smooth = nn.Conv1d(self.motion_dim, self.motion_dim, kernel_size=5, padding=2)
        nn.init.zeros_(self.smooth.weight)
        nn.init.zeros_(self.smooth.bias)

    def sample_noise(self, batch: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
        """Standard normal codes (B, noise_dim), drawn on the CPU from ``generator``."""
        return torch.randn((batch, self.cfg.noise_dim), generator=generator).to(device)

    def forward(self, music: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        b, t, a = music.shape
        k = self.cfg.frames_per_token
        h = self.music_in(music.reshape(b, t // k, k * a)) + self.pos
        code = self.mapping(z)
        for block in self.blocks:
            h = block(h, code)
        x = self.out(self.norm_out(h)).reshape(b, t, self.motion_dim)
        return x + self.smooth(x.transpose(1, 2)).transpose(1, 2)


class DanceDiscriminator(nn.Module):
    """(motion (B, T, D), music (B, T, A)) -> per-patch logits (B, T/8) and a list of activations."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c = cfg.disc_channels
        d_in = feature_dim(get_skeleton(cfg.skeleton).num_joints) + cfg.audio_dim
        chans = [c, 2 * c, 4 * c, 4 * c]
        layers: list[nn.Module] = [spectral_norm(nn.Conv1d(d_in, chans[0], 5, padding=2))]
        for cin, cout in zip(chans[:-1], chans[1:]):
            layers.append(spectral_norm(nn.Conv1d(cin, cout, 4, stride=2, padding=1)))
        self.convs = nn.ModuleList(layers)
        self.head = spectral_norm(nn.Conv1d(chans[-1], 1, 3, padding=1))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, motion: torch.Tensor, music: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        h = torch.cat([motion, music], dim=-1).transpose(1, 2)
        feats = []
        for conv in self.convs:
            h = self.act(conv(h))
            feats.append(h)
        return self.head(h)[:, 0], feats
