"""Stable Diffusion + ControlNet (OpenPose) video of a motion, with diffusers (optional extra).

The motion is drawn as OpenPose control maps (``dancegen.render.openpose``, the same camera as the
built-in styles) and each map conditions a Stable Diffusion 1.5 ControlNet. Two paths keep the
video temporally consistent:

* **AnimateDiff + ControlNet** (``motion_adapter`` given): ``AnimateDiffControlNetPipeline`` on
  sliding context windows of ``context_frames`` frames (16) that overlap by ``context_overlap`` (4),
  so videos of any length fit in memory. Each window after the first re-generates its overlap frames
  as known frames (RePaint-style: after every denoising step they are replaced by the previous
  window's result noised to the current level), so the motion module carries the appearance from
  window to window. Initial noise is per frame and depends only on (seed, frame index).
* **Per frame** (no motion adapter): ``StableDiffusionControlNetPipeline`` on batches of frames, all
  starting from the same initial noise (shared noise), with cross-frame attention: every
  self-attention layer of the UNet also attends to the keys and values of an anchor frame (frame 0,
  re-generated identically at the front of every batch), which keeps identity, clothes and colours.

Both use DDIM (deterministic: the same seed gives the same frames), float16 on a GPU (float32 on
CPU), and write every finished frame at once as a PNG into a frames folder, so an interrupted run
keeps its work; rerunning with the same settings resumes after the last finished frame (AnimateDiff:
from the first unfinished window, its overlap re-encoded from the saved PNGs). The MP4 (with the
song) is assembled from the PNGs at the end.

Weights: ``base_model``, ``controlnet`` and ``motion_adapter`` are each a local folder (a diffusers
folder: ``model_index.json`` for the base model, ``config.json`` for the others) or a Hugging Face
hub id (``owner/name``). Nothing is downloaded unless a hub id is given, and then only when the hub
is allowed (``HF_HUB_OFFLINE`` not set); otherwise only the local cache is used. Every problem with
the weights is a :class:`~dancegen.render.errors.RenderError` with one sentence saying what to pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dancegen.render.errors import RenderError

DEFAULT_PROMPT = (
    "a professional dancer performing on a stage, full body, dynamic pose, dramatic stage lighting, "
    "high quality, detailed"
)
DEFAULT_NEGATIVE = "blurry, low quality, deformed, extra limbs, missing limbs, bad anatomy, watermark, text"
EXAMPLE_BASE = "runwayml/stable-diffusion-v1-5"
EXAMPLE_CONTROLNET = "lllyasviel/sd-controlnet-openpose"
EXAMPLE_ADAPTER = "guoyww/animatediff-motion-adapter-v1-5-2"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FRAME_NAME = "{:06d}.png"
_SETTINGS_FILE = "render.json"


@dataclass
class DiffusionSettings:
    """What the diffusion renderer needs; see the module docstring.

    ``steps`` DDIM steps, ``guidance`` classifier-free guidance scale (<= 1: off),
    ``controlnet_scale`` ControlNet conditioning scale, ``device`` ``auto``/``cuda``/``cpu``/``mps``,
    ``context_frames`` / ``context_overlap`` the AnimateDiff window and overlap (frames),
    ``batch_frames`` new frames per call of the per-frame path.
    """

    base_model: str | None = None
    controlnet: str | None = None
    motion_adapter: str | None = None
    prompt: str = DEFAULT_PROMPT
    negative_prompt: str = DEFAULT_NEGATIVE
    steps: int = 20
    guidance: float = 7.5
    controlnet_scale: float = 1.0
    device: str = "auto"
    seed: int = 0
    context_frames: int = 16
    context_overlap: int = 4
    batch_frames: int = 4

    @property
    def path(self) -> str:
        """``"animatediff"`` with a motion adapter, else ``"per-frame"``."""
        return "animatediff" if self.motion_adapter else "per-frame"


# ---- checks that need no diffusers ------------------------------------------------------------


def hub_allowed() -> bool:
    """Whether hub ids may be downloaded: not when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return False
    return True


