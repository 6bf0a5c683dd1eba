"""The denoising network: shapes, zero-initialised output, guidance null context, gradients."""

import pytest
import torch

from dancegen.models.diffusion import DanceDenoiser, count_parameters, sinusoidal
from tinymodels import tiny_model_config


def test_shapes_and_zero_init_output():
    cfg = tiny_model_config()
    model = DanceDenoiser(cfg).eval()
    x = torch.randn(3, cfg.window, model.motion_dim)
    music = torch.randn(3, cfg.window, cfg.audio_dim)
    out = model(x, torch.tensor([0, 5, 99]), music)
    assert out.shape == x.shape
    assert torch.count_nonzero(out) == 0  # the output layer starts at zero: x0 prediction starts at the mean
    assert count_parameters(model) > 0


def test_music_and_null_context_change_the_prediction():
    torch.manual_seed(0)
    cfg = tiny_model_config()
    model = DanceDenoiser(cfg).eval()
    torch.nn.init.normal_(model.motion_out.weight, std=0.1)
    x = torch.randn(2, cfg.window, model.motion_dim)
    t = torch.tensor([10, 10])
    m1, m2 = torch.randn(2, 2, cfg.window, cfg.audio_dim)
    assert not torch.allclose(model(x, t, m1), model(x, t, m2))
    dropped = model(x, t, m1, torch.tensor([True, True]))
    assert torch.allclose(dropped, model(x, t, m2, torch.tensor([True, True])))  # music ignored when dropped


def test_a_dropped_row_keeps_its_style_label_only_when_asked():
    torch.manual_seed(0)
    cfg = tiny_model_config(styles=["rumba", "waltz"])
    model = DanceDenoiser(cfg).eval()
    torch.nn.init.normal_(model.motion_out.weight, std=0.1)
    torch.nn.init.normal_(model.style_direct.weight, std=0.5)
    x = torch.randn(2, cfg.window, model.motion_dim)
    t = torch.tensor([10, 10])
    m1, m2 = torch.randn(2, 2, cfg.window, cfg.audio_dim)
    drop, rumba, waltz = torch.tensor([True, True]), torch.tensor([1, 1]), torch.tensor([2, 2])
    with torch.no_grad():
        # the usual drop: music and label both gone
        torch.testing.assert_close(model(x, t, m1, drop, rumba), model(x, t, m1, drop, waltz))
        kept_r, kept_w = model(x, t, m1, drop, rumba, keep_style=True), model(x, t, m1, drop, waltz, keep_style=True)
        assert not torch.allclose(kept_r, kept_w)  # the label alone now steers the dance
        torch.testing.assert_close(kept_r, model(x, t, m2, drop, rumba, keep_style=True))  # and the music is still gone
        # rows that are not dropped see music and label as always
        keep = torch.tensor([False, False])
        torch.testing.assert_close(model(x, t, m1, keep, rumba, keep_style=True), model(x, t, m1, keep, rumba))


def test_gradients_reach_every_parameter():
    cfg = tiny_model_config(head_kernel=3)  # the head that also reads the neighbouring tokens
    model = DanceDenoiser(cfg)
    torch.nn.init.normal_(model.motion_out.weight, std=0.1)
    x = torch.randn(2, cfg.window, model.motion_dim)
    out = model(x, torch.tensor([1, 50]), torch.randn(2, cfg.window, cfg.audio_dim), torch.tensor([True, False]))
    out.pow(2).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_window_must_fold_into_tokens():
    with pytest.raises(ValueError):
        DanceDenoiser(tiny_model_config(window=31))


def test_sinusoidal_embedding_distinct_per_step():
    emb = sinusoidal(torch.arange(100), 32)
    assert emb.shape == (100, 32)
    assert torch.cdist(emb, emb).add(torch.eye(100)).min() > 0
