"""Beat/style conditioning rows: phase math (property tests), beat thinning, fallbacks, labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tinymodels import tiny_model_config

from dancegen.errors import DancegenError
from dancegen.models.conditioning import (
    AUTO_MULTIPLES,
    BEAT_COLUMN,
    BEAT_LEVEL_PERIOD_S,
    auto_beat_every,
    beat_phase,
    cond_dim,
    condition,
    every_nth_beat,
    generation_condition,
    median_period,
    music_beats,
    nth_beats,
    parse_beat_every,
    style_index,
)
from dancegen.models.diffusion import DanceDenoiser


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 30), st.lists(st.integers(3, 40), min_size=1, max_size=12), st.floats(5, 60))
def test_phase_is_zero_on_every_beat_and_rises_between(first, gaps, period):
    beats = first + np.concatenate([[0], np.cumsum(gaps)])  # beats at least 3 frames apart
    frames = int(beats[-1]) + 41
    ph = beat_phase(beats, frames, period)
    assert ph.shape == (frames, 2)
    np.testing.assert_allclose(ph[beats], np.tile([0.0, 1.0], (len(beats), 1)), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ph, axis=1), 1.0, atol=1e-5)
    angle = np.unwrap(np.arctan2(ph[:, 0], ph[:, 1]))
    assert np.all(np.diff(angle) > 0)  # monotone: no phase runs backwards


def test_phase_without_beats_runs_at_the_given_period():
    ph = beat_phase(np.array([], np.int64), 90, 30.0)
    angle = np.unwrap(np.arctan2(ph[:, 0], ph[:, 1]))
    np.testing.assert_allclose(np.diff(angle), 2 * np.pi / 30, atol=1e-5)


def test_music_model_reads_the_features_unchanged():
    cfg = tiny_model_config()
    music = np.random.default_rng(0).normal(size=(50, 35)).astype(np.float32)
    assert cond_dim(cfg) == 35
    np.testing.assert_array_equal(condition(cfg, music, np.array([3, 9])), music)


def test_motion_model_gets_the_given_beats_and_phase():
    cfg = tiny_model_config(beat_condition="motion", beat_period=20.0)
    music = np.zeros((60, 35), np.float32)
    music[[5, 25, 45], BEAT_COLUMN] = 1
    out = condition(cfg, music, np.array([10, 30, 50]))
    assert out.shape == (60, cond_dim(cfg)) == (60, 37)
    assert list(music_beats(out)) == [10, 30, 50]  # the motion's beats replace the music's
    np.testing.assert_allclose(out[[10, 30, 50], 35:], [[0, 1]] * 3, atol=1e-6)


def test_every_nth_beat_matches_the_learned_period_and_keeps_the_strong_beats():
    music = np.zeros((400, 35), np.float32)
    beats = np.arange(0, 400, 15)
    music[beats, BEAT_COLUMN] = 1
    music[beats[1::2], 0] = 5.0  # odd beats are the loud ones
    assert list(every_nth_beat(beats, music, 15.0)) == list(beats)
    assert list(every_nth_beat(beats, music, 31.0)) == list(beats[1::2])
    assert list(every_nth_beat(beats, music, 55.0)) == list(beats[1::4])  # 4 x 15 = 60 beats 2 x 15 = 30
    assert len(every_nth_beat(beats, music, 7.0)) == 2 * len(beats) - 1
    assert len(every_nth_beat(beats, music, 44.0)) != len(beats[::3])  # auto never takes every 3rd beat
    assert len(nth_beats(beats, music, 3)) == len(beats[::3])  # asked for explicitly, it does
    with pytest.raises(DancegenError, match="beat_every must be one of"):
        nth_beats(beats, music, 5)


@settings(max_examples=200, deadline=None)
@given(st.floats(6, 40), st.sampled_from([0.8, 1.25, 1.5, 0.5, 2.0]), st.floats(20, 60))
def test_auto_accent_interval_scales_with_the_tempo_up_to_octaves(ibi, rate, period):
    """Tempo x rate must change the accent interval by 1/rate times a power of two (never by 3/2,
    which would make a slowed song danced faster)."""
    base = np.round(np.arange(30) * ibi).astype(np.int64)
    stretched = np.round(np.arange(30) * ibi / rate).astype(np.int64)
    n0, n1 = auto_beat_every(base, period), auto_beat_every(stretched, period)
    assert n0 in AUTO_MULTIPLES and n1 in AUTO_MULTIPLES
    octaves = np.log2(n1 / n0)
    assert octaves == round(octaves)
    ibi1 = float(np.median(np.diff(stretched)))
    assume(0.5 * ibi1 <= period * np.sqrt(2) and 4 * ibi1 >= period / np.sqrt(2))  # reachable by 0.5..4 beats
    interval = n1 * ibi1
    assert period / np.sqrt(2) - 1 <= interval <= period * np.sqrt(2) + 1  # the nearest octave to the learned period


@pytest.mark.parametrize(("bpm", "taken"), [(88, 1), (124, 1), (164, 2), (180, 2), (60, 0.5), (130, 2)])
def test_beat_mode_dances_one_accent_per_felt_beat(bpm, taken):
    """``beat_every="beat"``: the octave of the tracked beat nearest 90 BPM (64-127 BPM kept; a
    tracker's doubled 164-180 BPM for a slow waltz or rumba halved back), whatever the learned period."""
    cfg = tiny_model_config(beat_condition="motion", beat_period=41.0)
    fps = cfg.fps
    ibi = 60.0 * fps / bpm
    music = np.zeros((int(40 * ibi), 35), np.float32)
    beats = np.round(np.arange(0, len(music) - 1, ibi)).astype(np.int64)
    music[beats, BEAT_COLUMN] = 1
    got = music_beats(generation_condition(cfg, music, "beat"))
    assert len(got) == len(nth_beats(beats, music, taken))
    interval = float(np.median(np.diff(got)))
    assert BEAT_LEVEL_PERIOD_S * fps / np.sqrt(2) - 1 <= interval <= BEAT_LEVEL_PERIOD_S * fps * np.sqrt(2) + 1
    # "auto" goes by the learned period instead (41 frames: about one accent per bar)
    auto = music_beats(generation_condition(cfg, music, None))
    assert np.median(np.diff(auto)) > interval or bpm == 60
    assert list(music_beats(generation_condition(cfg, music, "auto"))) == list(auto)


def test_parse_beat_every():
    assert parse_beat_every(None) is None and parse_beat_every("auto") is None
    assert parse_beat_every("beat") == "beat"
    assert parse_beat_every("2") == 2.0 and parse_beat_every(0.5) == 0.5
    for bad in ("5", "fast", 1.5, float("nan")):
        with pytest.raises(DancegenError, match="beat_every must be auto, beat or one of"):
            parse_beat_every(bad)


def test_silent_music_falls_back_to_the_learned_tempo(capsys):
    cfg = tiny_model_config(beat_condition="motion", beat_period=40.0)
    out = generation_condition(cfg, np.zeros((200, 35), np.float32))
    assert list(music_beats(out)) == [0, 40, 80, 120, 160]
    assert "learned tempo (45 BPM)" in capsys.readouterr().err
    out = generation_condition(cfg, np.zeros((200, 35), np.float32), "beat")  # on the beat: 90 BPM
    assert list(music_beats(out)) == list(range(0, 200, 20))
    assert "felt beat (90 BPM)" in capsys.readouterr().err


def test_a_music_beat_model_ignores_beat_every_with_a_note(capsys):
    cfg = tiny_model_config()  # beat_condition "music" (as the GAN)
    music = np.random.default_rng(0).normal(size=(60, 35)).astype(np.float32)
    np.testing.assert_array_equal(generation_condition(cfg, music, "beat"), music)
    assert "--beat-every is ignored" in capsys.readouterr().err
    np.testing.assert_array_equal(generation_condition(cfg, music), music)
    assert capsys.readouterr().err == ""
    with pytest.raises(DancegenError, match="beat_every must be"):
        generation_condition(cfg, music, "fast")  # checked for every model


def test_median_period():
    assert median_period([np.array([0, 10, 20]), np.array([5, 17])]) == 10.0
    assert median_period([np.array([3])]) == 0.0


def test_style_labels():
    cfg = tiny_model_config(styles=["rumba", "waltz"])
    assert [style_index(cfg, s) for s in (None, "any", "rumba", "waltz")] == [0, 0, 1, 2]
    with pytest.raises(DancegenError, match="unknown style label 'tango'; this model knows: any, rumba, waltz"):
        style_index(cfg, "tango")
    with pytest.raises(DancegenError, match="has no style labels"):
        style_index(tiny_model_config(), "waltz")


def test_style_changes_the_prediction_once_learned():
    cfg = tiny_model_config(styles=["a", "b"], beat_condition="motion")
    net = DanceDenoiser(cfg).eval()
    torch.nn.init.normal_(net.style.weight)
    torch.nn.init.normal_(net.motion_out.weight, std=0.1)
    x, t = torch.randn(2, cfg.window, net.motion_dim), torch.tensor([10, 10])
    music = torch.randn(1, cfg.window, cond_dim(cfg)).expand(2, -1, -1)
    out = net(x[:1].expand(2, -1, -1), t, music, style=torch.tensor([1, 2]))
    assert not torch.allclose(out[0], out[1])


def test_gan_refuses_motion_beats_and_styles():
    with pytest.raises(DancegenError, match="need the diffusion family"):
        tiny_model_config(family="gan", beat_condition="motion")


@pytest.mark.slow
def test_a_tiny_model_learns_to_put_accents_where_the_beat_input_says(tmp_path):
    """Self-supervised beat conditioning end to end: the training music says nothing about the
    beats (noise, empty beat column), so the only beat signal is each dance's own kinematic beats;
    at generation the beat input holds NEW irregular beats, and the dance's accents must land there."""
    from beatmotion import irregular_beats, sway_motion

    from dancegen.checkpoint import load_checkpoint
    from dancegen.config import TrainConfig
    from dancegen.generate import GenerationSettings, generate_motion
    from dancegen.models.conditioning import motion_beats
    from dancegen.train import PreparedData, train

    rng = np.random.default_rng(0)
    names, music, joints = [], [], []
    for i in range(8):
        joints.append(sway_motion(irregular_beats(rng, 600), 600))
        m = (0.1 * rng.normal(size=(600, 35))).astype(np.float32)
        m[:, BEAT_COLUMN] = 0.0
        music.append(m)
        names.append(f"s{i}")
    cfg = tiny_model_config(window=60, beat_condition="motion", cond_drop_prob=0.1, guidance=1.0)
    tcfg = TrainConfig(batch_size=32, lr=2e-3, warmup_steps=20, max_steps=600, val_every=10**6,
                       checkpoint_every=600, log_every=100, ema_decay=0.95, mirror=False)
    torch.manual_seed(0)
    train(PreparedData(names, music, joints, "dwm23", 30), tmp_path / "run", cfg, tcfg, progress=False)
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoint")
    hits, control = [], []
    for trial in range(3):
        beats = irregular_beats(np.random.default_rng(100 + trial), 300, 14, 22)
        song = np.zeros((300, 35), np.float32)
        song[beats, BEAT_COLUMN] = 1.0
        accents = motion_beats(generate_motion(ckpt, song, GenerationSettings(seed=trial, beat_every=1)).joints) + 0.5
        inner = beats[(beats > 5) & (beats < 295)].astype(float)
        hits.append(np.mean(np.abs(inner[:, None] - accents[None]).min(1) <= 2))
        control.append(np.mean(np.abs(inner[:, None] + 8 - accents[None]).min(1) <= 2))  # half a beat off
    assert np.mean(hits) >= 0.5, hits
    assert np.mean(control) <= 0.2, control
