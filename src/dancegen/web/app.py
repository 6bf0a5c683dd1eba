"""The web page: upload or record a song, pick an excerpt, watch it dance, take the files away.

The page (``build_app``) is a thin Gradio layer over plain functions that are tested on their own:

- ``check_song``: the upload limits. Size first (bytes on disk), then the file must decode as audio
  (its header is probed and its first seconds decoded by ``dancegen.audio``: the extension does not
  matter), then its length. Every refusal is a :class:`WebError` with one sentence for the page.
- ``excerpt_bounds`` / ``cut_excerpt``: the part of the song to dance to, cut into the request's
  own folder as a WAV, so features, the music-reactive stage and the video's sound all read it.
- ``make_dance``: one request from song to results, the same pipeline as ``dancegen dance``
  (features -> ``generate_motion`` -> ``render_to_video``) plus the motion ``.npz``, BVH, OpenPose
  JSON (zipped, one file per frame) and a plot of music beats against the dancer's beats.
- ``ModelCache``: checkpoints by menu name (the built-ins and folders the server was started with),
  each loaded once per process. A request names a menu entry; it never names a path.

Safety for a shared machine: uploads are limited in size (Gradio refuses larger ones before they
land, and ``check_song`` again), in length, and to decodable audio; the only files read are
Gradio's own uploads (``trusted_upload`` refuses any other path a client sends) and the bundled
demo song; each request writes into its own new folder inside its session's folder, which is
removed when the page is closed (``unload``) or its ``gr.State`` expires, and the whole work folder
when the server stops; Gradio's copies of uploads and results are deleted after ``keep_s``
(``delete_cache``). Requests go through Gradio's queue: ``concurrency`` run at once, the others
wait in line with their position shown.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dancegen.errors import DancegenError

if TYPE_CHECKING:
    import gradio as gr

    from dancegen.audio import AudioFeatures
    from dancegen.checkpoint import Checkpoint
    from dancegen.motion.motion import Motion

log = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_MB = 10.0
"""Largest upload, in MB (2**20 bytes)."""
DEFAULT_MAX_SONG_S = 300.0
"""Longest song accepted (seconds): longer ones are refused before anything is decoded."""
DEFAULT_MAX_LENGTH_S = 60.0
"""Longest excerpt one request may dance (seconds)."""
DEFAULT_LENGTH_S = 15.0
MIN_LENGTH_S = 2.0
"""Shortest excerpt (seconds): the music features need one second, a dance a few beats."""
VIDEO_SIZES: tuple[int, ...] = (256, 384, 512)
DEFAULT_VIDEO_SIZE = 512
KEEP_S = 3600
"""Results and uploads are kept this long (seconds) at most; a closed page's at once."""
MAX_SEED = 2**32 - 1
_MB = 1024 * 1024

#: What the model menu says about the shipped checkpoints.
_BUILTIN_LABELS = {"default": "default (diffusion)", "gan": "gan (fast)"}
_STYLE_INFO = ("art: lit figure on a stage that follows the music; neon: glowing tubes; skeleton: stick figure; "
               "openpose: ControlNet pose maps")
_MODEL_INFO = "default: the shipped diffusion model; gan: the shipped GAN, faster, less varied"


class WebError(DancegenError):
    """A request the page refuses, said in one sentence that the page shows (as a ``gr.Error``)."""


@dataclass(frozen=True)
class Limits:
    """What one request may ask for: upload size (MB), song length and excerpt length (seconds)."""

    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    max_song_s: float = DEFAULT_MAX_SONG_S
    max_length_s: float = DEFAULT_MAX_LENGTH_S
    sizes: tuple[int, ...] = VIDEO_SIZES

    def __post_init__(self) -> None:
        for name in ("max_upload_mb", "max_song_s", "max_length_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")
        if self.max_length_s < MIN_LENGTH_S:
            raise ValueError(f"max_length_s must be at least {MIN_LENGTH_S:g} s, got {self.max_length_s:g}")
        if not self.sizes or any(not 64 <= int(s) <= 4096 for s in self.sizes):
            raise ValueError(f"video sizes must lie between 64 and 4096 pixels, got {self.sizes}")

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * _MB)


# ----------------------------------------------------------------------------------------------
# songs


