"""The trainer: prepared data round trip, loss falls on real data, exact resume, outputs."""

import csv

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file

from dancegen.checkpoint import load_checkpoint
from dancegen.config import LossWeights, TrainConfig
from dancegen.errors import DancegenError
from dancegen.train import PreparedData, lr_at, prepare_data, style_balanced_probs, train
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


def test_motion_beat_windows_carry_each_dance_its_own_beats(dwm_small):
    from dancegen.models.conditioning import motion_beats, music_beats
    from dancegen.train import make_training_windows, resolve_auto_fields

    cfg = resolve_auto_fields(tiny_model_config(window=150, beat_condition="motion", styles=["auto"]), dwm_small)
    assert cfg.styles == ["cha-cha", "rumba", "waltz"] and 20 < cfg.beat_period < 60
    motion_w, cond_w, style_w = make_training_windows(dwm_small, 150, 150, cfg=cfg)
    assert cond_w.shape[2] == 37 and len(motion_w) == len(cond_w) == len(style_w) == 12
    assert list(style_w) == [1] * 4 + [2] * 4 + [3] * 4
    own = motion_beats(dwm_small.joints[0])
    np.testing.assert_array_equal(music_beats(cond_w[0]), own[own < 150])
    assert not np.array_equal(music_beats(cond_w[0]), music_beats(dwm_small.music[0][:150]))


def test_fine_tune_grows_the_inputs_and_starts_where_the_old_model_was(dwm_small, tmp_path):
    from dancegen.models.conditioning import condition, music_beats

    old = train(dwm_small, tmp_path / "old", tiny_model_config(), _tcfg(max_steps=20), progress=False)
    base = load_checkpoint(old.out_dir / "checkpoint")
    cfg = tiny_model_config(beat_condition="motion", styles=["auto"], head_kernel=3)
    train(dwm_small, tmp_path / "new", cfg, _tcfg(max_steps=1, lr=1e-12, warmup_steps=0), progress=False, init_from=base)
    new = load_checkpoint(tmp_path / "new" / "checkpoint")
    assert new.config.beat_condition == "motion" and new.config.styles == ["cha-cha", "rumba", "waltz"]
    np.testing.assert_array_equal(new.normalizer.mean, base.normalizer.mean)
    w_old, w_new = base.state_dict["music_in.weight"], new.state_dict["music_in.weight"]
    assert w_new.shape[1] == 3 * 37 and w_old.shape[1] == 3 * 35
    torch.testing.assert_close(w_new.view(-1, 3, 37)[:, :, :35], w_old.view(-1, 3, 35), atol=1e-6, rtol=0)
    assert float(w_new.view(-1, 3, 37)[:, :, 35:].abs().max()) < 1e-6  # new columns start at zero
    assert float(new.state_dict["motion_out_context.weight"].abs().max()) < 1e-6  # so does the wider head
    # so the fine-tuned model at step 0 predicts what the old one did, whatever the phase columns say
    song = dwm_small.music[0][:30]
    music = torch.from_numpy(song[None])
    cond = torch.from_numpy(condition(new.config, song, music_beats(song))[None])
    x, t = torch.randn(1, 30, base.build_model().motion_dim), torch.tensor([40])
    with torch.no_grad():
        torch.testing.assert_close(new.build_model()(x, t, cond, style=torch.tensor([2])),
                                   base.build_model()(x, t, music), atol=1e-4, rtol=1e-4)


