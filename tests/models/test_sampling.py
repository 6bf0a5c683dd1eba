"""The diffusion process: schedules, noising, DDIM, guidance, inpainting, determinism."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dancegen.models.diffusion import DanceDenoiser
from dancegen.models.sampling import Diffusion, cosine_alphas_cumprod, linear_alphas_cumprod
from tinymodels import tiny_model_config


def test_schedules_decrease_from_one_to_zero():
    for ab in (cosine_alphas_cumprod(1000), linear_alphas_cumprod(1000)):
        assert ab.shape == (1000,)
        assert torch.all(ab[1:] < ab[:-1])
        assert 0.99 < float(ab[0]) <= 1.0 and float(ab[-1]) < 0.01


@given(st.integers(1, 300), st.integers(2, 1000))
@settings(max_examples=50, deadline=None)
def test_ddim_timesteps_descend_and_end_clean(num_steps, total):
    ts = Diffusion(total).ddim_timesteps(num_steps)
    assert ts[0] == total - 1
    assert ts[-1] == 0 or num_steps == 1  # one step: x0 straight from noise
    assert all(a > b for a, b in zip(ts, ts[1:]))
    assert len(ts) <= min(num_steps, total)


def test_q_sample_keeps_signal_at_t0_and_destroys_it_at_the_end():
    d = Diffusion(1000)
    x0 = torch.randn(2, 30, 8)
    noise = torch.randn_like(x0)
    near = d.q_sample(x0, torch.tensor([0, 0]), noise)
    far = d.q_sample(x0, torch.tensor([999, 999]), noise)
    assert torch.allclose(near, x0, atol=0.05)
    assert torch.allclose(far, noise, atol=0.05)


def _model():
    torch.manual_seed(0)
    cfg = tiny_model_config()
    m = DanceDenoiser(cfg).eval()
    torch.nn.init.normal_(m.motion_out.weight, std=0.1)
    return cfg, m


def test_sampling_is_reproducible_with_a_seed_and_varies_without():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(2, cfg.window, cfg.audio_dim)
    a = d.sample(m, music, 5, 2.0, torch.Generator().manual_seed(1))
    b = d.sample(m, music, 5, 2.0, torch.Generator().manual_seed(1))
    c = d.sample(m, music, 5, 2.0, torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    assert torch.isfinite(a).all()


def test_guidance_one_is_the_plain_conditional_prediction():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(1, cfg.window, cfg.audio_dim)
    g1 = d.sample(m, music, 1, 1.0, torch.Generator().manual_seed(0))
    g3 = d.sample(m, music, 1, 3.0, torch.Generator().manual_seed(0))
    assert not torch.allclose(g1, g3)  # the null context makes a difference


def test_inpainting_pins_masked_entries():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(2, cfg.window, cfg.audio_dim)
    known = torch.randn(2, cfg.window, m.motion_dim)
    mask = torch.zeros_like(known, dtype=torch.bool)
    mask[:, :10] = True
    out = d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0), known=known, mask=mask)
    assert torch.equal(out[mask], known[mask])
    assert not torch.allclose(out[:, 10:], known[:, 10:])


def test_tie_is_applied_to_the_result():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(3, cfg.window, cfg.audio_dim)

    def tie(x):
        out = x.clone()
        out[1:, :15] = x[:-1, 15:]
        return out

    out = d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0), tie=tie)
    assert torch.equal(out[1:, :15], out[:-1, 15:])


def _styled_model():
    """A tiny style model whose label and head have an effect (they start at zero), its diffusion, music."""
    torch.manual_seed(0)
    cfg = tiny_model_config(styles=["waltz", "tango"], head_kernel=3)
    model = DanceDenoiser(cfg).eval()
    for p in (*model.motion_out.parameters(), model.style.weight, model.style_direct.weight,
              model.motion_out_context.weight):
        torch.nn.init.normal_(p, std=0.2)  # zero-initialised: give the label and the head an effect
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(2, cfg.window, cfg.audio_dim)
    return cfg, model, d, music


def test_style_guidance_pushes_only_when_a_style_is_asked():
    cfg, model, d, music = _styled_model()

    def run(style, s):
        return d.sample(model, music, 4, 2.0, torch.Generator().manual_seed(1), style=torch.tensor(style),
                        style_guidance=s)

    with torch.no_grad():
        plain, pushed = run([1, 2], 0.0), run([1, 2], 3.0)
        torch.testing.assert_close(run([0, 0], 3.0), run([0, 0], 0.0))  # "any": nothing to push
        assert not torch.allclose(plain, pushed)
        # the push points away from "any": the guided sample is farther from the label-free one
        free = run([0, 0], 0.0)
        assert float((pushed - free).norm()) > float((plain - free).norm())


def test_style_guidance_from_the_null_pushes_along_the_label_without_music():
    cfg, model, d, music = _styled_model()

    def run(style, s, base):
        return d.sample(model, music, 4, 2.0, torch.Generator().manual_seed(1), style=torch.tensor(style),
                        style_guidance=s, style_base=base)

    with torch.no_grad():
        plain = run([1, 2], 0.0, "null")
        torch.testing.assert_close(plain, run([1, 2], 0.0, "music"))  # no push: both bases agree
        torch.testing.assert_close(run([0, 0], 3.0, "null"), run([0, 0], 0.0, "null"))  # "any": nothing to push
        from_null, from_music = run([1, 2], 3.0, "null"), run([1, 2], 3.0, "music")
        assert not torch.allclose(from_null, plain) and not torch.allclose(from_null, from_music)
        # the null-music context with a label is the one style-only fine-tunes train on
        ctx = model.null_context(2, torch.tensor([1, 2]))
        d_ = cfg.d_model
        torch.testing.assert_close(ctx[..., :d_], model.null_context(2)[..., :d_])
        torch.testing.assert_close(ctx[:, 0, d_ : 2 * d_], model.style_direct(torch.tensor([1, 2])))
    with pytest.raises(ValueError, match="style_base must be one of music, null, got 'silence'"):
        run([1, 2], 3.0, "silence")


def test_guidance_interval_limits_the_guidance_to_its_noise_levels():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(2, cfg.window, cfg.audio_dim)

    def run(g, interval=(0.0, 1.0)):
        return d.sample(m, music, 5, g, torch.Generator().manual_seed(3), guidance_interval=interval)

    with torch.no_grad():
        full, plain = run(3.0), run(1.0)
        torch.testing.assert_close(run(3.0, (0.0, 1.0)), full)
        # an interval between two visited levels (999, 749, 500, 250, 0 of 999) guides no step
        torch.testing.assert_close(run(3.0, (0.26, 0.49)), plain)
        low, high = run(3.0, (0.0, 0.5)), run(3.0, (0.6, 1.0))
        for part in (low, high):
            assert not torch.allclose(part, full) and not torch.allclose(part, plain)
        # the last (clean) step alone: the same path as the plain sample up to it, so closer to it than full
        last = run(3.0, (0.0, 0.0))
        assert float((last - plain).norm()) < float((full - plain).norm())


def test_eta_zero_is_ddim_and_eta_adds_seeded_noise():
    cfg, m = _model()
    d = Diffusion(cfg.diffusion_steps)
    music = torch.randn(1, cfg.window, cfg.audio_dim)
    with torch.no_grad():
        base = d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0))
        torch.testing.assert_close(d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0), eta=0.0), base)
        a = d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0), eta=1.0)
        b = d.sample(m, music, 4, 2.0, torch.Generator().manual_seed(0), eta=1.0)
    assert torch.equal(a, b) and not torch.allclose(a, base) and torch.isfinite(a).all()