@dataclass(frozen=True)
class SongInfo:
    """An accepted song: its display name, length (s) and size (bytes)."""

    name: str
    duration: float
    size: int


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def check_song(path: str | Path, limits: Limits | None = None, name: str | None = None) -> SongInfo:
    """Accept or refuse an uploaded song; ``name`` is what messages call it (default: the file name).

    Refuses (WebError) an empty or too large file, anything that does not decode as audio (the
    header is probed and the first seconds decoded: the file's extension plays no part), and a song
    shorter than ``MIN_LENGTH_S`` or longer than ``limits.max_song_s``.
    """
    from dancegen.audio import audio_duration, load_audio
    from dancegen.errors import AudioError

    limits = limits or Limits()
    path = Path(path)
    name = name or path.name
    try:
        size = path.stat().st_size
    except OSError:
        raise WebError(f"{name} could not be read on the server; please upload it again.") from None
    if not path.is_file() or size == 0:
        raise WebError(f"{name} is empty: there is no sound in it.")
    if size > limits.max_upload_bytes:
        raise WebError(f"{name} is {size / _MB:.1f} MB; songs can be at most {_num(limits.max_upload_mb)} MB here.")
    not_audio = f"{name} is not a song this server can play: it does not decode as audio (MP3, WAV, OGG, FLAC, M4A...)."
    try:
        duration = audio_duration(path)
    except AudioError:
        raise WebError(not_audio) from None
    if not (math.isfinite(duration) and duration > 0):
        raise WebError(not_audio)
    if duration > limits.max_song_s + 1e-6:
        raise WebError(f"{name} is {_mmss(duration)} long; songs can be at most {_mmss(limits.max_song_s)} here "
                       f"(cut it to the part you want first).")  # fmt: skip
    try:
        y = load_audio(path, sr=8000, start=0.0, end=min(duration, 2.0))  # decode a little: real, readable audio
    except AudioError:
        raise WebError(not_audio) from None
    if y.size == 0:
        raise WebError(not_audio)
    if duration < MIN_LENGTH_S:
        raise WebError(f"{name} is only {duration:.1f} s long; a song needs at least {_num(MIN_LENGTH_S)} s to dance to.")
    return SongInfo(name, float(duration), int(size))


def excerpt_bounds(song_duration: float, start: float, length: float, limits: Limits | None = None) -> tuple[float, float]:
    """The excerpt (start, end) in seconds: ``length`` seconds from ``start``, cut at the song's end."""
    limits = limits or Limits()
    try:
        start = float(start or 0.0)
        length = float(length)
    except (TypeError, ValueError):
        raise WebError("The start and the length must be numbers of seconds.") from None
    if not (math.isfinite(start) and math.isfinite(length)):
        raise WebError("The start and the length must be numbers of seconds.")
    if start < 0:
        raise WebError(f"The excerpt cannot start before the song ({_num(start)} s).")
    if not MIN_LENGTH_S - 1e-9 <= length <= limits.max_length_s + 1e-9:
        raise WebError(f"The length must be between {_num(MIN_LENGTH_S)} and {_num(limits.max_length_s)} seconds, "
                       f"not {_num(length)}.")  # fmt: skip
    latest = song_duration - MIN_LENGTH_S
    if start > latest + 1e-9:
        raise WebError(f"The excerpt starts at {_num(start)} s, but the song is only {_num(song_duration)} s long: "
                       f"start at {_num(max(0.0, math.floor(latest * 10) / 10))} s or earlier.")  # fmt: skip
    return start, min(start + length, song_duration)


def cut_excerpt(song: str | Path, start: float, end: float, out: str | Path) -> Path:
    """Decode ``[start, end)`` s of ``song`` into ``out``: a 16-bit stereo 44.1 kHz WAV (ffmpeg)."""
    from dancegen.render.video import ffmpeg_exe

    out = Path(out)
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", f"{float(start):.3f}",
           "-i", os.path.abspath(song), "-t", f"{float(end) - float(start):.3f}", "-map", "0:a:0", "-vn",
           "-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le", "-f", "wav", str(out)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is None or proc.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        raise WebError(f"{Path(song).name}: the excerpt {_num(start)}-{_num(end)} s could not be decoded.")
    return out


def trusted_upload(value: Any, roots: Sequence[str | Path]) -> Path:
    """The path of a song the page received, only if it lies in one of ``roots`` (Gradio's upload
    folder): a path a client names anywhere else is refused, never read."""
    if isinstance(value, dict):  # FileData as a dict
        value = value.get("path")
    if not isinstance(value, (str, Path)) or not str(value):
        raise WebError("Upload or record a song first (or press “Use the demo song”).")
    path = Path(value).resolve()
    for root in roots:
        with contextlib.suppress(OSError, ValueError):
            path.relative_to(Path(root).resolve())
            if path.is_file():
                return path
    raise WebError("That song is not an upload of this page; please upload it again.")


# ----------------------------------------------------------------------------------------------
# models


