"""Tiny model configs shared by the tests (importable: pytest puts tests/ on sys.path)."""


def tiny_model_config(**overrides):
    """A model small enough for unit tests (about 40 k parameters, 1-s windows)."""
    from dancegen.config import ModelConfig

    base = dict(window=30, frames_per_token=3, d_model=32, num_heads=2, music_layers=1, decoder_layers=1,
                ff_mult=2, dropout=0.0, diffusion_steps=100, sample_steps=5, guidance=2.0)
    base.update(overrides)
    return ModelConfig(**base)


def write_tiny_checkpoint(folder, info=None):
    """Save a tiny random diffusion checkpoint (dwm23) into ``folder``; returns its path.

    The output layer is randomised (its real init is zero) so the model's dances are non-trivial;
    the normaliser puts the root at 0.9 m with unit std 0.1.
    """
    import numpy as np
    import torch

    from dancegen.checkpoint import save_checkpoint
    from dancegen.models.diffusion import DanceDenoiser
    from dancegen.motion.representation import Normalizer, feature_dim

    torch.manual_seed(0)
    cfg = tiny_model_config()
    model = DanceDenoiser(cfg)
    for p in model.motion_out.parameters():
        torch.nn.init.normal_(p, std=0.05)
    d = feature_dim(23)
    mean = np.zeros(d, np.float32)
    mean[2] = 0.9  # root height
    return save_checkpoint(folder, cfg, model.state_dict(), Normalizer(mean, np.full(d, 0.1, np.float32)), info)