@dataclass(frozen=True)
class WeightSource:
    """Where one model comes from: ``option`` (the CLI flag), ``value`` as given, ``local`` folder or hub id."""

    option: str
    value: str
    local: bool

    @property
    def path(self) -> str:
        return str(Path(self.value).expanduser()) if self.local else self.value


def _source(option: str, value: str, marker: str, what: str, example: str) -> WeightSource:
    path = Path(value).expanduser()
    if path.exists():
        if not path.is_dir():
            raise RenderError(f"{option} {value}: is a file; pass a diffusers folder of {what} or a hub id such as {example}.")
        if not (path / marker).is_file():
            raise RenderError(
                f"{option} {value}: not a diffusers folder of {what} (no {marker}); pass one or a hub id such as {example}."
            )
        return WeightSource(option, value, True)
    if _HUB_ID.match(value) and not value.startswith((".", "~")):
        return WeightSource(option, value, False)
    raise RenderError(f"{option} {value}: no such folder; pass a diffusers folder of {what} or a hub id such as {example}.")


def check_settings(settings: DiffusionSettings, size: int, weights: bool = True) -> dict[str, WeightSource]:
    """Validate ``settings`` before any work (no diffusers import); returns the weight sources by role.

    Raises RenderError with one sentence for a missing option, a missing or wrong folder, a bad size
    or bad numbers. ``weights=False`` checks only the numbers (for a pipeline already loaded).
    """
    if weights and (not settings.base_model or not settings.controlnet):
        raise RenderError(
            "--renderer controlnet needs --base-model (a Stable Diffusion 1.5 folder or hub id, e.g. "
            f"{EXAMPLE_BASE}) and --controlnet (an OpenPose ControlNet, e.g. {EXAMPLE_CONTROLNET})."
        )
    if size % 8:
        raise RenderError(f"--size {size}: the diffusion renderer needs a multiple of 8 pixels (e.g. 512).")
    if settings.steps < 1:
        raise RenderError(f"--steps {settings.steps}: need at least 1 denoising step.")
    if settings.context_frames < 2 or not 0 <= settings.context_overlap < settings.context_frames:
        raise RenderError(
            f"--context-frames {settings.context_frames} / --context-overlap {settings.context_overlap}: need at "
            "least 2 frames per window and an overlap smaller than the window."
        )
    if settings.batch_frames < 1:
        raise RenderError(f"--batch-frames {settings.batch_frames}: need at least 1.")
    if not weights:
        return {}
    sources = {
        "base": _source("--base-model", settings.base_model, "model_index.json", "Stable Diffusion 1.5", EXAMPLE_BASE),
        "controlnet": _source("--controlnet", settings.controlnet, "config.json", "an OpenPose ControlNet", EXAMPLE_CONTROLNET),
    }  # fmt: skip
    if settings.motion_adapter:
        sources["adapter"] = _source(
            "--motion-adapter", settings.motion_adapter, "config.json", "an AnimateDiff motion adapter", EXAMPLE_ADAPTER
        )
    return sources


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    line = text[0].strip() if text else type(err).__name__
    return (line[:200] + "...") if len(line) > 200 else line


def _import_diffusers():
    """Import diffusers quietly (no progress bars, no backend warnings); RenderError when missing."""
    try:
        with contextlib.suppress(ImportError):
            from transformers.utils import logging as tlog

            tlog.set_verbosity_error()
            tlog.disable_progress_bar()
        import diffusers
        from diffusers.utils import logging as dlog
    except ImportError:
        raise RenderError(
            "--renderer controlnet needs the optional diffusion packages: pip install 'dancegen[diffusion]'."
        ) from None
    dlog.set_verbosity_error()
    dlog.disable_progress_bar()
    return diffusers


def _device_and_dtype(device: str):
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RenderError(f"--device {device}: no CUDA GPU is available here (use --device cpu or auto).")
    dtype = torch.float16 if device.startswith(("cuda", "mps")) else torch.float32
    return torch.device(device), dtype