class ModelCache:
    """Checkpoints by menu name, each loaded (and its network built) once per process.

    The menu has the shipped checkpoints (``default``, ``gan``) and ``extra`` ones: a mapping of
    name -> checkpoint folder, or a list of folders (named after the folder). Extra folders are
    checked when the cache is made, so a bad one stops the server before it starts.
    """

    def __init__(self, extra: Mapping[str, str | Path] | Sequence[str | Path] | None = None):
        from dancegen.checkpoint import BUILTIN, read_config, resolve_checkpoint

        self._sources: dict[str, str | Path] = {name: name for name in BUILTIN}
        self._labels: dict[str, str] = {name: _BUILTIN_LABELS.get(name, name) for name in BUILTIN}
        items = extra.items() if isinstance(extra, Mapping) else [(None, p) for p in (extra or [])]
        for name, folder in items:
            path = resolve_checkpoint(Path(folder).expanduser().resolve())
            meta = read_config(path)
            base = name or path.name
            name, k = base, 2
            while name in self._sources:
                name, k = f"{base}-{k}", k + 1
            self._sources[name] = path
            family = meta.get("model", {}).get("family", "diffusion")
            self._labels[name] = f"{name} ({family})"
        self._loaded: dict[str, tuple[Checkpoint, Any]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self._sources)

    def choices(self) -> list[tuple[str, str]]:
        """(label, name) pairs for the menu."""
        return [(self._labels[n], n) for n in self._sources]

    def get(self, name: str) -> tuple[Checkpoint, Any]:
        """(Checkpoint, network in eval mode) of a menu entry; WebError for a name not on the menu."""
        from dancegen.checkpoint import load_checkpoint

        if not isinstance(name, str) or name not in self._sources:
            raise WebError(f"There is no model {str(name)[:40]!r} here; choose one of: {', '.join(self._sources)}.")
        with self._lock:
            if name not in self._loaded:
                ckpt = load_checkpoint(self._sources[name])
                self._loaded[name] = (ckpt, ckpt.build_model())
            return self._loaded[name]


# ----------------------------------------------------------------------------------------------
# one request


@dataclass
class DanceRequest:
    """What a person asked for. ``song_name`` names the song in messages and file names.

    ``style_label`` is a dance-style label for models trained with them (``ModelConfig.styles``);
    None is "any". ``beat_align`` (0..1) is the strength of the time warp that moves the dance's
    accents onto the music's beats (``dancegen.beat_align``). ``on_beat``: an accent on every felt
    beat (``beat_every="beat"``) instead of about one per bar. All go to ``_generation_settings``.
    """

    song: Path
    start: float = 0.0
    length: float = DEFAULT_LENGTH_S
    style: str = "art"
    seed: int = 0
    model: str = "default"
    size: int = DEFAULT_VIDEO_SIZE
    style_label: str | None = None
    beat_align: float = 0.0
    song_name: str | None = None
    on_beat: bool = False


@dataclass
class DanceResult:
    """The files of one request (all inside ``folder``) and what the page says about them."""

    folder: Path
    video: Path
    motion: Path
    openpose: Path
    bvh: Path
    plot: Path
    summary: str
    start: float
    end: float
    tempo: float
    beat_alignment: float
    music_beats: int
    dance_beats: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def downloads(self) -> list[Path]:
        """MP4, motion .npz, OpenPose JSON (.zip), BVH."""
        return [self.video, self.motion, self.openpose, self.bvh]


def _file_stem(song_name: str, seed: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(song_name).stem).strip("_-")[:40] or "song"
    return f"{stem}_dance_seed{seed}"


def _public(err: Exception, names: Mapping[Path, str]) -> str:
    """``err``'s sentence with the server's file paths replaced by what the person knows them as."""
    msg = str(err)
    for path, label in sorted(names.items(), key=lambda kv: -len(str(kv[0]))):
        msg = msg.replace(str(path), label)
    return msg


def _check_choice(what: str, value: Any, allowed: Sequence[Any]) -> None:
    if value not in allowed:
        shown = repr(value[:40]) if isinstance(value, str) else str(value)[:40]
        raise WebError(f"There is no {what} {shown}; choose one of: {', '.join(map(str, allowed))}.")


def _seed(value: Any) -> int:
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise WebError("The seed must be a whole number.") from None
    if not (math.isfinite(f) and f == int(f) and 0 <= f <= MAX_SEED):
        raise WebError(f"The seed must be a whole number from 0 to {MAX_SEED}.")
    return int(f)


def _generation_settings(req: DanceRequest, ckpt: Checkpoint | None, seed: int):
    """The sampler settings for a request: seed, dance-style label (the model checks it),
    beat-alignment strength (checked here: 0..1) and accents on every beat or the model's own rate."""
    from dancegen.generate import GenerationSettings

    if not 0.0 <= float(req.beat_align) <= 1.0:
        raise WebError(f"Beat alignment must lie between 0 and 1, got {req.beat_align}.")
    label = None if req.style_label in (None, "", "any") else req.style_label
    return GenerationSettings(seed=seed, style=label, beat_align=float(req.beat_align),
                              beat_every="beat" if req.on_beat else None)