def test_tempo_augmentation_adds_time_scaled_dances_with_their_own_denser_beats(dwm_small):
    from dancegen.models.conditioning import median_period, music_beats
    from dancegen.train import make_training_windows, resolve_auto_fields

    cfg = resolve_auto_fields(tiny_model_config(window=150, beat_condition="motion", styles=["auto"]), dwm_small)
    plain = make_training_windows(dwm_small, 150, 150, cfg=cfg)
    motion_w, cond_w, style_w = make_training_windows(dwm_small, 150, 150, cfg=cfg, tempo_rates=[1.0, 1.5])
    # 600 frames -> 4 windows; at 1.5x: 400 frames -> 2 windows (1.0 adds nothing)
    assert len(plain[0]) == 12 and len(motion_w) == len(cond_w) == len(style_w) == 12 + 6
    assert list(style_w[12:]) == [1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(motion_w[:12], plain[0])
    # the fast copies carry their own kinematic beats, which come about 1.5x as often
    fast_beats = [music_beats(c) for c in cond_w[12:]]
    slow_beats = [music_beats(c) for c in cond_w[:12]]
    assert median_period(slow_beats) / median_period(fast_beats) == pytest.approx(1.5, rel=0.25)
    # and the fast motion moves faster: mean speed of the root-relative joints
    speed = lambda w: float(np.abs(np.diff(w, axis=1)).mean())
    assert speed(motion_w[12:]) > 1.2 * speed(motion_w[:12])


def test_style_only_fine_tune_changes_the_label_rows_and_nothing_else(dwm_small, tmp_path):
    cfg = tiny_model_config(styles=["auto"])
    base_run = train(dwm_small, tmp_path / "base", cfg, _tcfg(max_steps=10), progress=False)
    base = load_checkpoint(base_run.out_dir / "checkpoint")
    train(dwm_small, tmp_path / "style", base.config, _tcfg(max_steps=15, trainable="style", style_balance=True, ema_decay=0.5),
          progress=False, init_from=base)
    tuned = load_checkpoint(tmp_path / "style" / "checkpoint")
    assert tuned.config.cond_drop_prob == base.config.cond_drop_prob  # the saved config keeps its dropout
    changed = []
    for name, old in base.state_dict.items():
        new = tuned.state_dict[name]
        if name in ("style.weight", "style_direct.weight"):
            torch.testing.assert_close(new[0], old[0], atol=0, rtol=0)  # "any": a label-free dance is unchanged
            assert float((new[1:] - old[1:]).abs().max()) > 1e-4, name  # every label row learned something
            changed.append(name)
        else:
            torch.testing.assert_close(new, old, atol=0, rtol=0, msg=name)
    assert changed == ["style.weight", "style_direct.weight"]


def test_head_only_fine_tune_changes_the_output_head_and_nothing_else(dwm_small, tmp_path):
    cfg = tiny_model_config(head_kernel=3, dropout=0.1)
    base_run = train(dwm_small, tmp_path / "base", cfg, _tcfg(max_steps=10), progress=False)
    base = load_checkpoint(base_run.out_dir / "checkpoint")
    res = train(dwm_small, tmp_path / "head", base.config,
                _tcfg(max_steps=10, trainable="head", ema_decay=0.5, loss=LossWeights(acceleration=0.01)),
                progress=False, init_from=base)
    tuned = load_checkpoint(tmp_path / "head" / "checkpoint")
    assert tuned.config == base.config  # dropout and conditioning dropout as the model's own
    changed = sorted(n for n, old in base.state_dict.items()
                     if float((tuned.state_dict[n] - old).abs().max()) > 0)
    assert changed == ["motion_out.bias", "motion_out.weight", "motion_out_context.weight", "norm_out.bias",
                       "norm_out.weight"]
    with open(res.out_dir / "log.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert float(rows[-1]["acceleration"]) > 0  # the term is logged


def test_acceleration_loss_is_the_mse_of_second_differences():
    from dancegen.motion.representation import FeatureLayout, Normalizer, feature_dim
    from dancegen.train import motion_losses

    cfg = tiny_model_config()
    b, t, j, fps, delta = 2, 30, 23, cfg.fps, 0.01
    norm = Normalizer(np.zeros(feature_dim(j), np.float32), np.ones(feature_dim(j), np.float32))
    x0 = torch.randn(b, t, feature_dim(j)) * 0.1
    assert float(motion_losses(x0, x0, norm, cfg)["acceleration"]) == pytest.approx(0.0, abs=1e-8)
    pred = x0.clone()
    x_cols = range(FeatureLayout(j).local.start, FeatureLayout(j).local.stop, 3)
    pred[:, 7, list(x_cols)] += delta  # every joint of frame 7 moves delta m along x
    # second differences centred on frames 6, 7, 8 change by delta, -2 delta, delta (times fps^2)
    expected = (1 + 4 + 1) * (delta * fps * fps) ** 2 * b * j / (b * (t - 2) * j * 3)
    got = float(motion_losses(pred, x0, norm, cfg)["acceleration"])
    assert got == pytest.approx(expected, rel=1e-4)


def test_style_only_fine_tune_grows_and_learns_the_per_block_style_vectors(dwm_small, tmp_path):
    from dancegen.config import from_dict, to_dict

    base_run = train(dwm_small, tmp_path / "base", tiny_model_config(styles=["auto"]), _tcfg(max_steps=5), progress=False)
    base = load_checkpoint(base_run.out_dir / "checkpoint")
    cfg = from_dict(type(base.config), {**to_dict(base.config), "style_layers": True})
    train(dwm_small, tmp_path / "layers", cfg, _tcfg(max_steps=10, trainable="style", ema_decay=0.5),
          progress=False, init_from=base)
    tuned = load_checkpoint(tmp_path / "layers" / "checkpoint")
    assert tuned.config.style_layers
    table = tuned.state_dict["style_layer.weight"]
    assert table.shape == (1 + len(tuned.config.styles), cfg.decoder_layers * cfg.d_model)
    assert torch.count_nonzero(table[0]) == 0  # "any" stays zero
    assert float(table[1:].abs().max()) > 1e-4
    for name, old in base.state_dict.items():
        if name not in ("style.weight", "style_direct.weight"):
            torch.testing.assert_close(tuned.state_dict[name], old, atol=0, rtol=0, msg=name)


def test_style_only_fine_tune_needs_style_labels(dwm_small, tmp_path):
    from dancegen.errors import DancegenError

    with pytest.raises(DancegenError, match="needs a model with style labels"):
        train(dwm_small, tmp_path / "x", tiny_model_config(), _tcfg(max_steps=1, trainable="style"), progress=False)
    with pytest.raises(DancegenError, match="trainable must be one of all, style, head"):
        _tcfg(trainable="decoder")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=60))
