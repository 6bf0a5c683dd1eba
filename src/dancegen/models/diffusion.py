"""The EDGE-style denoising network: music encoder + transformer decoder, predicting clean motion.

Shapes: motion features ``x`` (B, T, D) normalised, music features ``music`` (B, T, A) at the same
frame rate, diffusion step ``t`` (B,) int. ``frames_per_token`` consecutive frames are folded into
one token (T must be a multiple of it), which shortens attention and makes sampling cheap on a CPU.

Per decoder block (pre-norm): self-attention over motion tokens, cross-attention to the music
tokens, feed-forward; the diffusion step enters every block by FiLM (scale and shift of the
normalised activations). For classifier-free guidance the music is swapped for a learned null
sequence with probability ``cond_drop_prob`` during training. The conditioning rows are the music
features, plus beat-phase columns for a "motion"-beat model (``models.conditioning``); a style
label (B,) long, 0 = "any", adds a learned vector to every music token.

Beat and style also take a direct path (models with motion beats or styles): the beat columns
(one-hot + phase) of each token and the style vector are projected and added to the decoder's
motion tokens, like a position embedding, instead of reaching them only through cross-attention.
Such a model's context is (B, T/k, 2d): music tokens, then these direct tokens; the null context
zeroes the direct half, so classifier-free guidance amplifies beat and style with the music. All
these inputs start at zero, so fine-tuning an older checkpoint starts from its exact behaviour.
With ``style_layers`` the label also adds one learned vector per decoder block to the motion tokens
before that block; those vectors travel as a third part of the context (B, T/k, 2d + L d), zero in
the null context and for "any".

The output head maps each token to its k frames; with ``head_kernel`` > 1 it also reads the
neighbouring tokens (a 1-D convolution over tokens added to the per-token projection), so the
frames on both sides of a token border come from shared information instead of two independent
projections (the cause of the token-border jitter measured in docs/MODEL_CARD.md).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dancegen.config import ModelConfig
from dancegen.models.conditioning import BEAT_COLUMN, cond_dim
from dancegen.motion.representation import feature_dim
from dancegen.motion.skeleton import get_skeleton


def sinusoidal(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding (..., dim) of float positions (...,)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=positions.device) / half)
    args = positions.float()[..., None] * freqs
    return torch.cat([args.sin(), args.cos()], dim=-1)


class FiLM(nn.Module):
    """Scale and shift of normalised activations, predicted from the diffusion-step embedding."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_model, 2 * d_model)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.proj(t_emb)[:, None, :].chunk(2, dim=-1)
        return x * (1 + scale) + shift