def style_choices(ckpt: Checkpoint) -> list[str]:
    """The dance-style menu for a model: "any" plus its labels (only "any" for a model without)."""
    return ["any", *ckpt.config.styles]


def beat_plot(motion: Motion, music_beat_times: np.ndarray, path: str | Path) -> dict[str, float]:
    """Plot the dancer's speed with its beats (speed minima) against the music's beats; PNG at ``path``.

    Dance beats and the beat alignment score are Bailando's (``dancegen.metrics.beats``): minima of
    the mean joint speed smoothed over 5 frames; the score is the mean over music beats of
    exp(-d^2 / 18), d the distance in frames to the nearest dance beat. Returns the score and the
    beat counts.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from scipy.ndimage import gaussian_filter

    from dancegen.metrics.beats import BAILANDO_SMOOTH, bailando_bas, bailando_motion_beats

    fps = motion.fps
    joints = motion.joints.astype(np.float64)
    speed = np.linalg.norm(joints[1:] - joints[:-1], axis=-1).mean(axis=-1) * fps  # m/s
    speed = gaussian_filter(speed, BAILANDO_SMOOTH)
    dance, n = bailando_motion_beats(joints)
    music_t = np.asarray(music_beat_times, np.float64)
    music_t = music_t[(music_t >= 0) & (music_t <= motion.duration)]
    music_frames = np.round(music_t * fps).astype(np.int64)
    score = bailando_bas(music_frames, joints) if music_frames.size else float("nan")
    t = np.arange(n) / fps

    fig = Figure(figsize=(8.0, 2.9), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, b in enumerate(music_t):
        ax.axvline(b, color="#f59e0b", lw=1.3, alpha=0.85, label="music beat" if i == 0 else None)
    ax.plot(t, speed, color="#374151", lw=1.4, label="dancer's speed")
    ax.plot(t[dance], speed[dance], "o", color="#7c3aed", ms=6, label="dance beat (speed dip)")
    ax.set_xlim(0, max(motion.duration, 1.0 / fps))
    top = float(speed.max()) if speed.size else 1.0
    ax.set_ylim(0, top * 1.3 + 1e-6)
    ax.set_xlabel("time in the excerpt (s)")
    ax.set_ylabel("speed (m/s)")
    score_txt = "n/a" if not np.isfinite(score) else f"{score:.2f}"
    ax.set_title(f"Music beats vs. dance beats (beat alignment {score_txt}, 1 = every beat hit)", fontsize=10)
    ax.legend(loc="upper right", fontsize=8, ncol=3, framealpha=0.9)
    ax.grid(axis="y", alpha=0.25)
    fig.tight_layout()
    fig.savefig(str(path), format="png")
    return {"beat_alignment": float(score), "music_beats": int(music_t.size), "dance_beats": int(dance.size)}


def _zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, arcname=f"{folder.name}/{f.name}")
    return out


class _DanceProgress:
    """Progress of one generation: the generation's own callback (windows done, after each chunk of
    windows) refined by the network's denoising calls (one per sampling step of a chunk), so the bar
    moves during the long first chunk too."""

    def __init__(self, ckpt: Checkpoint, num_frames: int, settings: Any, report: Callable[[float, str], None]):
        from dancegen.generate import window_starts

        cfg = ckpt.config
        self.report = report
        hop = settings.hop or int(round(0.7 * cfg.window))
        self.windows = len(window_starts(num_frames, cfg.window, hop))
        self.chunk = max(1, int(settings.chunk_windows))
        self.steps = 0
        if getattr(cfg, "family", "diffusion") != "gan":
            from dancegen.models.sampling import Diffusion

            diffusion = Diffusion(cfg.diffusion_steps, cfg.schedule)
            self.steps = len(diffusion.ddim_timesteps(settings.steps or cfg.sample_steps))
        self.done_windows = 0
        self.step = 0

    def _emit(self) -> None:
        part = min(self.chunk, self.windows - self.done_windows)
        inner = min(self.step / self.steps, 1.0) if self.steps else 0.0
        fraction = min(1.0, (self.done_windows + part * inner) / max(self.windows, 1))
        chunks = max(1, math.ceil(self.windows / self.chunk))
        current = min(chunks, self.done_windows // self.chunk + 1)
        self.report(fraction, "Dancing" if chunks == 1 else f"Dancing: part {current} of {chunks}")

    def on_windows(self, done: int, total: int) -> None:
        self.done_windows, self.windows, self.step = done, total, 0
        self._emit()

    def on_step(self) -> None:
        self.step += 1
        self._emit()

    def wrap(self, net: Any) -> Any:
        return _CountingNet(net, self.on_step) if self.steps else net


class _CountingNet:
    """A network that calls ``on_step`` after each ``denoise`` (one per sampling step); the rest is
    the network's own."""

    def __init__(self, net: Any, on_step: Callable[[], None]):
        self._net = net
        self._on_step = on_step

    def __getattr__(self, name: str) -> Any:
        return getattr(self._net, name)

    def denoise(self, *args: Any, **kwargs: Any) -> Any:
        out = self._net.denoise(*args, **kwargs)
        self._on_step()
        return out