def load_pipeline(settings: DiffusionSettings, sources: dict[str, WeightSource] | None = None):
    """Load the pipeline for ``settings`` (AnimateDiff + ControlNet or SD + ControlNet) on its device.

    Local folders load with ``local_files_only``; hub ids too unless the hub is allowed. Returns the
    pipeline, with a DDIM scheduler and its progress bar off. Raises RenderError (one sentence) when
    a model cannot be found or read.
    """
    sources = sources or check_settings(settings, 512)
    diffusers = _import_diffusers()
    device, dtype = _device_and_dtype(settings.device)
    online = hub_allowed()

    # diffusers >= 0.36 calls the argument dtype (torch_dtype is deprecated there).
    version = tuple(int(x) for x in re.findall(r"\d+", diffusers.__version__)[:2])
    dtype_kw = "dtype" if version >= (0, 36) else "torch_dtype"

    def load(cls, src: WeightSource, **kw):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # library deprecation notes are not the user's business
                return cls.from_pretrained(src.path, local_files_only=src.local or not online, **{dtype_kw: dtype}, **kw)
        except Exception as err:  # diffusers raises OSError, ValueError, hub errors, ... for bad weights
            if not src.local and not online:
                raise RenderError(
                    f"{src.option} {src.value}: not in the local Hugging Face cache and downloads are off "
                    "(HF_HUB_OFFLINE); download it once with the hub allowed, or pass a local folder."
                ) from None
            where = "folder" if src.local else "hub id"
            raise RenderError(f"{src.option} {src.value}: cannot load this {where} ({_first_line(err)}).") from None

    controlnet = load(diffusers.ControlNetModel, sources["controlnet"])
    if "adapter" in sources:
        adapter = load(diffusers.MotionAdapter, sources["adapter"])
        pipe = load(
            diffusers.AnimateDiffControlNetPipeline, sources["base"], motion_adapter=adapter, controlnet=controlnet,
            feature_extractor=None, image_encoder=None,
        )  # fmt: skip
        pipe.scheduler = diffusers.DDIMScheduler.from_config(
            pipe.scheduler.config, beta_schedule="linear", clip_sample=False, timestep_spacing="linspace",
            steps_offset=1,
        )  # fmt: skip
    else:
        pipe = load(
            diffusers.StableDiffusionControlNetPipeline, sources["base"], controlnet=controlnet, safety_checker=None,
            feature_extractor=None, requires_safety_checker=False,
        )  # fmt: skip
        pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config, clip_sample=False)
    pipe.set_progress_bar_config(disable=True)
    pipe.to(device)
    return pipe


# ---- cross-frame attention --------------------------------------------------------------------


class CrossFrameAttnProcessor:
    """Self-attention in which every frame also attends to its group's first frame (the anchor).

    The batch is ``groups x group`` frames (classifier-free guidance gives two groups, unconditional
    and conditional), each group starting with the anchor. Keys and values of each frame are its own
    followed by the anchor's ((B, heads, 2 L, d)); cross-attention (to the prompt) is unchanged.
    Set ``group`` to the frames per pipeline call before each call.
    """

    def __init__(self, group: int = 1) -> None:
        self.group = group

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        import torch
        import torch.nn.functional as F

        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channel, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channel, height * width).transpose(1, 2)
        batch, seq_len, _ = hidden_states.shape if encoder_hidden_states is None else encoder_hidden_states.shape
        is_self = encoder_hidden_states is None
        if attention_mask is not None:
            attention_mask = attn.prepare_attention_mask(attention_mask, seq_len, batch)
            attention_mask = attention_mask.view(batch, attn.heads, -1, attention_mask.shape[-1])
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        if encoder_hidden_states is None:
            encoder_hidden_states = hidden_states
        elif attn.norm_cross:
            encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)
        head_dim = key.shape[-1] // attn.heads
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        g = self.group
        if is_self and g > 1 and batch % g == 0 and attention_mask is None:

            def with_anchor(x):
                grouped = x.view(batch // g, g, *x.shape[1:])
                anchor = grouped[:, :1].expand_as(grouped)
                return torch.cat([grouped, anchor], dim=3).view(batch, x.shape[1], -1, x.shape[3])

            key, value = with_anchor(key), with_anchor(value)
        hidden_states = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask, dropout_p=0.0)
        hidden_states = hidden_states.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim).to(query.dtype)
        hidden_states = attn.to_out[0](hidden_states)
        hidden_states = attn.to_out[1](hidden_states)
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch, channel, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor


