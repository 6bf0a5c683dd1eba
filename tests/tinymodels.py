"""Tiny model configs shared by the tests (importable: pytest puts tests/ on sys.path)."""


def tiny_model_config(**overrides):
    """A model small enough for unit tests (about 40 k parameters, 1-s windows)."""
    from dancegen.config import ModelConfig

    base = dict(window=30, frames_per_token=3, d_model=32, num_heads=2, music_layers=1, decoder_layers=1,
                ff_mult=2, dropout=0.0, diffusion_steps=100, sample_steps=5, guidance=2.0)
    base.update(overrides)
    return ModelConfig(**base)