def make_dance(
    req: DanceRequest,
    folder: str | Path,
    models: ModelCache,
    limits: Limits | None = None,
    progress: Callable[[float, str], None] | None = None,
    render_bar: bool = False,
) -> DanceResult:
    """Song -> dance video, motion .npz, BVH, OpenPose JSON (.zip) and beat plot, all in ``folder``.

    The same pipeline as ``dancegen dance``; ``progress(fraction, what)`` hears each stage, and each
    chunk of windows and sampling step of the model. ``render_bar``: the video writer's tqdm bar
    (frames), which the page follows with ``gr.Progress(track_tqdm=True)``. Every refusal or
    problem with the song is a WebError whose sentence names the song as ``req.song_name`` (never
    a server path).
    """
    from dancegen.audio import extract_features
    from dancegen.generate import generate_motion
    from dancegen.motion.bvh import write_bvh
    from dancegen.motion.motion import save_motion
    from dancegen.render.openpose import check_output_folder
    from dancegen.render.options import render_to_video
    from dancegen.render.styles import STYLES

    limits = limits or Limits()
    report = progress or (lambda fraction, what: None)
    folder = Path(folder)
    name = req.song_name or Path(req.song).name
    _check_choice("picture style", req.style, STYLES)
    try:
        size = int(req.size)
    except (TypeError, ValueError):
        size = -1
    _check_choice("video size", size, [int(s) for s in limits.sizes])
    seed = _seed(req.seed)
    t_all = time.perf_counter()

    report(0.0, "Checking the song")
    song = check_song(req.song, limits, name)
    start, end = excerpt_bounds(song.duration, req.start, req.length, limits)
    folder.mkdir(parents=True, exist_ok=True)
    excerpt = cut_excerpt(req.song, start, end, folder / "excerpt.wav")
    where = f"{name} ({_num(start)}-{_num(end)} s)"
    names = {excerpt: where, Path(req.song): name}

    report(0.03, f"Loading the {req.model} model")
    ckpt, net = models.get(req.model)
    settings = _generation_settings(req, ckpt, seed)
    report(0.06, "Listening to the music")
    try:
        feats: AudioFeatures = extract_features(excerpt, fps=ckpt.config.fps)
    except DancegenError as err:
        raise WebError(_public(err, names)) from None

    report(0.12, "Dancing")
    tracker = _DanceProgress(ckpt, feats.num_frames, settings, lambda f, what: report(0.12 + 0.5 * f, what))
    t0 = time.perf_counter()
    motion = generate_motion(ckpt, feats.features, settings, model=tracker.wrap(net), progress=tracker.on_windows)
    t_gen = time.perf_counter() - t0

    report(0.63, f"Filming the dance ({motion.num_frames} frames)")
    stem = _file_stem(name, seed)
    video = folder / f"{stem}.mp4"
    json_dir = check_output_folder(folder / f"{stem}_openpose", force=True)
    args = argparse.Namespace(style=req.style, size=size, camera="follow", fps=None, force=True,
                              renderer="builtin", save_openpose_json=str(json_dir))  # fmt: skip
    t0 = time.perf_counter()
    try:
        render_to_video(motion, video, args, audio_path=excerpt, beat_times=feats.beat_times, progress=render_bar)
    except DancegenError as err:
        raise WebError(_public(err, names)) from None
    t_render = time.perf_counter() - t0

    report(0.93, "Writing the downloads")
    npz = folder / f"{stem}.npz"
    save_motion(motion, npz)
    bvh = folder / f"{stem}.bvh"
    write_bvh(motion, bvh)
    openpose = _zip_folder(json_dir, folder / f"{stem}_openpose.zip")
    shutil.rmtree(json_dir, ignore_errors=True)
    plot = folder / f"{stem}_beats.png"
    beats = beat_plot(motion, feats.beat_times, plot)
    report(1.0, "Done")

    bas = beats["beat_alignment"]
    bas_txt = "n/a (no music beats found)" if not np.isfinite(bas) else f"{bas:.2f}"
    summary = (
        f"**{_num(end - start)} s** of *{_md(name)}* ({_num(start)}-{_num(end)} s) at about "
        f"**{feats.tempo:.0f} BPM** · model `{req.model}`, seed {seed}, style {req.style}  \n"
        f"{beats['music_beats']} music beats, {beats['dance_beats']} dance beats, beat alignment "
        f"**{bas_txt}** · danced in {t_gen:.1f} s, filmed in {t_render:.1f} s"
    )
    return DanceResult(
        folder=folder, video=video, motion=npz, openpose=openpose, bvh=bvh, plot=plot, summary=summary,
        start=start, end=end, tempo=float(feats.tempo), beat_alignment=bas, music_beats=beats["music_beats"],
        dance_beats=beats["dance_beats"],
        seconds={"generate": t_gen, "render": t_render, "total": time.perf_counter() - t_all},
    )  # fmt: skip


