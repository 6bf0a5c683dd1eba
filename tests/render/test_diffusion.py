"""The diffusion renderer end to end with tiny random-weight pipelines (built from configs, saved to a
temporary folder and loaded back offline): both paths, determinism, resuming, the CLI, and the one
clear sentence when weights are missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from poses import dance

from dancegen.cli import main
from dancegen.motion.motion import save_motion
from dancegen.render.diffusion import DiffusionSettings, check_settings, context_windows, render_diffusion_frames
from dancegen.render.errors import RenderError
from dancegen.render.openpose import OpenPoseRenderer

SIZE = 32


def _byte_vocab() -> dict[str, int]:
    """A CLIP byte-level BPE vocabulary without merges (every byte is a token)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    k = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + k)
            k += 1
    chars = [chr(c) for c in cs]
    vocab = {c: i for i, c in enumerate(chars)}
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Tiny models gain nothing from threads, and spinning threads slow down a busy machine."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory) -> dict[str, Path]:
    """Tiny SD 1.5-layout pipeline, OpenPose-ControlNet-shaped ControlNet and motion adapter, saved."""
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")
    import torch
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    from transformers.utils import logging as tlog

    tlog.set_verbosity_error()
    from diffusers import (
        AutoencoderKL,
        ControlNetModel,
        DDIMScheduler,
        MotionAdapter,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from diffusers.utils import logging as dlog

    dlog.set_verbosity_error()
    dlog.disable_progress_bar()
    root = tmp_path_factory.mktemp("weights")
    blocks, cross = (8, 8), 8
    vocab = _byte_vocab()
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=blocks, layers_per_block=1, sample_size=SIZE // 2, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=cross, norm_num_groups=2, attention_head_dim=4,
    )  # fmt: skip
    controlnet = ControlNetModel(
        block_out_channels=blocks, layers_per_block=1, in_channels=4, cross_attention_dim=cross, norm_num_groups=2,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), conditioning_embedding_out_channels=(8, 8),
        attention_head_dim=4,
    )  # fmt: skip
    for p in controlnet.parameters():  # the real init is zero; make the control maps matter
        torch.nn.init.normal_(p, std=0.2)
    vae = AutoencoderKL(
        block_out_channels=blocks, in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=2,
        down_block_types=["DownEncoderBlock2D"] * 2, up_block_types=["UpDecoderBlock2D"] * 2,
    )  # fmt: skip
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["<|endoftext|>"],
        hidden_size=cross, intermediate_size=16, num_attention_heads=2, num_hidden_layers=2, vocab_size=len(vocab),
        max_position_embeddings=32,
    ))  # fmt: skip
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=32)
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              steps_offset=1)  # fmt: skip
    adapter = MotionAdapter(block_out_channels=blocks, motion_layers_per_block=1, motion_norm_num_groups=2,
                            motion_num_attention_heads=2, motion_max_seq_length=32)  # fmt: skip
    for p in adapter.parameters():  # the real temporal output projections start at zero
        torch.nn.init.normal_(p, std=0.05)
    sd = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
                                 safety_checker=None, feature_extractor=None, requires_safety_checker=False)  # fmt: skip
    paths = {"base": root / "sd15", "controlnet": root / "openpose", "adapter": root / "adapter"}
    sd.save_pretrained(paths["base"])
    controlnet.save_pretrained(paths["controlnet"])
    adapter.save_pretrained(paths["adapter"])
    return paths