def test_style_balance_gives_every_label_the_same_share(styles):
    idx = np.array(styles)
    p = style_balanced_probs(idx)
    assert p.shape == idx.shape and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(), 1.0)
    labels = np.unique(idx[idx > 0])
    if labels.size:
        shares = [p[idx == k].sum() for k in labels]
        np.testing.assert_allclose(shares, 1.0 / labels.size)
        assert np.all(p[idx == 0] == 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=60), st.floats(0.0, 1.0))
def test_partial_style_balance_lies_between_the_data_and_equal_shares(styles, power):
    idx = np.array(styles)
    p = style_balanced_probs(idx, power)
    np.testing.assert_allclose(p.sum(), 1.0)
    labels = np.unique(idx[idx > 0])
    if labels.size:
        n = np.array([(idx == k).sum() for k in labels], dtype=float)
        shares = np.array([p[idx == k].sum() for k in labels])
        np.testing.assert_allclose(shares, n ** (1 - power) / (n ** (1 - power)).sum())
        if power == 0.0:
            np.testing.assert_allclose(shares, n / n.sum())  # the data's own shares
        # a rarer label never gets less than its share of the data, nor more than an equal share
        rare = n.argmin()
        assert n[rare] / n.sum() - 1e-12 <= shares[rare] <= 1.0 / labels.size + 1e-12
        np.testing.assert_allclose(p[idx == labels[0]], shares[0] / n[0])  # even within a label


def test_style_balance_accepts_a_share_between_off_and_equal():
    assert _tcfg(style_balance=0.5).style_balance == 0.5
    for bad in (1.5, -0.1, "yes"):
        with pytest.raises(DancegenError, match="style_balance must be"):
            _tcfg(style_balance=bad)
    with pytest.raises(ValueError, match="power must lie in"):
        style_balanced_probs(np.array([1, 2]), 2.0)


def test_snapshots_keep_the_inference_weights_at_their_steps(dwm_small, tmp_path):
    res = train(dwm_small, tmp_path / "run", tiny_model_config(), _tcfg(max_steps=12, snapshot_every=5, val_every=4),
                val_data=dwm_small, progress=False)
    snaps = sorted(p.name for p in (res.out_dir / "snapshots").iterdir())
    assert snaps == ["step_0000005", "step_0000010", "step_0000012"]  # every 5 steps, and the last
    last = load_checkpoint(res.out_dir / "snapshots" / "step_0000012")
    final = load_checkpoint(res.out_dir / "checkpoint")
    assert last.info["steps"] == 12 and last.info["val_loss"] == pytest.approx(res.val_loss)
    for name, w in final.state_dict.items():  # the last snapshot is the final EMA weights
        torch.testing.assert_close(last.state_dict[name], w, atol=0, rtol=0)
    first = load_checkpoint(res.out_dir / "snapshots" / "step_0000005")
    assert first.info["val_loss"] is None  # not validated at step 5: no stale number
    assert any(float((first.state_dict[n] - w).abs().max()) > 0 for n, w in final.state_dict.items())