def _md(text: str) -> str:
    """``text`` safe inside Markdown (a file name may hold * _ ` [ ] < >)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~-])", r"\\\1", text)


# ----------------------------------------------------------------------------------------------
# per-session folders


def session_folder(root: str | Path, session_hash: str | None) -> Path:
    """The folder of a browser session inside ``root``: named by a hash of Gradio's session id
    (which the client chooses, so it never becomes a path itself)."""
    key = hashlib.sha256(str(session_hash or "").encode("utf-8", "replace")).hexdigest()[:32]
    return Path(root) / "sessions" / key


def remove_folder(folder: Any, root: str | Path) -> None:
    """Delete ``folder`` and its contents if it lies inside ``root`` (anything else is left alone)."""
    if not isinstance(folder, (str, Path)) or not str(folder):
        return
    path = Path(folder).resolve()
    with contextlib.suppress(ValueError):
        path.relative_to(Path(root).resolve())
        if path != Path(root).resolve():
            shutil.rmtree(path, ignore_errors=True)


def prune_session(session: Path, older_than_s: float = 120.0) -> None:
    """Remove a session's finished request folders (marked ``.done``) older than ``older_than_s``:
    Gradio has copied their results to its cache by then."""
    if not session.is_dir():
        return
    now = time.time()
    for child in session.iterdir():
        marker = child / ".done"
        with contextlib.suppress(OSError):
            if marker.is_file() and now - marker.stat().st_mtime > older_than_s:
                shutil.rmtree(child, ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# the page


@dataclass
class AppContext:
    """What the page's callbacks share: limits, models, the work folder and the demo song."""

    limits: Limits
    models: ModelCache
    root: Path
    owns_root: bool
    keep_s: int = KEEP_S
    _demo_song: Path | None = None
    _demo_lock: threading.Lock = field(default_factory=threading.Lock)

    def demo_song(self) -> Path:
        """The bundled demo song (synthesised once, into the work folder)."""
        from dancegen.demo_song import DEMO_DURATION, write_demo_song

        with self._demo_lock:
            if self._demo_song is None or not self._demo_song.is_file():
                folder = self.root / "demo"
                folder.mkdir(parents=True, exist_ok=True)
                self._demo_song = write_demo_song(folder / "dancegen_demo_song.wav", duration=DEMO_DURATION, force=True)
            return self._demo_song

    def upload_roots(self) -> list[Path]:
        from gradio.utils import get_upload_folder

        return [Path(get_upload_folder())]


_CSS = """
#dance-button { font-size: 1.1em; }
#limits { opacity: 0.75; font-size: 0.9em; }
#summary p { margin: 0.2em 0; }
"""


def _theme():
    import gradio as gr

    # System fonts: the page loads nothing from outside this server.
    return gr.themes.Soft(primary_hue="violet", secondary_hue="amber",
                          font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])  # fmt: skip