@pytest.fixture()
def offline(monkeypatch, tmp_path):
    """No hub: HF_HUB_OFFLINE=1 and an empty cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def controls(frames: int = 6) -> np.ndarray:
    m = dance(seconds=frames / 30.0, walk=0.5)
    return np.stack(list(OpenPoseRenderer(m, SIZE, "follow").frames()))


def settings(w: dict[str, Path], adapter: bool, **kw) -> DiffusionSettings:
    base = dict(base_model=str(w["base"]), controlnet=str(w["controlnet"]), steps=2, device="cpu", seed=3,
                prompt="a dancer", context_frames=4, context_overlap=1, batch_frames=2)  # fmt: skip
    if adapter:
        base["motion_adapter"] = str(w["adapter"])
    base.update(kw)
    return DiffusionSettings(**base)


def read_all(store, n: int) -> np.ndarray:
    return np.stack(list(store.frames(n)))


@pytest.mark.parametrize("adapter", [False, True], ids=["per-frame", "animatediff"])
def test_both_paths_end_to_end_same_seed_same_frames(tiny_weights, offline, tmp_path, adapter: bool) -> None:
    c = controls(7)
    s = settings(tiny_weights, adapter)
    made = []
    a = render_diffusion_frames(c, s, tmp_path / "a", on_frame=made.append)
    assert made == list(range(7))  # every frame reported as it is saved, in order
    fa = read_all(a, 7)
    assert fa.shape == (7, SIZE, SIZE, 3) and fa.dtype == np.uint8
    assert fa.std() > 1.0  # images, not a constant
    meta = json.loads((a.folder / "render.json").read_text())
    assert meta["path"] == ("animatediff" if adapter else "per-frame")
    fb = read_all(render_diffusion_frames(c, s, tmp_path / "b"), 7)
    np.testing.assert_array_equal(fa, fb)
    fc = read_all(render_diffusion_frames(c, settings(tiny_weights, adapter, seed=4), tmp_path / "c"), 7)
    assert np.abs(fa.astype(int) - fc).mean() > 0.5
    # The control maps matter: another pose gives other frames.
    fd = read_all(render_diffusion_frames(c[::-1].copy(), s, tmp_path / "d"), 7)
    assert np.abs(fa.astype(int) - fd).mean() > 0.1


def test_interrupted_run_keeps_its_frames_and_resumes(tiny_weights, offline, tmp_path) -> None:
    c = controls(6)
    s = settings(tiny_weights, adapter=False)
    full = read_all(render_diffusion_frames(c, s, tmp_path / "full"), 6)

    def stop_after_three(i: int) -> None:
        if i == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_diffusion_frames(c, s, tmp_path / "run", on_frame=stop_after_three)
    kept = sorted(p.name for p in (tmp_path / "run").glob("*.png"))
    assert kept == ["000000.png", "000001.png", "000002.png"]
    made = []
    store = render_diffusion_frames(c, s, tmp_path / "run", on_frame=made.append)
    assert made == [3, 4, 5]  # only the missing frames are made
    np.testing.assert_allclose(read_all(store, 6).astype(int), full.astype(int), atol=3)
    # Other settings in the same folder: refused unless forced.
    other = settings(tiny_weights, adapter=False, seed=9)
    with pytest.raises(RenderError, match="other settings"):
        render_diffusion_frames(c, other, tmp_path / "run")
    render_diffusion_frames(c, other, tmp_path / "run", force=True)


def test_animatediff_resumes_from_saved_frames(tiny_weights, offline, tmp_path) -> None:
    c = controls(7)
    s = settings(tiny_weights, adapter=True)
    full = read_all(render_diffusion_frames(c, s, tmp_path / "full"), 7)
    store = render_diffusion_frames(c, s, tmp_path / "run")
    for i in (5, 6):
        store.path(i).unlink()
    made = []
    store = render_diffusion_frames(c, s, tmp_path / "run", on_frame=made.append)
    assert made == [5, 6]
    assert read_all(store, 7).shape == full.shape


def test_context_windows() -> None:
    assert context_windows(0, 16, 4) == []
    assert context_windows(10, 16, 4) == [(0, 10, 0)]
    w = context_windows(40, 16, 4)
    assert w[0] == (0, 16, 0) and w[1] == (12, 28, 16)
    assert w[-1][1] == 40 and w[-1][1] - w[-1][0] == 16  # the last window is full length
    covered = set()
    for start, end, first_new in w:
        assert start < first_new or first_new == 0
        assert first_new - start >= 4 or first_new == 0
        covered |= set(range(first_new, end))
    assert covered == set(range(40))


def test_cli_renders_a_video_with_the_controlnet_renderer(tiny_weights, offline, tmp_path, capfd) -> None:
    from dancegen.render import probe_video

    motion = tmp_path / "m.npz"
    save_motion(dance(seconds=0.2), motion)
    out = tmp_path / "out.mp4"
    args = ["render", motion, "-o", out, "--renderer", "controlnet", "--base-model", tiny_weights["base"],
            "--controlnet", tiny_weights["controlnet"], "--size", "64", "--steps", "1", "--device", "cpu",
            "--quiet"]  # fmt: skip
    code = main([str(a) for a in args])
    _, err = capfd.readouterr()
    assert code == 0, err
    info = probe_video(out)
    assert (info["width"], info["num_frames"]) == (64, 6)
    assert not (tmp_path / "out_frames").exists()  # PNG frames removed once the video is written


def run_cli(args: list, capfd) -> tuple[int, str]:
    code = main([str(a) for a in args])
    _, err = capfd.readouterr()
    return code, err


def assert_one_sentence(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture()
def motion_file(tmp_path) -> Path:
    path = tmp_path / "m.npz"
    save_motion(dance(seconds=0.2), path)
    return path


def test_missing_weights_give_one_clear_sentence(motion_file, tmp_path, capfd, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "out.mp4"
    base = ["render", motion_file, "-o", out, "--renderer", "controlnet", "--quiet"]
    code, err = run_cli(base, capfd)
    assert_one_sentence(code, err, "--base-model", "--controlnet", "runwayml/stable-diffusion-v1-5")
    code, err = run_cli([*base, "--base-model", tmp_path / "nowhere", "--controlnet", tmp_path / "nowhere2"], capfd)
    assert_one_sentence(code, err, "--base-model", "nowhere", "no such folder")
    (tmp_path / "empty").mkdir()
    code, err = run_cli([*base, "--base-model", tmp_path / "empty", "--controlnet", "lllyasviel/sd-controlnet-openpose"],
                        capfd)  # fmt: skip
    assert_one_sentence(code, err, "--base-model", "model_index.json")
    code, err = run_cli([*base, "--base-model", "a/b", "--controlnet", "c/d", "--size", "100"], capfd)
    assert_one_sentence(code, err, "--size 100", "multiple of 8")
    assert not out.exists()
    assert not (tmp_path / "out_frames").exists()


def test_hub_id_not_in_cache_while_offline(tiny_weights, motion_file, offline, tmp_path, capfd) -> None:
    out = tmp_path / "out.mp4"
    args = ["render", motion_file, "-o", out, "--renderer", "controlnet", "--base-model", tiny_weights["base"],
            "--controlnet", "dancegen-test/no-such-controlnet", "--quiet"]  # fmt: skip
    code, err = run_cli(args, capfd)
    assert_one_sentence(code, err, "--controlnet dancegen-test/no-such-controlnet", "HF_HUB_OFFLINE")
    assert not out.exists()
    assert not (tmp_path / "out_frames").exists()  # no empty frames folder left behind


def test_check_settings_without_diffusers(tmp_path) -> None:
    s = DiffusionSettings(base_model="runwayml/stable-diffusion-v1-5", controlnet="lllyasviel/sd-controlnet-openpose",
                          motion_adapter=str(tmp_path / "adapter"))  # fmt: skip
    with pytest.raises(RenderError, match="--motion-adapter"):
        check_settings(s, 512)
    s.motion_adapter = "guoyww/animatediff-motion-adapter-v1-5-2"
    sources = check_settings(s, 512)
    assert {k: v.local for k, v in sources.items()} == {"base": False, "controlnet": False, "adapter": False}
    s.context_overlap = 16
    with pytest.raises(RenderError, match="overlap"):
        check_settings(s, 512)


def test_cross_frame_attention_anchors_every_frame_to_the_first() -> None:
    pytest.importorskip("diffusers")
    import torch
    from diffusers.models.attention_processor import Attention, AttnProcessor2_0

    from dancegen.render.diffusion import CrossFrameAttnProcessor

    torch.manual_seed(0)
    attn = Attention(query_dim=8, heads=2, dim_head=4)
    x = torch.randn(4, 5, 8)  # two groups (unconditional, conditional) of two frames
    plain = AttnProcessor2_0()(attn, x)
    proc = CrossFrameAttnProcessor(group=1)
    torch.testing.assert_close(proc(attn, x), plain)  # one frame per group: ordinary self-attention
    proc.group = 2
    cross = proc(attn, x)
    # The anchors (first of each group) attend to themselves twice: unchanged. The others also see
    # their anchor, so they change.
    torch.testing.assert_close(cross[[0, 2]], plain[[0, 2]])
    assert (cross[[1, 3]] - plain[[1, 3]]).abs().max() > 1e-4
    # Cross-attention to the prompt is untouched.
    text = torch.randn(4, 3, 8)
    attn_x = Attention(query_dim=8, cross_attention_dim=8, heads=2, dim_head=4)
    torch.testing.assert_close(proc(attn_x, x, encoder_hidden_states=text), AttnProcessor2_0()(attn_x, x, text))
