"""Speed of the renderers on this machine; prints markdown tables.

Built-in styles: frames per second at 512x512 (``--size``) of a 10-s synthetic dance (walking,
turning, waving, jumping, 30 fps, SMPL-24), median of ``--repeats`` runs, for
- rendering alone (the renderer's frames, set-up excluded; set-up time is listed separately), and
- rendering + H.264 encoding (``write_video`` to a temporary MP4, no audio), end to end.

Diffusion renderer (``--diffusion tiny|sd15``, needs the diffusion extra): seconds per frame of the
per-frame ControlNet path and of the AnimateDiff + ControlNet path, with random weights built from
configs (nothing is downloaded): ``sd15`` has Stable Diffusion 1.5's, ControlNet 1.0's and the
v1-5-2 motion adapter's sizes, for timing on a GPU; ``tiny`` is a smoke test of the code path.

Usage: python benchmarks/render_speed.py [--size 512] [--repeats 3] [--seconds 10]
       python benchmarks/render_speed.py --diffusion sd15 --device cuda [--diffusion-frames 16 --steps 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "render"))


def synthetic_dance(seconds: float):
    from poses import dance

    return dance(seconds=seconds, walk=3.0, jump=0.4)


def builtin_table(size: int, repeats: int, seconds: float) -> None:
    from dancegen.render.styles import STYLES, style_frames
    from dancegen.render.video import write_video

    motion = synthetic_dance(seconds)
    beats = np.arange(0.25, seconds, 0.5)
    energy = 0.5 + 0.4 * np.sin(np.arange(motion.num_frames) / 40.0)
    print(f"\n{motion.num_frames} frames, {size}x{size}, median of {repeats} runs; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| style | set-up (s) | render (frames/s) | render + encode (frames/s) | x real time (30 fps) |")
    print("|---|---:|---:|---:|---:|")
    for style in STYLES:
        setup, render, total = [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            frames = style_frames(motion, style, size, "follow", beats, energy=energy)
            t1 = time.perf_counter()
            n = sum(1 for _ in frames)
            t2 = time.perf_counter()
            setup.append(t1 - t0)
            render.append(n / (t2 - t1))
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                frames = style_frames(motion, style, size, "follow", beats, energy=energy)
                write_video(frames, Path(tmp) / "v.mp4", fps=motion.fps, size=size, num_frames=motion.num_frames)
                total.append(motion.num_frames / (time.perf_counter() - t0))
        fps_total = statistics.median(total)
        print(f"| {style} | {statistics.median(setup):.2f} | {statistics.median(render):.1f} | {fps_total:.1f} | "
              f"{fps_total / 30.0:.2f} |")  # fmt: skip


def _random_pipelines(scale: str, device: str):
    """Random-weight (per-frame, AnimateDiff) pipelines at ``scale`` ("tiny" or "sd15")."""
    import torch
    from diffusers import (
        AnimateDiffControlNetPipeline,
        AutoencoderKL,
        ControlNetModel,
        DDIMScheduler,
        MotionAdapter,
        StableDiffusionControlNetPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    from transformers.utils import logging as tlog

    from dancegen.render.diffusion import _import_diffusers

    tlog.set_verbosity_error()
    _import_diffusers()  # quiet loggers, no progress bars
    from test_diffusion import _byte_vocab

    vocab = _byte_vocab()
    if scale == "sd15":
        blocks, cross, layers, heads = (320, 640, 1280, 1280), 768, 2, 8
        down = ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",)
        up = ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3
        vae_blocks, text = (128, 256, 512, 512), dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12,
                                                      num_hidden_layers=12)  # fmt: skip
        groups, motion_heads = 32, 8
    else:
        blocks, cross, layers, heads = (8, 8), 8, 1, 4
        down, up = ("CrossAttnDownBlock2D", "DownBlock2D"), ("UpBlock2D", "CrossAttnUpBlock2D")
        vae_blocks, text = (8, 8), dict(hidden_size=8, intermediate_size=16, num_attention_heads=2, num_hidden_layers=2)
        groups, motion_heads = 2, 2
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    torch.manual_seed(0)
    unet = UNet2DConditionModel(block_out_channels=blocks, layers_per_block=layers, down_block_types=down,
                                up_block_types=up, cross_attention_dim=cross, norm_num_groups=groups,
                                attention_head_dim=heads)  # fmt: skip
    cond = {} if scale == "sd15" else {"conditioning_embedding_out_channels": (8, 8)}  # matches the VAE's downsampling
    controlnet = ControlNetModel(block_out_channels=blocks, layers_per_block=layers, down_block_types=down,
                                 cross_attention_dim=cross, norm_num_groups=groups, attention_head_dim=heads,
                                 **cond)  # fmt: skip
    vae = AutoencoderKL(block_out_channels=vae_blocks, down_block_types=["DownEncoderBlock2D"] * len(vae_blocks),
                        up_block_types=["UpDecoderBlock2D"] * len(vae_blocks), latent_channels=4,
                        norm_num_groups=groups, layers_per_block=2 if scale == "sd15" else 1)  # fmt: skip
    te = CLIPTextModel(CLIPTextConfig(vocab_size=len(vocab), max_position_embeddings=77,
                                      bos_token_id=vocab["<|startoftext|>"], eos_token_id=vocab["<|endoftext|>"],
                                      pad_token_id=vocab["<|endoftext|>"], **text))  # fmt: skip
    tok = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="linear", clip_sample=False, steps_offset=1)
    adapter = MotionAdapter(block_out_channels=blocks, motion_layers_per_block=layers, motion_norm_num_groups=groups,
                            motion_num_attention_heads=motion_heads, motion_max_seq_length=32)  # fmt: skip
    per_frame = StableDiffusionControlNetPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet,
                                                  controlnet=controlnet, scheduler=sched, safety_checker=None,
                                                  feature_extractor=None, requires_safety_checker=False)  # fmt: skip
    animate = AnimateDiffControlNetPipeline(vae=vae, text_encoder=te, tokenizer=tok, unet=unet, motion_adapter=adapter,
                                            controlnet=controlnet, scheduler=sched)  # fmt: skip
    for pipe in (per_frame, animate):
        pipe.to(device, dtype)
        pipe.set_progress_bar_config(disable=True)
    return per_frame, animate


def diffusion_table(scale: str, device: str, size: int, frames: int, steps: int) -> None:
    from dancegen.motion import Motion
    from dancegen.render.diffusion import DiffusionSettings, render_diffusion_frames
    from dancegen.render.openpose import OpenPoseRenderer

    if scale == "tiny":
        size = 32
    per_frame, animate = _random_pipelines(scale, device)
    m = synthetic_dance(frames / 30.0)
    m = Motion(m.joints[:frames], m.fps, m.skeleton)
    controls = np.stack(list(OpenPoseRenderer(m, size, "follow").frames()))
    device_name = device
    if device.startswith("cuda"):
        import torch

        device_name = torch.cuda.get_device_name(0)
    print(f"\nDiffusion renderer, random weights ({scale}), {size}x{size}, {steps} DDIM steps, guidance on, "
          f"{frames} frames, {device_name}\n")  # fmt: skip
    print("| path | seconds per frame |")
    print("|---|---:|")
    for name, pipe, adapter in (("per-frame ControlNet (cross-frame attention)", per_frame, None),
                                ("AnimateDiff + ControlNet (16-frame windows, overlap 4)", animate, "random")):  # fmt: skip
        settings = DiffusionSettings(motion_adapter=adapter, steps=steps, device=device, batch_frames=4)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            render_diffusion_frames(controls, settings, Path(tmp) / "frames", pipe=pipe)
            dt = time.perf_counter() - t0
        print(f"| {name} | {dt / frames:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--diffusion", choices=["off", "tiny", "sd15"], default="off")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--diffusion-frames", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    if args.diffusion == "off":
        builtin_table(args.size, args.repeats, args.seconds)
    else:
        diffusion_table(args.diffusion, args.device, args.size, args.diffusion_frames, args.steps)


if __name__ == "__main__":
    main()