class DecoderBlock(nn.Module):
    """Self-attention (FiLM), cross-attention to music, feed-forward (FiLM); all pre-norm."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.norm1, self.film1 = nn.LayerNorm(d), FiLM(d)
        self.self_attn = nn.MultiheadAttention(d, cfg.num_heads, dropout=cfg.dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.cross_attn = nn.MultiheadAttention(d, cfg.num_heads, dropout=cfg.dropout, batch_first=True)
        self.norm3, self.film3 = nn.LayerNorm(d), FiLM(d)
        self.ff = nn.Sequential(
            nn.Linear(d, cfg.ff_mult * d), nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.ff_mult * d, d)
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, music: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        h = self.film1(self.norm1(x), t_emb)
        x = x + self.drop(self.self_attn(h, h, h, need_weights=False)[0])
        h = self.norm2(x)
        x = x + self.drop(self.cross_attn(h, music, music, need_weights=False)[0])
        h = self.film3(self.norm3(x), t_emb)
        return x + self.drop(self.ff(h))


class DanceDenoiser(nn.Module):
    """Predicts clean normalised motion features x0 (B, T, D) from noisy ones and the music."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        k, d = cfg.frames_per_token, cfg.d_model
        if cfg.window % k:
            raise ValueError(f"window {cfg.window} is not a multiple of frames_per_token {k}")
        self.motion_dim = feature_dim(get_skeleton(cfg.skeleton).num_joints)
        self.tokens = cfg.window // k
        self.motion_in = nn.Linear(k * self.motion_dim, d)
        self.music_in = nn.Linear(k * cond_dim(cfg), d)
        self.style = nn.Embedding(1 + len(cfg.styles), d) if cfg.styles else None
        if self.style is not None:
            nn.init.zeros_(self.style.weight)  # starts as "no style": fine-tuning keeps the model's behaviour
        self.beat_direct = nn.Linear(k * 3, d) if cfg.beat_condition == "motion" else None
        self.style_direct = nn.Embedding(1 + len(cfg.styles), d) if cfg.styles else None
        for layer in (self.beat_direct, self.style_direct):
            if layer is not None:
                for p in layer.parameters():
                    nn.init.zeros_(p)
        self.direct = self.beat_direct is not None or self.style_direct is not None
        # per decoder block, a style vector added to the motion tokens (row 0 "any" stays zero)
        self.style_layer = (nn.Embedding(1 + len(cfg.styles), cfg.decoder_layers * d)
                            if cfg.styles and cfg.style_layers else None)
        if self.style_layer is not None:
            nn.init.zeros_(self.style_layer.weight)
        self.pos = nn.Parameter(torch.zeros(1, self.tokens, d))
        nn.init.normal_(self.pos, std=0.02)
        self.null_music = nn.Parameter(torch.zeros(1, self.tokens, d))
        nn.init.normal_(self.null_music, std=0.02)
        enc_layer = nn.TransformerEncoderLayer(
            d, cfg.num_heads, cfg.ff_mult * d, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.music_encoder = nn.TransformerEncoder(enc_layer, cfg.music_layers, enable_nested_tensor=False)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.blocks = nn.ModuleList(DecoderBlock(cfg) for _ in range(cfg.decoder_layers))
        self.norm_out = nn.LayerNorm(d)
        self.motion_out = nn.Linear(d, k * self.motion_dim)
        nn.init.zeros_(self.motion_out.weight)
        nn.init.zeros_(self.motion_out.bias)
        # head_kernel > 1: each token's frames also see the neighbouring tokens (zero-initialised,
        # so a fine-tune from a per-token head starts from its exact output)
        self.motion_out_context = (
            nn.Conv1d(d, k * self.motion_dim, cfg.head_kernel, padding=cfg.head_kernel // 2, bias=False)
            if cfg.head_kernel > 1 else None
        )
        if self.motion_out_context is not None:
            nn.init.zeros_(self.motion_out_context.weight)

    def _fold(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        k = self.cfg.frames_per_token
        return x.reshape(b, t // k, k * c)

    def encode_music(self, music: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        """Conditioning rows (B, T, C) [+ style (B,) long] -> music tokens (B, T/k, d); once per sampling run."""
        h = self.music_in(self._fold(music)) + self.pos
        if self.style is not None and style is not None:
            h = h + self.style(style)[:, None, :]
        context = self.music_encoder(h)
        if not self.direct:
            return context
        direct = torch.zeros_like(context)
        if self.beat_direct is not None:
            beat_cols = torch.cat([music[..., BEAT_COLUMN : BEAT_COLUMN + 1], music[..., self.cfg.audio_dim :]], dim=-1)
            direct = direct + self.beat_direct(self._fold(beat_cols))
        if self.style_direct is not None and style is not None:
            direct = direct + self.style_direct(style)[:, None, :]
        parts = [context, direct]
        if self.style_layer is not None:
            parts.append(self._layer_styles(style, context.shape[0], context.shape[1]))
        return torch.cat(parts, dim=-1)

    def _layer_styles(self, style: torch.Tensor | None, batch: int, tokens: int) -> torch.Tensor:
        """Per-block style vectors (B, T/k, L d) of labels (B,) long; zeros without labels."""
        width = self.cfg.decoder_layers * self.cfg.d_model
        if style is None:
            return self.null_music.new_zeros(batch, tokens, width)
        return self.style_layer(style)[:, None, :].expand(-1, tokens, -1)

    def null_context(self, batch: int, style: torch.Tensor | None = None) -> torch.Tensor:
        """The learned 'no music' context (B, T/k, d, 2d or 2d + L d) used for classifier-free guidance.

        With ``style`` (B,) long, the labels still reach the decoder by their direct path (and the
        per-block vectors): 'this style, no music', as style-only fine-tunes train it."""
        null = self.null_music.expand(batch, -1, -1)
        if not self.direct:
            return null
        if style is None or self.style_direct is None:
            style = None
            parts = [null, torch.zeros_like(null)]
        else:
            parts = [null, self.style_direct(style)[:, None, :].expand(-1, null.shape[1], -1)]
        if self.style_layer is not None:
            parts.append(self._layer_styles(style, batch, null.shape[1]))
        return torch.cat(parts, dim=-1)

    def denoise(self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """x_t (B, T, D), step t (B,), music context (B, T/k, d) -> predicted x0 (B, T, D)."""
        b, n, _ = x.shape
        t_emb = self.time_mlp(sinusoidal(t, self.cfg.d_model))
        h = self.motion_in(self._fold(x)) + self.pos
        d = self.cfg.d_model
        layer_styles = None
        if self.direct:
            context, direct, layer_styles = context[..., :d], context[..., d : 2 * d], context[..., 2 * d :]
            h = h + direct
        for i, block in enumerate(self.blocks):
            if self.style_layer is not None:
                h = h + layer_styles[..., i * d : (i + 1) * d]
            h = block(h, context, t_emb)
        h = self.norm_out(h)
        out = self.motion_out(h)
        if self.motion_out_context is not None:
            out = out + self.motion_out_context(h.transpose(1, 2)).transpose(1, 2)
        return out.reshape(b, n, self.motion_dim)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        music: torch.Tensor,
        drop_music: torch.Tensor | None = None,
        style: torch.Tensor | None = None,
        keep_style: bool = False,
    ) -> torch.Tensor:
        """Training forward: ``drop_music`` (B,) bool replaces the music (and style) of those rows by the null;
        with ``keep_style`` the style label of a dropped row still reaches the decoder by its direct path
        (style-only fine-tunes: the label then has to carry the style without the music)."""
        context = self.encode_music(music, style)
        if drop_music is not None:
            null = self.null_context(x.shape[0], style if keep_style else None)
            context = torch.where(drop_music[:, None, None], null, context)
        return self.denoise(x, t, context)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