def build_app(
    limits: Limits | None = None,
    extra_models: Mapping[str, str | Path] | Sequence[str | Path] | None = None,
    work_dir: str | Path | None = None,
    concurrency: int = 1,
    queue_size: int | None = 16,
    keep_s: int = KEEP_S,
    default_model: str | None = None,
) -> gr.Blocks:
    """The Gradio page. Launch it with ``launch_app`` (which applies the upload limit and theme).

    ``extra_models``: checkpoint folders added to the model menu (see ``ModelCache``).
    ``work_dir``: where sessions write their files (default: a new temporary folder, removed by
    ``close_app``). ``concurrency``: requests worked on at once; up to ``queue_size`` more wait.
    ``keep_s``: how long results and uploads are kept at most (seconds). ``default_model``: the
    menu entry selected when the page opens (default: the first, ``default``).
    """
    import gradio as gr

    from dancegen.render.styles import DEFAULT_STYLE, STYLES

    limits = limits or Limits()
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    models = ModelCache(extra_models)
    if default_model is not None and default_model not in models.names():
        raise ValueError(f"default_model {default_model!r} is not on the model menu {models.names()}")
    owns = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="dancegen-web-")) if owns else Path(work_dir)
    root.mkdir(parents=True, exist_ok=True)
    ctx = AppContext(limits, models, root.resolve(), owns, keep_s)
    sizes = [int(s) for s in limits.sizes]
    default_size = DEFAULT_VIDEO_SIZE if DEFAULT_VIDEO_SIZE in sizes else sizes[-1]
    default_length = min(DEFAULT_LENGTH_S, limits.max_length_s)

    def on_song(song: Any):
        if not song:
            return "", gr.update(value=0, maximum=limits.max_song_s)
        try:
            path = trusted_upload(song, ctx.upload_roots())
            info = check_song(path, limits)
        except WebError as err:
            raise gr.Error(str(err)) from None
        latest = max(0.0, math.floor((info.duration - MIN_LENGTH_S) * 2) / 2)
        text = f"**{_md(info.name)}**: {_mmss(info.duration)} ({info.duration:.1f} s), {info.size / _MB:.1f} MB"
        return text, gr.update(value=0, maximum=max(latest, 0.5))

    def use_demo_song():
        return str(ctx.demo_song())

    def on_model(name: str):
        try:
            labels = style_choices(models.get(name)[0])
        except DancegenError as err:
            raise gr.Error(str(err)) from None
        return gr.update(choices=labels, value="any", interactive=len(labels) > 1)

    def dance(song, start, length, style, seed, model, size, style_label, beat_align, on_beat, session_dir, request,
              progress=gr.Progress(track_tqdm=True)):  # fmt: skip
        try:
            path = trusted_upload(song, ctx.upload_roots())
        except WebError as err:
            raise gr.Error(str(err)) from None
        session = session_folder(root, getattr(request, "session_hash", None) or uuid.uuid4().hex)
        prune_session(session)
        folder = session / uuid.uuid4().hex  # this request's own folder
        req = DanceRequest(path, start=start, length=length, style=style, seed=seed, model=model, size=size,
                           style_label=style_label, beat_align=beat_align, on_beat=bool(on_beat))  # fmt: skip

        def report(fraction: float, what: str) -> None:
            progress(fraction, desc=what)

        try:
            result = make_dance(req, folder, models, limits, report, render_bar=True)
        except DancegenError as err:
            remove_folder(folder, root)
            raise gr.Error(str(err)) from None
        except Exception:
            remove_folder(folder, root)
            log.exception("dance request failed")
            raise gr.Error("Something went wrong on the server while making this dance (the server log has "
                           "the details); please try again.") from None  # fmt: skip
        (folder / ".done").touch()
        files = [str(p) for p in result.downloads]
        return str(result.video), result.summary, str(result.plot), files, str(session)

    def on_unload(request) -> None:
        remove_folder(session_folder(root, getattr(request, "session_hash", None)), root)

    # Gradio finds its Request parameter by type hint; set it as an object, since this module's
    # annotations are strings that name gradio, which is imported only here.
    dance.__annotations__ = {"request": gr.Request}
    on_unload.__annotations__ = {"request": gr.Request}

    limits_text = (
        f"Songs up to {_num(limits.max_upload_mb)} MB and {_mmss(limits.max_song_s)} long; excerpts of "
        f"{_num(MIN_LENGTH_S)} to {_num(limits.max_length_s)} s. Requests wait in line; your files are "
        f"deleted when you close the page (and after {keep_s // 60} minutes at most)."
    )
    with gr.Blocks(title="dancegen: music in, dance out", delete_cache=(min(300, keep_s), keep_s),
                   analytics_enabled=False) as demo:  # fmt: skip
        session_state = gr.State(None, time_to_live=keep_s, delete_callback=lambda v: remove_folder(v, root))
        gr.Markdown(
            "# dancegen: music in, dance out\n"
            "Upload or record a song (or take the demo song), choose the part to dance to, and press "
            "**Dance**. You get a video with the music, a plot of the music's beats against the dancer's, "
            "and the dance as files for other tools: MP4, motion `.npz`, OpenPose JSON and BVH "
            "(Blender, Mixamo)."
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                song = gr.Audio(label="Song", sources=["upload", "microphone"], type="filepath", format=None,
                                elem_id="song")  # fmt: skip
                demo_button = gr.Button("Use the demo song", size="sm", variant="secondary", elem_id="demo-song")
                song_info = gr.Markdown("", elem_id="song-info")
                with gr.Row():
                    start = gr.Slider(0, limits.max_song_s, value=0, step=0.5, label="Start (s)", elem_id="start")
                    length = gr.Slider(MIN_LENGTH_S, limits.max_length_s, value=default_length, step=1,
                                       label="Length (s)", elem_id="length")  # fmt: skip
                with gr.Row():
                    style = gr.Dropdown(list(STYLES), value=DEFAULT_STYLE, label="Picture style", info=_STYLE_INFO,
                                        elem_id="style")  # fmt: skip
                    model = gr.Dropdown(models.choices(), value=default_model or models.names()[0], label="Model",
                                        info=_MODEL_INFO, elem_id="model")  # fmt: skip
                first_labels = style_choices(models.get(default_model or models.names()[0])[0])
                with gr.Row():
                    style_label = gr.Dropdown(first_labels, value="any", label="Dance style",
                                              info="for models trained with style labels", elem_id="style-label",
                                              interactive=len(first_labels) > 1)  # fmt: skip
                    beat_align = gr.Slider(0, 1, value=0, step=0.25, label="Beat alignment",
                                           info="0: as generated; 1: accents moved onto the beats (time warp)",
                                           elem_id="beat-align")  # fmt: skip
                    on_beat = gr.Checkbox(False, label="On every beat",
                                          info="an accent on every beat: more on the beat, less natural "
                                               "(off: about one per bar, as the training dances move)",
                                          elem_id="on-beat")  # fmt: skip
                with gr.Row():
                    seed = gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed",
                                     info="the same seed gives the same dance", elem_id="seed")  # fmt: skip
                    size = gr.Radio(sizes, value=default_size, label="Video size (px)", elem_id="size")
                button = gr.Button("Dance", variant="primary", elem_id="dance-button")
                gr.Markdown(limits_text, elem_id="limits")
            with gr.Column(scale=6):
                video = gr.Video(label="Dance video", format=None, interactive=False, elem_id="video")
                summary = gr.Markdown("", label="Summary", elem_id="summary")
                plot = gr.Image(label="Music beats vs. dance beats", show_label=False, type="filepath",
                                interactive=False, elem_id="beats-plot")  # fmt: skip
                downloads = gr.File(label="Downloads: video, motion (.npz), OpenPose JSON (.zip), BVH",
                                    file_count="multiple", interactive=False, elem_id="downloads")  # fmt: skip

        song.change(on_song, inputs=song, outputs=[song_info, start], api_name="song_info",
                    concurrency_limit=4, concurrency_id="song_info")  # fmt: skip
        demo_button.click(use_demo_song, outputs=song, api_name="demo_song", concurrency_limit=1,
                          concurrency_id="demo_song")  # fmt: skip
        model.change(on_model, inputs=model, outputs=style_label, api_name=False)
        button.click(dance, inputs=[song, start, length, style, seed, model, size, style_label, beat_align, on_beat,
                                    session_state],
                     outputs=[video, summary, plot, downloads, session_state], api_name="dance",
                     concurrency_limit=concurrency, concurrency_id="dance", show_progress_on=video)  # fmt: skip
        demo.unload(on_unload)
    demo.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    demo.dancegen = ctx  # type: ignore[attr-defined]  (read by launch_app and close_app)
    return demo


