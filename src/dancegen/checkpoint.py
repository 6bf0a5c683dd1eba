"""Checkpoints: a folder with ``config.json`` + ``model.safetensors`` (never pickle).

``model.safetensors`` holds the inference weights (the EMA copy) and the normaliser
(``normalizer.mean``/``normalizer.std``, (D,) float32); ``config.json`` holds the ``ModelConfig``
and a free-form ``info`` dict (data, steps, time, hardware, validation numbers). A training run
also writes ``training_state.safetensors`` + ``training_state.json`` (raw weights, optimizer,
RNG, step) for exact resume. Folders are written under a temporary name and renamed, so a crash
never leaves a half-written checkpoint.

``resolve_checkpoint`` accepts ``default`` (the model shipped in the package), a local folder, or
a Hugging Face hub id (``owner/name``, needs ``huggingface_hub`` and network or its local cache).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dancegen.config import ModelConfig, from_dict, to_dict
from dancegen.errors import CheckpointError, DancegenError
from dancegen.motion.representation import Normalizer

FORMAT = "dancegen-checkpoint"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
ASSETS = Path(__file__).resolve().parent / "assets"
#: Shipped checkpoints, selectable by name with --checkpoint.
BUILTIN = {"default": ASSETS / "default", "gan": ASSETS / "gan"}


@dataclass
class Checkpoint:
    """A loaded checkpoint: config, inference weights (name -> tensor) and the normaliser."""

    config: ModelConfig
    state_dict: dict[str, Any]
    normalizer: Normalizer
    info: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def build_model(self, device: str = "cpu"):
        """The network with these weights, in eval mode: a DanceDenoiser, or a DanceGenerator (GAN)."""
        if self.config.family == "gan":
            from dancegen.models.gan import DanceGenerator as Net
        else:
            from dancegen.models.diffusion import DanceDenoiser as Net

        model = Net(self.config)
        try:
            model.load_state_dict(self.state_dict)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0]
            raise CheckpointError(f"{self.path}: weights do not match the config ({first}).") from None
        return model.to(device).eval()


def _write_dir_atomically(final: Path, writer) -> None:
    """Call ``writer(tmp_dir)``, then swap ``tmp_dir`` into ``final`` (replacing an old folder)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        writer(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it private; a checkpoint is an ordinary shareable folder
        for f in tmp.iterdir():
            f.chmod(0o644)
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(final, old)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def save_checkpoint(
    path: str | Path,
    config: ModelConfig,
    state_dict: dict[str, Any],
    normalizer: Normalizer,
    info: dict[str, Any] | None = None,
    extra: Callable[[Path], None] | None = None,
    half: bool = False,
) -> Path:
    """Write a checkpoint folder atomically; ``extra(folder)`` may add files to it before the swap.

    ``half`` stores the weights as float16 (half the size; loading casts back to float32).
    """
    import torch
    from safetensors.torch import save_file

    path = Path(path)
    dtype = torch.float16 if half else torch.float32
    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in state_dict.items()}
    tensors["normalizer.mean"] = torch.from_numpy(normalizer.mean.copy())
    tensors["normalizer.std"] = torch.from_numpy(normalizer.std.copy())
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "model": to_dict(config), "info": info or {}}

    def writer(tmp: Path) -> None:
        save_file(tensors, str(tmp / WEIGHTS_NAME), metadata={"format": FORMAT})
        (tmp / CONFIG_NAME).write_text(json.dumps(meta, indent=1, sort_keys=True))
        if extra is not None:
            extra(tmp)

    _write_dir_atomically(path, writer)
    return path


def resolve_checkpoint(name_or_path: str | Path | None) -> Path:
    """A checkpoint folder for a built-in name, a local folder, or a hub id (downloaded/cached)."""
    if name_or_path is None:
        name_or_path = "default"
    key = str(name_or_path)
    if key in BUILTIN:
        path = BUILTIN[key]
        if not (path / WEIGHTS_NAME).is_file():
            raise CheckpointError(f"{path}: the built-in checkpoint '{key}' is missing from this install.")
        return path
    path = Path(key).expanduser()
    if path.exists():
        if path.is_file() and path.name in (WEIGHTS_NAME, CONFIG_NAME):
            path = path.parent
        return path
    if key.count("/") == 1 and not key.startswith((".", "/")):
        return _from_hub(key)
    raise CheckpointError(f"{key}: no such checkpoint (not a built-in name, folder or hub id).")


def _from_hub(repo_id: str) -> Path:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise CheckpointError(f"{repo_id}: loading from the hub needs `pip install huggingface_hub`.") from None
    try:
        return Path(snapshot_download(repo_id, allow_patterns=[CONFIG_NAME, WEIGHTS_NAME]))
    except Exception as err:  # the hub client raises many types; all mean "not available"
        raise CheckpointError(f"{repo_id}: cannot fetch the checkpoint from the hub ({type(err).__name__}).") from None


def read_config(path: Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a checkpoint folder (CheckpointError if unusable)."""
    cfg_path = path / CONFIG_NAME
    if not path.is_dir():
        raise CheckpointError(f"{path}: a checkpoint is a folder with {CONFIG_NAME} and {WEIGHTS_NAME}.")
    try:
        meta = json.loads(cfg_path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{cfg_path}: missing, so {path} is not a checkpoint.") from None
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{cfg_path}: corrupt checkpoint config ({err}).") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{cfg_path}: not a dancegen checkpoint config.")
    if int(meta.get("version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{cfg_path}: written by a newer dancegen (format {meta.get('version')}).")
    return meta


def load_checkpoint(name_or_path: str | Path | None = None) -> Checkpoint:
    """Load a checkpoint by built-in name, folder or hub id; CheckpointError names the bad file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = resolve_checkpoint(name_or_path)
    meta = read_config(path)
    try:
        config = from_dict(ModelConfig, meta["model"])
    except (KeyError, TypeError, DancegenError) as err:
        raise CheckpointError(f"{path / CONFIG_NAME}: invalid model config ({err}).") from None
    weights = path / WEIGHTS_NAME
    try:
        tensors = load_file(str(weights))
    except FileNotFoundError:
        raise CheckpointError(f"{weights}: missing, so {path} is not a checkpoint.") from None
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{weights}: corrupt weights file ({err}).") from None
    tensors = {k: v.float() for k, v in tensors.items()}
    try:
        normalizer = Normalizer(tensors.pop("normalizer.mean").numpy(), tensors.pop("normalizer.std").numpy())
    except KeyError:
        raise CheckpointError(f"{weights}: no normaliser stored, not a dancegen checkpoint.") from None
    return Checkpoint(config, tensors, normalizer, dict(meta.get("info", {})), path)


def describe(ckpt: Checkpoint) -> dict[str, Any]:
    """A summary of a checkpoint for ``dancegen info`` (config, parameter count, training info)."""
    n_params = int(sum(int(np.prod(v.shape)) for v in ckpt.state_dict.values()))
    return {"path": str(ckpt.path), "parameters": n_params, "model": to_dict(ckpt.config), "info": ckpt.info}


def export_checkpoint(src: str | Path, dst: str | Path, half: bool = True) -> Path:
    """Copy a checkpoint's inference part (no training state) to ``dst``, in float16 by default."""
    ckpt = load_checkpoint(src)
    return save_checkpoint(dst, ckpt.config, ckpt.state_dict, ckpt.normalizer, ckpt.info, half=half)
