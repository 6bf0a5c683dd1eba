"""The trainer: prepared data round trip, loss falls on real data, exact resume, outputs."""

import csv

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from dancegen.checkpoint import load_checkpoint
from dancegen.config import LossWeights, TrainConfig
from dancegen.train import PreparedData, lr_at, prepare_data, train
from tinymodels import tiny_model_config


@pytest.fixture(scope="module")
def dwm_small(dwm_root) -> PreparedData:
    """Three real Dance-with-Melody training sequences, cut to 20 s each (features are cached)."""
    data = prepare_data("dance_with_melody", dwm_root, "train", progress=False,
                        names=["DANCE_C_2", "DANCE_R_3", "DANCE_W_3"])
    assert data.names == ["DANCE_C_2", "DANCE_R_3", "DANCE_W_3"]
    return PreparedData(data.names, [m[:600] for m in data.music], [j[:600] for j in data.joints],
                        data.skeleton, data.fps, data.styles)


def _tcfg(**kw) -> TrainConfig:
    base = dict(batch_size=8, lr=1e-3, warmup_steps=5, max_steps=60, val_every=1000, checkpoint_every=1000,
                log_every=10, stride_s=0.5, ema_decay=0.9, loss=LossWeights())
    base.update(kw)
    return TrainConfig(**base)


def test_prepared_data_roundtrip(dwm_small, tmp_path):
    dwm_small.save(tmp_path / "p.npz")
    back = PreparedData.load(tmp_path / "p.npz")
    assert back.names == dwm_small.names and back.skeleton == "dwm23" and back.fps == 30
    for a, b in zip(back.joints, dwm_small.joints):
        np.testing.assert_array_equal(a, b)
    assert back.music[0].shape == (600, 35)


def test_a_few_steps_on_real_data_lower_the_loss(dwm_small, tmp_path):
    res = train(dwm_small, tmp_path / "run", tiny_model_config(), _tcfg(val_every=25, max_steps=150, lr=3e-3, log_every=25),
                val_data=dwm_small, progress=False)
    rows = list(csv.DictReader(open(tmp_path / "run" / "log.csv")))
    val = [float(r["val_loss"]) for r in rows]  # fixed noise and noise levels: comparable across steps
    assert res.steps == 150 and len(rows) == 6
    assert val[-1] < 0.8 * val[0]
    assert res.val_loss is not None and np.isfinite(res.val_loss)
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoint")
    assert ckpt.info["steps"] == 150 and ckpt.info["train_windows"] > 0
    assert (tmp_path / "run" / "best" / "model.safetensors").is_file()


def test_resume_continues_identically(dwm_small, tmp_path):
    cfg = tiny_model_config(dropout=0.1)
    straight = train(dwm_small, tmp_path / "a", cfg, _tcfg(max_steps=8, checkpoint_every=4), progress=False)
    train(dwm_small, tmp_path / "b", cfg, _tcfg(max_steps=4, checkpoint_every=4), progress=False)
    resumed = train(dwm_small, tmp_path / "b", cfg, _tcfg(max_steps=8, checkpoint_every=4), resume=True, progress=False)
    assert straight.steps == resumed.steps == 8
    a = load_file(str(tmp_path / "a" / "checkpoint" / "training_state.safetensors"))
    b = load_file(str(tmp_path / "b" / "checkpoint" / "training_state.safetensors"))
    for key in a:
        if key.startswith(("model.", "ema.", "opt.")):
            assert torch.equal(a[key], b[key]), key
    assert straight.final_loss == resumed.final_loss


def test_learning_rate_warms_up_then_decays():
    t = TrainConfig(lr=1e-3, warmup_steps=10, max_steps=100)
    lrs = [lr_at(s, t) for s in range(100)]
    assert lrs[0] < lrs[9] == pytest.approx(1e-3)
    assert lrs[99] < lrs[50] < lrs[10]
    assert min(lrs[10:]) >= 1e-4 - 1e-12


def test_onecycle_schedule_rises_then_falls():
    t = TrainConfig(lr=1e-3, max_steps=100, lr_schedule="onecycle")
    lrs = [lr_at(s, t) for s in range(100)]
    peak = int(np.argmax(lrs))
    assert 25 <= peak <= 31 and lrs[peak] == pytest.approx(1e-3, rel=1e-3)
    assert lrs[0] == pytest.approx(1e-3 / 25)
    assert lrs[-1] < 1e-5
    assert all(a <= b + 1e-15 for a, b in zip(lrs[:peak], lrs[1 : peak + 1]))
