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


def test_layer_styles_change_a_labelled_dance_and_leave_any_bit_identical():
    torch.manual_seed(0)
    cfg = tiny_model_config(styles=["rumba", "waltz"], decoder_layers=2)
    plain = DanceDenoiser(cfg).eval()
    torch.nn.init.normal_(plain.motion_out.weight, std=0.1)
    torch.nn.init.normal_(plain.style_direct.weight, std=0.5)
    layered = DanceDenoiser(tiny_model_config(styles=["rumba", "waltz"], decoder_layers=2, style_layers=True)).eval()
    missing = layered.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing == ["style_layer.weight"]  # a grown checkpoint: the new table starts at zero
    x = torch.randn(2, cfg.window, plain.motion_dim)
    t, music = torch.tensor([10, 400]), torch.randn(2, cfg.window, cfg.audio_dim)
    anyone, rumba = torch.tensor([0, 0]), torch.tensor([1, 1])
    width = cfg.d_model * (2 + cfg.decoder_layers)
    with torch.no_grad():
        assert layered.encode_music(music, rumba).shape[-1] == layered.null_context(2).shape[-1] == width
        for style in (anyone, rumba, None):  # zero table: exactly the model without it
            torch.testing.assert_close(layered(x, t, music, style=style), plain(x, t, music, style=style), atol=0, rtol=0)
        torch.nn.init.normal_(layered.style_layer.weight[1:], std=0.5)
        torch.testing.assert_close(layered(x, t, music, style=anyone), plain(x, t, music, style=anyone), atol=0, rtol=0)
        assert not torch.allclose(layered(x, t, music, style=rumba), plain(x, t, music, style=rumba))
        # guidance's null context carries no label, per block either
        drop = torch.tensor([True, True])
        torch.testing.assert_close(layered(x, t, music, drop, rumba), plain(x, t, music, drop, rumba), atol=0, rtol=0)
        # a style-only fine-tune's dropped rows keep the label in every block
        assert not torch.allclose(layered(x, t, music, drop, rumba, keep_style=True),
                                  plain(x, t, music, drop, rumba, keep_style=True))


def test_layer_styles_need_style_labels():
    from dancegen.errors import DancegenError

    with pytest.raises(DancegenError, match="style_layers needs style labels"):
        tiny_model_config(style_layers=True)


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