def install_cross_frame_attention(unet) -> CrossFrameAttnProcessor:
    """Replace the self-attention processors of ``unet`` by one shared CrossFrameAttnProcessor."""
    proc = CrossFrameAttnProcessor()
    procs = {name: (proc if name.endswith("attn1.processor") else p) for name, p in unet.attn_processors.items()}
    unet.set_attn_processor(procs)
    return proc


# ---- frames on disk -------------------------------------------------------------------------------


class FrameStore:
    """A folder of finished frames ``000000.png``... plus ``render.json`` (the settings that made them).

    ``open`` keeps frames made with the same settings (resume) and refuses a folder made with other
    settings unless ``force`` (then it is emptied).
    """

    def __init__(self, folder: str | Path, fingerprint: dict, force: bool = False) -> None:
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        meta = self.folder / _SETTINGS_FILE
        if self.folder.exists() and not self.folder.is_dir():
            raise RenderError(f"{self.folder}: is a file, not a frames folder (pass another --frames-dir).")
        if self.folder.is_dir() and any(self.folder.iterdir()):
            same = False
            with contextlib.suppress(OSError, ValueError):
                same = json.loads(meta.read_text()) == fingerprint
            if not same:
                if not force:
                    raise RenderError(
                        f"{self.folder}: holds frames of other settings; remove it, pass another --frames-dir, or --force."
                    )
                shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if not meta.is_file():
            tmp = meta.with_suffix(".json.part")
            tmp.write_text(json.dumps(fingerprint, indent=1, sort_keys=True))
            os.replace(tmp, meta)

    def path(self, i: int) -> Path:
        return self.folder / _FRAME_NAME.format(i)

    def done(self, num_frames: int) -> int:
        """How many frames from 0 on are finished."""
        k = 0
        while k < num_frames and self.path(k).is_file():
            k += 1
        return k

    def write(self, i: int, frame: np.ndarray) -> None:
        """Save frame ``i`` (H, W, 3) uint8 atomically."""
        from PIL import Image

        tmp = self.folder / f".{i:06d}.part.png"
        Image.fromarray(frame).save(tmp, compress_level=1)
        os.replace(tmp, self.path(i))

    def read(self, i: int) -> np.ndarray:
        from PIL import Image

        with Image.open(self.path(i)) as im:
            return np.asarray(im.convert("RGB"))

    def frames(self, num_frames: int) -> Iterator[np.ndarray]:
        for i in range(num_frames):
            yield self.read(i)


def fingerprint(settings: DiffusionSettings, controls_digest: str, size: int, num_frames: int) -> dict:
    """Everything that decides the frames' pixels (for resuming only matching work)."""
    return {"settings": asdict(settings), "path": settings.path, "controls": controls_digest, "size": size,
            "num_frames": num_frames, "format": 1}  # fmt: skip


def controls_digest(controls: np.ndarray) -> str:
    """A short hash of the control maps (T, H, W, 3) uint8."""
    h = hashlib.sha256()
    for c in controls:
        h.update(np.ascontiguousarray(c).tobytes())
    return h.hexdigest()[:16]


# ---- generation --------------------------------------------------------------------------------


def _frame_noise(seed: int, index: int, shape: tuple[int, ...]):
    """Initial noise of one frame: depends only on (seed, frame index); float32 on the CPU."""
    import torch

    g = torch.Generator("cpu").manual_seed((int(seed) * 1_000_003 + int(index)) % (2**63 - 1))
    return torch.randn(shape, generator=g, dtype=torch.float32)