def _is_within(path: Path, root: str | Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(root).resolve())
        return True
    except ValueError:
        return False


def warm_up(demo: gr.Blocks) -> threading.Thread:
    """Load the first model of the menu and run the music analysis once, in the background, so that
    the first person does not wait for it (numba compiles librosa's code on first use)."""
    ctx: AppContext = demo.dancegen  # type: ignore[attr-defined]

    def run() -> None:  # writes no file
        from dancegen.audio import HOP, features_from_waveform
        from dancegen.demo_song import synthesize_demo_song

        try:
            ckpt, _ = ctx.models.get(ctx.models.names()[0])
            fps = int(ckpt.config.fps)
            features_from_waveform(synthesize_demo_song(3.0, sr=fps * HOP), fps * HOP, fps=fps)
        except Exception:  # noqa: BLE001 - only a head start; a real request reports any problem
            log.warning("warm-up failed", exc_info=True)

    thread = threading.Thread(target=run, name="dancegen-warm-up", daemon=True)
    thread.start()
    return thread


def launch_app(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = 7860, share: bool = False,
    block: bool = True, quiet: bool = False,
) -> str:  # fmt: skip
    """Start the page's server; returns its local URL (after the server stops when ``block``).

    Applies the upload size limit (Gradio refuses larger uploads before they land) and uses the
    system's fonts (the page makes no outside requests).
    """
    ctx: AppContext = demo.dancegen  # type: ignore[attr-defined]
    # Results are copied into Gradio's cache, which it serves; it may copy them from the temp folder
    # or the working folder without being told. A work folder elsewhere must be allowed, which also
    # lets Gradio serve it (its request folders have unguessable names).
    inside = any(_is_within(ctx.root, p) for p in (tempfile.gettempdir(), os.getcwd()))
    demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=not block, quiet=quiet,
        max_file_size=ctx.limits.max_upload_bytes, allowed_paths=None if inside else [str(ctx.root)],
        ssr_mode=False, theme=_theme(), css=_CSS, footer_links=["api"], inbrowser=False,
    )  # fmt: skip
    return str(demo.local_url)


def close_app(demo: gr.Blocks) -> None:
    """Stop the server and remove the work folder if ``build_app`` made it."""
    ctx: AppContext | None = getattr(demo, "dancegen", None)
    with contextlib.suppress(Exception):
        demo.close()
    if ctx is not None and ctx.owns_root:
        shutil.rmtree(ctx.root, ignore_errors=True)
