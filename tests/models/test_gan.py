"""The GAN family: shapes, gradients, diversity, training through the shared trainer, generation."""

import csv

import numpy as np
import pytest
import torch

from dancegen.checkpoint import load_checkpoint
from dancegen.config import LossWeights, TrainConfig
from dancegen.generate import GenerationSettings, generate_motion
from dancegen.models.gan import DanceDiscriminator, DanceGenerator
from dancegen.train import PreparedData, prepare_data, train
from tinymodels import tiny_model_config


def _cfg(**kw):
    return tiny_model_config(family="gan", noise_dim=8, disc_channels=8, **kw)


def test_generator_and_discriminator_shapes_and_gradients():
    cfg = _cfg()
    g, d = DanceGenerator(cfg), DanceDiscriminator(cfg)
    music = torch.randn(3, cfg.window, cfg.audio_dim)
    z = g.sample_noise(3, torch.Generator().manual_seed(0))
    fake = g(music, z)
    assert fake.shape == (3, cfg.window, g.motion_dim)
    logits, feats = d(fake, music)
    assert logits.shape == (3, cfg.window // 8) and len(feats) == 4
    logits.mean().backward()
    assert all(p.grad is not None for p in g.parameters() if p.requires_grad and p.dim() > 1)
    assert all(p.grad is not None for n, p in d.named_parameters() if "original" in n)


def test_noise_changes_the_dance():
    torch.manual_seed(0)
    cfg = _cfg()
    g = DanceGenerator(cfg).eval()
    for block in g.blocks:  # FiLM starts at zero; give the code a path to the output
        torch.nn.init.normal_(block.film1.proj.weight, std=0.5)
    music = torch.randn(1, cfg.window, cfg.audio_dim)
    a = g(music, g.sample_noise(1, torch.Generator().manual_seed(1)))
    b = g(music, g.sample_noise(1, torch.Generator().manual_seed(2)))
    assert not torch.allclose(a, b)


@pytest.fixture(scope="module")
def dwm_two(dwm_root) -> PreparedData:
    data = prepare_data("dance_with_melody", dwm_root, "train", progress=False, names=["DANCE_C_2", "DANCE_W_3"])
    return PreparedData(data.names, [m[:450] for m in data.music], [j[:450] for j in data.joints], data.skeleton, data.fps)


def test_training_steps_lower_recon_and_keep_the_discriminator_alive(dwm_two, tmp_path):
    tcfg = TrainConfig(batch_size=8, lr=1e-3, warmup_steps=5, max_steps=80, val_every=20, checkpoint_every=80,
                       log_every=10, mirror=False, loss=LossWeights(feature_matching=1.0))
    train(dwm_two, tmp_path / "gan", _cfg(), tcfg, val_data=dwm_two, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "gan" / "log.csv")))
    val = [float(r["val_loss"]) for r in rows if r["val_loss"]]  # reconstruction terms, fixed codes
    assert val[-1] < 0.8 * val[0]
    for r in rows:
        assert all(np.isfinite(float(r[k])) for k in ("loss", "d_loss", "adversarial"))
    acc = [(float(r["d_real_acc"]) + float(r["d_fake_acc"])) / 2 for r in rows]
    assert 0.0 < np.mean(acc[-3:]) < 1.0  # neither collapsed nor all-knowing
    ckpt = load_checkpoint(tmp_path / "gan" / "checkpoint")
    assert ckpt.config.family == "gan"
    music = dwm_two.music[0][:200]
    m1 = generate_motion(ckpt, music, GenerationSettings(seed=1))
    m2 = generate_motion(ckpt, music, GenerationSettings(seed=2))
    m1b = generate_motion(ckpt, music, GenerationSettings(seed=1))
    assert m1.joints.shape == (200, 23, 3)
    np.testing.assert_array_equal(m1.joints, m1b.joints)
    assert np.abs(m1.joints - m2.joints).mean() > 1e-4  # two seeds, two dances


def test_gan_resume_is_exact(dwm_two, tmp_path):
    from safetensors.torch import load_file

    tcfg = dict(batch_size=4, lr=1e-3, warmup_steps=2, val_every=100, checkpoint_every=3, log_every=1, mirror=False)
    train(dwm_two, tmp_path / "a", _cfg(), TrainConfig(max_steps=6, **tcfg), progress=False)
    train(dwm_two, tmp_path / "b", _cfg(), TrainConfig(max_steps=3, **tcfg), progress=False)
    train(dwm_two, tmp_path / "b", _cfg(), TrainConfig(max_steps=6, **tcfg), resume=True, progress=False)
    a = load_file(str(tmp_path / "a" / "checkpoint" / "training_state.safetensors"))
    b = load_file(str(tmp_path / "b" / "checkpoint" / "training_state.safetensors"))
    assert {k for k in a if k.startswith("disc.")}
    for key in a:
        if key.startswith(("model.", "disc.", "ema.", "opt.")):
            assert torch.equal(a[key], b[key]), key