def _latent_shape(pipe, size: int) -> tuple[int, int, int]:
    return (int(pipe.unet.config.in_channels), size // pipe.vae_scale_factor, size // pipe.vae_scale_factor)


def _decode(pipe, latents) -> np.ndarray:
    """Latents (N, C, h, w) -> (N, H, W, 3) uint8 frames."""
    import torch

    vae = pipe.vae
    out = []
    with torch.no_grad():
        for chunk in latents.split(8):
            img = vae.decode(chunk.to(vae.device, vae.dtype) / vae.config.scaling_factor, return_dict=False)[0]
            img = ((img.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
            out.append(img.permute(0, 2, 3, 1).cpu().numpy())
    return np.concatenate(out, axis=0)


def _encode(pipe, frames: np.ndarray):
    """(N, H, W, 3) uint8 frames -> latents (N, C, h, w) (the mean of the VAE's posterior)."""
    import torch

    vae = pipe.vae
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    with torch.no_grad():
        lat = vae.encode(x.to(vae.device, vae.dtype)).latent_dist.mean
    return (lat * vae.config.scaling_factor).float().cpu()


def _pil(frames: np.ndarray) -> list:
    from PIL import Image

    return [Image.fromarray(np.ascontiguousarray(f)) for f in frames]


def context_windows(num_frames: int, context: int, overlap: int) -> list[tuple[int, int, int]]:
    """Sliding windows ``(start, end, first_new)`` covering ``num_frames`` frames.

    Each window has ``context`` frames (fewer only when the video is shorter); consecutive windows
    share at least ``overlap`` frames; ``first_new`` is the first frame the window adds (frames
    before it were made by the previous window and are known). The last window is shifted back to
    be full length.
    """
    if num_frames <= 0:
        return []
    if num_frames <= context:
        return [(0, num_frames, 0)]
    out = [(0, context, 0)]
    while out[-1][1] < num_frames:
        prev_end = out[-1][1]
        start = prev_end - overlap
        end = min(start + context, num_frames)
        start = max(0, end - context)
        out.append((start, end, prev_end))
    return out


def _run_per_frame(pipe, controls, settings, size, store, start, on_frame) -> None:
    import torch

    proc = install_cross_frame_attention(pipe.unet)
    noise = _frame_noise(settings.seed, 0, (1, *_latent_shape(pipe, size)))  # shared by every frame
    T = controls.shape[0]
    i = start
    while i < T:
        new = list(range(i, min(i + settings.batch_frames, T)))
        idx = new if new[0] == 0 else [0, *new]  # frame 0 is the anchor at the front of every batch
        proc.group = len(idx)
        g = len(idx)
        with torch.no_grad():
            out = pipe(
                prompt=[settings.prompt] * g, negative_prompt=[settings.negative_prompt] * g,
                image=_pil(controls[idx]), height=size, width=size, num_inference_steps=settings.steps,
                guidance_scale=settings.guidance, controlnet_conditioning_scale=settings.controlnet_scale,
                latents=noise.expand(g, -1, -1, -1).clone().to(pipe.device, pipe.unet.dtype),
                output_type="latent", return_dict=True,
            )  # fmt: skip
        frames = _decode(pipe, out.images)
        for k, f_idx in enumerate(idx):
            if f_idx in new:
                store.write(f_idx, frames[k])
                on_frame(f_idx)
        i = new[-1] + 1


def _run_animatediff(pipe, controls, settings, size, store, start, on_frame) -> None:
    import torch

    T = controls.shape[0]
    shape = _latent_shape(pipe, size)
    prev_lat = None  # latents (1, C, n, h, w) of the previous window, frames prev_range[0]..prev_range[1]-1
    prev_range = (0, 0)
    for w_start, w_end, first_new in context_windows(T, settings.context_frames, settings.context_overlap):
        if w_end <= start:
            continue  # finished in an earlier run
        n = w_end - w_start
        noise = torch.stack([_frame_noise(settings.seed, f, shape) for f in range(w_start, w_end)], dim=1)[None]
        n_known = first_new - w_start
        known_x0 = None
        if n_known > 0:
            ps, pe = prev_range
            if prev_lat is not None and ps <= w_start and first_new <= pe:
                known_x0 = prev_lat[:, :, w_start - ps : first_new - ps]
            else:  # resuming: the overlap frames come from the saved PNGs
                saved = np.stack([store.read(f) for f in range(w_start, first_new)])
                known_x0 = _encode(pipe, saved).permute(1, 0, 2, 3)[None]
        sched = pipe.scheduler
        sched.set_timesteps(settings.steps, device="cpu")
        timesteps = sched.timesteps.clone()
        latents = noise.clone()
        if n_known > 0:
            k_x0, k_noise = known_x0[:, :, :n_known], noise[:, :, :n_known]
            latents[:, :, :n_known] = sched.add_noise(k_x0, k_noise, timesteps[:1])

            def keep_known(pipeline, i, t, kwargs, k_x0=k_x0, k_noise=k_noise, n_known=n_known):
                lat = kwargs["latents"]
                if i + 1 < len(timesteps):
                    fixed = sched.add_noise(k_x0, k_noise, timesteps[i + 1 : i + 2])
                else:
                    fixed = k_x0
                lat[:, :, :n_known] = fixed.to(lat.device, lat.dtype)
                return {"latents": lat}
        else:
            keep_known = None
        with torch.no_grad():
            out = pipe(
                prompt=settings.prompt, negative_prompt=settings.negative_prompt, num_frames=n, height=size,
                width=size, num_inference_steps=settings.steps, guidance_scale=settings.guidance,
                conditioning_frames=_pil(controls[w_start:w_end]),
                controlnet_conditioning_scale=settings.controlnet_scale,
                latents=latents.to(pipe.device, pipe.unet.dtype), output_type="latent",
                callback_on_step_end=keep_known, callback_on_step_end_tensor_inputs=["latents"],
            )  # fmt: skip
        lat = out.frames.float().cpu()  # (1, C, n, h, w)
        new = lat[0, :, n_known:].permute(1, 0, 2, 3)  # (n_new, C, h, w)
        frames = _decode(pipe, new)
        for k, f_idx in enumerate(range(first_new, w_end)):
            if f_idx >= start:
                store.write(f_idx, frames[k])
                on_frame(f_idx)
        prev_lat, prev_range = lat, (w_start, w_end)


def render_diffusion_frames(
    controls: np.ndarray,
    settings: DiffusionSettings,
    frames_dir: str | Path,
    *,
    force: bool = False,
    progress: bool = False,
    on_frame: Callable[[int], None] | None = None,
    pipe=None,
) -> FrameStore:
    """Make one image per OpenPose control map (T, H, W, 3) uint8 and save them in ``frames_dir``.

    Frames already there from the same settings are kept (resume). ``on_frame(i)`` is called after
    frame ``i`` is saved. ``pipe``: an already loaded pipeline (default: ``load_pipeline``).
    Returns the FrameStore. Raises RenderError for unusable settings or weights.
    """
    controls = np.asarray(controls)
    T, size = controls.shape[0], controls.shape[1]
    if controls.ndim != 4 or controls.shape[1] != controls.shape[2] or controls.shape[3] != 3:
        raise ValueError(f"control maps must be (T, size, size, 3), got {controls.shape}")
    sources = check_settings(settings, size, weights=pipe is None)
    created = not Path(frames_dir).exists()
    store = FrameStore(frames_dir, fingerprint(settings, controls_digest(controls), size, T), force=force)
    start = store.done(T)
    if start >= T:
        return store
    if pipe is None:
        try:
            pipe = load_pipeline(settings, sources)
        except BaseException:
            if created:  # nothing was made: leave no empty frames folder behind
                shutil.rmtree(store.folder, ignore_errors=True)
            raise
    from tqdm import tqdm

    bar = tqdm(total=T, initial=start, unit="frame", desc=f"diffusion ({settings.path})", disable=not progress,
               leave=False)  # fmt: skip

    def done(i: int) -> None:
        bar.update(1)
        if on_frame is not None:
            on_frame(i)

    try:
        run = _run_animatediff if settings.path == "animatediff" else _run_per_frame
        run(pipe, controls, settings, size, store, start, done)
    finally:
        bar.close()
    return store
