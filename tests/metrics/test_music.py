"""Music responsiveness: beat-hit rate, movement tempo, energy following, tempo following.

Synthetic checks with known answers (hypothesis for the properties), then golden numbers on the
real Dance-with-Melody test split (skipped when ../shared/data is absent).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dancegen.metrics.music import (
    TOL_S,
    beat_hit_rate,
    energy_following,
    joint_speed,
    loudness_db,
    movement_tempo,
    tempo_following,
    tempo_ratio,
    tempo_ratio_error,
    time_stretch,
)
from dancegen.metrics.protocols import resample_joints

FPS_CHOICES = (25, 30, 60)


def bob(bpm: float, fps: float, seconds: float = 30.0, joints: int = 5, noise: float = 0.0, seed: int = 0,
        cycle_per_beat: bool = False) -> np.ndarray:  # fmt: skip
    """A body drifting forward at 0.3 m/s and bobbing 5 cm: down on one beat, up on the next.

    Its speed is smallest at the turning points, once per beat (one kinematic beat per music
    beat). ``cycle_per_beat``: a whole down-up cycle per beat instead (two speed minima per beat).
    """
    t = np.arange(int(round(seconds * fps))) / fps
    f = bpm / 60.0 if cycle_per_beat else bpm / 120.0
    p = np.zeros((t.size, joints, 3))
    p[..., 1] = 0.9 + 0.05 * np.cos(2 * np.pi * f * t)[:, None] + np.linspace(0, 0.8, joints)
    p[..., 0] = 0.3 * t[:, None]
    if noise:
        p += noise * np.random.default_rng(seed).normal(size=p.shape)
    return p


def periodic_dance(period_s: float, fps: float, seconds: float, seed: int, joints: int = 6) -> np.ndarray:
    """A random smooth motion repeating every ``period_s`` seconds (4 harmonics per coordinate), metres."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fps))) / fps
    amp = rng.uniform(0.0, 0.1, (4, joints, 3)) / np.arange(1, 5)[:, None, None]
    amp[0] = rng.uniform(0.05, 0.1, (joints, 3))  # a clear fundamental
    phase = rng.uniform(0, 2 * np.pi, (4, joints, 3))
    k = np.arange(1, 5)[:, None, None, None]
    return np.sum(amp[:, None] * np.sin(2 * np.pi * k * t[None, :, None, None] / period_s + phase[:, None]), axis=0)


# ----------------------------------------------------------------------------------------------
# beat-hit rate


@given(st.lists(st.integers(0, 5000), min_size=1, max_size=60, unique=True), st.sampled_from(FPS_CHOICES))
def test_beat_hit_of_identical_beats_is_one(beats, fps):
    b = np.array(sorted(beats))
    assert beat_hit_rate(b, b, fps) == 1.0


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=40),
    st.sampled_from(FPS_CHOICES),
    st.integers(1, 10),
    st.booleans(),
)
def test_beat_hit_of_beats_shifted_beyond_the_tolerance_is_zero(gaps, fps, extra, later):
    tol = TOL_S * fps
    shift = int(math.floor(tol)) + extra  # > tol frames
    beats = np.cumsum(np.array(gaps) + 2 * shift + 1)  # neighbours further apart than twice the shift
    motion = beats + shift if later else beats - shift
    assert beat_hit_rate(beats, motion, fps) == 0.0
    inside = int(math.floor(tol))  # within the tolerance (inclusive): every beat is hit
    assert beat_hit_rate(beats, beats + (inside if later else -inside), fps) == 1.0


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=30, unique=True),
       st.lists(st.integers(0, 3000), max_size=30), st.lists(st.integers(0, 3000), max_size=30))  # fmt: skip
def test_beat_hit_is_a_share_and_more_motion_beats_never_lower_it(music, motion, more):
    a = beat_hit_rate(np.array(music), np.array(motion, dtype=int), 30)
    b = beat_hit_rate(np.array(music), np.array(motion + more, dtype=int), 30)
    assert 0.0 <= a <= b <= 1.0
    assert a * len(music) == pytest.approx(round(a * len(music)))  # a count over the music beats


def test_beat_hit_degenerate_cases():
    assert math.isnan(beat_hit_rate(np.array([], dtype=int), np.array([3, 4]), 30))
    assert beat_hit_rate(np.array([10, 40]), np.array([], dtype=int), 30) == 0.0
    # ±100 ms at 60 fps is 6 frames, inclusive; at 25 fps 2.5 frames
    assert beat_hit_rate(np.array([100]), np.array([106]), 60) == 1.0
    assert beat_hit_rate(np.array([100]), np.array([107]), 60) == 0.0
    assert beat_hit_rate(np.array([100, 200]), np.array([102, 203]), 25) == 0.5


# ----------------------------------------------------------------------------------------------
# movement tempo


@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_movement_tempo_of_bobbing_at_100_bpm_and_at_0_8x_and_1_25x_speed(fps):
    j = bob(100, fps)
    assert movement_tempo(j, fps) == pytest.approx(100, abs=3)
    for rate in (0.8, 1.25):
        # the same recording played at another speed (resampled in time), and a bob made at that tempo
        played = resample_joints(j, fps * rate, fps)
        assert movement_tempo(played, fps) == pytest.approx(100 * rate, rel=0.03)
        assert movement_tempo(bob(100 * rate, fps), fps) == pytest.approx(100 * rate, rel=0.03)
    # jitter of 3 mm per frame and joint (positions are smoothed before the speed is taken)
    assert movement_tempo(bob(100, fps, noise=0.003), fps) == pytest.approx(100, abs=3)


def test_movement_tempo_counts_speed_cycles():
    # a whole down-up cycle per beat has two speed minima per beat: twice the BPM (METRICS.md)
    assert movement_tempo(bob(80, 30, cycle_per_beat=True), 30) == pytest.approx(160, rel=0.03)
    assert math.isnan(movement_tempo(np.ones((900, 4, 3)), 30))  # a still body has no tempo
    walk = np.zeros((900, 4, 3))
    walk[:, :, 0] = np.arange(900)[:, None] * 0.01  # constant speed: no periodicity
    assert math.isnan(movement_tempo(walk, 30))


@settings(max_examples=25, deadline=None)
@given(st.floats(0.35, 2.5), st.sampled_from(FPS_CHOICES), st.integers(0, 10_000), st.sampled_from([0.8, 1.25]))
def test_movement_tempo_of_a_periodic_dance_and_its_time_scaling(period, fps, seed, rate):
    # 24-171 cycles per minute, and at least 12.5 frames per cycle (10 after the 1.25x scaling): with
    # fewer, a random pattern of 4 harmonics is sampled too coarsely for its cycle to stand out (at
    # 25 fps, 0.375-s cycles of seed 1 read as 3 cycles)
    assume(period * fps >= 12.5)
    j = periodic_dance(period, fps, 30.0, seed)
    j += 0.002 * np.random.default_rng(seed + 1).normal(size=j.shape)
    bpm = movement_tempo(j, fps)
    assert bpm == pytest.approx(60 / period, rel=0.03)
    if 20 <= bpm * rate <= 171:
        assert movement_tempo(resample_joints(j, fps * rate, fps), fps) == pytest.approx(bpm * rate, rel=0.03)


# ----------------------------------------------------------------------------------------------
# tempo ratio by autocorrelation matching


@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_tempo_ratio_of_a_dance_played_faster_or_slower(fps):
    j = bob(100, fps, noise=0.003)
    ratio, match = tempo_ratio(j, fps, j, fps)
    assert ratio == pytest.approx(1.0, abs=0.003) and match == pytest.approx(1.0, abs=1e-6)
    for rate in (0.8, 1.25, 1.6):
        played = resample_joints(j, fps * rate, fps)  # the same recording at another speed
        ratio, match = tempo_ratio(j, fps, played, fps)
        assert ratio == pytest.approx(rate, rel=0.01) and match > 0.95
        # and the other way round, and against a bob made at that tempo, at another frame rate
        assert tempo_ratio(played, fps, j, fps)[0] == pytest.approx(1 / rate, rel=0.01)
        assert tempo_ratio(j, fps, bob(100 * rate, 60, noise=0.003), 60)[0] == pytest.approx(rate, rel=0.01)


def two_level_dance(beat_s: float, bar_beats: int, bar_weight: float, fps: float, seconds: float) -> np.ndarray:
    """Two joints bobbing on every beat, two swaying once per bar of ``bar_beats`` beats (amplitude
    x ``bar_weight``): a dance with speed periodicities at two metrical levels."""
    t = np.arange(int(round(seconds * fps))) / fps
    p = np.zeros((t.size, 4, 3))
    p[:, :2, 1] = 0.9 + 0.04 * np.cos(np.pi * t / beat_s)[:, None] + np.array([0.0, 0.5])
    p[:, 2:, 0] = 0.1 * bar_weight * np.cos(np.pi * t / (bar_beats * beat_s))[:, None] + np.array([0.0, 0.3])
    return p


@settings(max_examples=20, deadline=None)
@given(st.floats(0.4, 0.8), st.sampled_from([2, 3, 4]), st.floats(0.2, 3.0), st.sampled_from([0.8, 1.25]))
def test_tempo_ratio_does_not_depend_on_which_metrical_level_is_strongest(beat_s, bar_beats, bar_weight, rate):
    # the movement tempo of such a dance is the beat or the bar level depending on their weights;
    # the autocorrelation match takes both levels at once, so the ratio is the time scaling
    fps = 30
    j = two_level_dance(beat_s, bar_beats, bar_weight, fps, 30.0)
    played = resample_joints(j, fps * rate, fps)
    ratio, match = tempo_ratio(j, fps, played, fps)
    assert ratio == pytest.approx(rate, rel=0.02) and match > 0.9
    assert tempo_ratio_error(ratio, rate, octave=False) < 2


def test_tempo_ratio_when_the_two_dances_weigh_the_metrical_levels_differently():
    # dance a bobs strongly, so its movement tempo reads the beat (120 cycles/min); dance b, played
    # 1.25x as fast, sways strongly, so its movement tempo reads the bar: the BPM ratio is off by the
    # bar length (3 or 4, beyond the octave tolerance), the matched ratio is not
    fps = 30
    for bar in (3, 4):
        a = two_level_dance(0.5, bar, 0.2, fps, 30.0)
        b = resample_joints(two_level_dance(0.5, bar, 1.0, fps, 40.0), fps * 1.25, fps)[: int(30 * fps / 1.25)]
        bpm_a, bpm_b = movement_tempo(a, fps), movement_tempo(b, fps)
        assert bpm_a == pytest.approx(120, rel=0.02) and bpm_b == pytest.approx(1.25 * 120 / bar, rel=0.02)
        assert tempo_ratio_error(bpm_b / bpm_a, 1.25) > 30
        ratio, match = tempo_ratio(a, fps, b, fps)
        assert tempo_ratio_error(ratio, 1.25, octave=False) < 2 and match > 0.5


def test_tempo_ratio_undefined():
    still = np.ones((900, 4, 3))
    assert all(math.isnan(v) for v in tempo_ratio(still, 30, bob(100, 30), 30))
    assert all(math.isnan(v) for v in tempo_ratio(bob(100, 30), 30, still, 30))
    short = bob(100, 30, seconds=3.0)  # a third of it is 1 s: lags 0.25-0.5 s only
    assert all(math.isnan(v) for v in tempo_ratio(short, 30, short, 30))
    # a ratio outside the searched 0.5-2: the best match is the grid's edge, not an estimate (an
    # aperiodic random motion, which has no octave to match instead)
    from scipy.ndimage import gaussian_filter1d

    for seed in range(3):
        j = 0.5 * gaussian_filter1d(np.random.default_rng(seed).normal(size=(1500, 4, 3)), 12.0, axis=0)
        assert tempo_ratio(j, 30, resample_joints(j, 30 * 1.25, 30), 30)[0] == pytest.approx(1.25, rel=0.01)
        ratio, match = tempo_ratio(j, 30, resample_joints(j, 30 * 0.4, 30), 30)
        assert math.isnan(ratio) and np.isfinite(match)


def test_tempo_ratio_ignores_missing_joints():
    j = bob(90, 30, noise=0.003)
    played = resample_joints(j, 30 * 1.25, 30)
    with_nan = np.concatenate([played, np.full((len(played), 1, 3), np.nan)], axis=1)
    assert tempo_ratio(j, 30, with_nan, 30) == pytest.approx(tempo_ratio(j, 30, played, 30))


def test_joint_speed_ignores_missing_joints():
    j = bob(100, 30, seconds=2)
    with_nan = np.concatenate([j, np.full((j.shape[0], 1, 3), np.nan)], axis=1)
    np.testing.assert_allclose(joint_speed(with_nan, 30), joint_speed(j, 30))


# ----------------------------------------------------------------------------------------------
# energy following


def smooth_curve(n: int, fps: float, seed: int) -> np.ndarray:
    """A slowly varying random curve (N,), unit variance."""
    from scipy.ndimage import gaussian_filter1d

    x = gaussian_filter1d(np.random.default_rng(seed).normal(size=n), 1.5 * fps)
    return (x - x.mean()) / x.std()


def moving_at(speed: np.ndarray, fps: float, joints: int = 4) -> np.ndarray:
    """Joints (N+1, J, 3) travelling along x with the given speed (m/s) per frame step."""
    x = np.concatenate([[0.0], np.cumsum(speed) / fps])
    p = np.zeros((x.size, joints, 3))
    p[..., 0] = x[:, None]
    p[..., 1] = np.linspace(0.1, 1.6, joints)
    return p


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(FPS_CHOICES), st.floats(0.1, 10), st.floats(-40, 0), st.floats(0.2, 5))
def test_energy_following_of_speed_that_follows_loudness(seed, fps, gain, offset, scale):
    n = int(60 * fps)
    loud = -20 + 6 * smooth_curve(n, fps, seed)  # dB
    speed = 0.5 + 0.1 * (loud + 20) / 6
    j = moving_at(speed, fps)
    r = energy_following(loud, j, fps)
    assert r > 0.9
    # Pearson r: unchanged by an affine change of the loudness or a rescaled body
    assert energy_following(gain * loud + offset, scale * j, fps) == pytest.approx(r, abs=1e-9)
    assert energy_following(-loud, j, fps) == pytest.approx(-r, abs=1e-9)


def test_energy_following_of_shuffled_loudness_is_near_zero():
    fps = 30
    n = 90 * fps
    loud = -20 + 6 * smooth_curve(n, fps, 7)
    j = moving_at(0.5 + 0.1 * (loud + 20) / 6, fps)
    rng = np.random.default_rng(0)
    rs = [energy_following(rng.permutation(loud), j, fps) for _ in range(20)]
    assert abs(float(np.mean(rs))) < 0.1
    assert max(abs(r) for r in rs) < 0.5


def test_energy_following_degenerate_cases():
    fps = 30
    loud = -20 + 6 * smooth_curve(600, fps, 1)
    assert math.isnan(energy_following(np.full(600, -20.0), moving_at(0.5 + 0.1 * loud, fps), fps))
    assert math.isnan(energy_following(loud, np.ones((601, 4, 3)), fps))
    assert math.isnan(energy_following(loud[:30], moving_at(0.5 + 0.1 * loud, fps), fps))  # 1 s overlap


def test_loudness_db():
    sr, fps = 16000, 30
    t = np.arange(3 * sr) / sr
    y = 0.5 * np.sin(2 * np.pi * 440 * t)
    db = loudness_db(y, sr, fps)
    assert db.shape == (90,)
    np.testing.assert_allclose(db[3:-3], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.05)
    assert np.all(loudness_db(np.zeros(sr), sr, fps) == -80.0)


# ----------------------------------------------------------------------------------------------
# tempo following


def click_track(bpm: float, seconds: float, sr: int = 22050) -> np.ndarray:
    """Decaying 1-kHz clicks at ``bpm``, mono float32."""
    y = np.zeros(int(seconds * sr), np.float32)
    n = int(0.05 * sr)
    click = (np.sin(2 * np.pi * 1000 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.01 * sr))).astype(np.float32)
    for t in np.arange(0.25, seconds - 0.1, 60.0 / bpm):
        i = int(t * sr)
        y[i : i + n] += click[: len(y) - i]
    return y


def music_tempo(y: np.ndarray, sr: int) -> float:
    """Tempo (BPM) from librosa's beats: beats over the span between the first and the last."""
    import librosa

    _, beats = librosa.beat.beat_track(y=y, sr=sr, hop_length=128, units="time")
    return 60.0 * (len(beats) - 1) / (beats[-1] - beats[0])


def follower(y: np.ndarray, sr: int):
    """A fake generator: bobs at the music's tempo for the music's length (30 fps)."""
    return bob(music_tempo(y, sr), 30, seconds=len(y) / sr), 30


def test_tempo_following_of_a_dance_at_the_music_tempo_is_exact():
    sr = 22050
    res = tempo_following(follower, (click_track(100, 20, sr), sr))
    assert res["base_bpm"] == pytest.approx(100, abs=3)
    for rate in (0.8, 1.25):
        r = res["rates"][rate]
        assert r["ratio"] == pytest.approx(rate, rel=0.03)
        assert r["error_pct"] < 3 and r["strict_error_pct"] < 3
        assert r["bpm"] == pytest.approx(100 * rate, rel=0.04)
        assert r["bpm_ratio"] == pytest.approx(rate, rel=0.03) and r["bpm_error_pct"] < 3
        assert r["match"] > 0.9
    assert res["mean_error_pct"] < 3
    calls = []

    def counting(y, sr):
        calls.append(len(y))
        return follower(y, sr)

    y = click_track(100, 20, sr)
    again = tempo_following(counting, (y, sr), base=follower(y, sr))  # the unstretched dance given
    assert len(calls) == 2 and again["base_bpm"] == pytest.approx(res["base_bpm"])


def test_tempo_following_of_a_dance_that_ignores_the_music():
    def deaf(y, sr):
        return bob(100, 30, seconds=len(y) / sr), 30

    res = tempo_following(deaf, click_track(100, 20), sr=22050)
    assert res["rates"][0.8]["error_pct"] == pytest.approx(25, abs=2)
    assert res["rates"][1.25]["error_pct"] == pytest.approx(20, abs=2)
    for rate in (0.8, 1.25):
        assert res["rates"][rate]["ratio"] == pytest.approx(1.0, abs=0.01)
        assert res["rates"][rate]["bpm_error_pct"] == pytest.approx(res["rates"][rate]["error_pct"], abs=2)

    def still(y, sr):  # no ratio at all: scored as a dance that ignores the tempo, a miss in the mean
        return np.ones((int(30 * len(y) / sr), 4, 3)), 30

    res = tempo_following(still, click_track(100, 20), sr=22050)
    assert math.isnan(res["rates"][0.8]["ratio"]) and res["rates"][0.8]["error_pct"] == pytest.approx(25)
    assert res["rates"][1.25]["error_pct"] == pytest.approx(20) and res["mean_error_pct"] == pytest.approx(22.5)


def test_tempo_following_reads_a_file_excerpt(tmp_path):
    import soundfile as sf

    sr = 22050
    path = tmp_path / "clicks.wav"
    sf.write(path, np.concatenate([np.zeros(2 * sr, np.float32), click_track(120, 16, sr)]), sr)
    res = tempo_following(follower, path, stretches=(0.8,), start=2.0, end=18.0)
    assert res["base_bpm"] == pytest.approx(120, rel=0.03)
    assert res["rates"][0.8]["error_pct"] < 3


def test_tempo_ratio_error_and_time_stretch():
    assert tempo_ratio_error(0.8, 0.8) == 0.0
    assert tempo_ratio_error(1.6, 0.8) == pytest.approx(0.0)  # octave-tolerant
    assert tempo_ratio_error(1.6, 0.8, octave=False) == pytest.approx(100.0)
    assert tempo_ratio_error(0.88, 0.8) == pytest.approx(10.0)
    assert math.isnan(tempo_ratio_error(float("nan"), 0.8))
    y = click_track(100, 10)
    assert len(time_stretch(y, 0.8)) == pytest.approx(len(y) / 0.8, rel=0.01)
    assert len(time_stretch(y, 1.25)) == pytest.approx(len(y) / 1.25, rel=0.01)
    with pytest.raises(ValueError):
        tempo_following(follower, y)  # a bare waveform needs its sample rate


def test_tempo_following_on_a_real_song(dwm_root):
    """The time-stretch path on a real song (20 s of DANCE_W_1's waltz, 87 BPM by its beats)."""
    from dancegen.datasets.dance_with_melody import DWM_FPS, read_config

    start = read_config(dwm_root / "DANCE_W_1")[0] / DWM_FPS
    res = tempo_following(follower, dwm_root / "DANCE_W_1" / "audio.mp3", sr=22050, start=start, end=start + 20)
    assert res["base_bpm"] == pytest.approx(87, rel=0.03)
    for rate in (0.8, 1.25):
        assert res["rates"][rate]["error_pct"] < 3


# ----------------------------------------------------------------------------------------------
# real data: the Dance-with-Melody test split (golden numbers)


@pytest.fixture(scope="module")
def dwm_test(dwm_root):
    """The 6 test dances with their music at 30 fps (the model's rate) and 60 fps (the suite's)."""
    from dancegen.audio import extract_features
    from dancegen.datasets import load_dataset
    from dancegen.metrics.music import loudness_from_file

    out = []
    for s30, s60 in zip(load_dataset("dance_with_melody", dwm_root, "test", fps=30),
                        load_dataset("dance_with_melody", dwm_root, "test", fps=60)):  # fmt: skip
        start, end = s30.audio_start, s30.audio_end
        f30 = extract_features(s30.audio_path, fps=30, start=start, end=end)
        f60 = extract_features(s30.audio_path, fps=60, start=start, end=end)
        out.append({"name": s30.name, "j30": s30.motion.joints, "j60": s60.motion.joints, "f30": f30,
                    "f60": f60, "loud60": loudness_from_file(s30.audio_path, 60, start, end)})  # fmt: skip
    return out


@pytest.mark.slow
def test_real_data_bas_and_beat_hit_at_30_fps_as_the_issue_measured(dwm_test):
    """Issue 5 measured GT BAS 0.166 (own songs) and 0.172 (another song's beats), Bailando, 30 fps."""
    from dancegen.metrics.beats import bailando_bas, bailando_motion_beats, beats_from_onehot

    beats = [beats_from_onehot(d["f30"].features[:, -1]) for d in dwm_test]
    n = len(dwm_test)
    own = np.mean([bailando_bas(beats[i], d["j30"]) for i, d in enumerate(dwm_test)])
    other = np.mean([bailando_bas(beats[(i + 1) % n], d["j30"]) for i, d in enumerate(dwm_test)])
    # golden numbers on the 6 test dances (all 35 dances: 0.162 and 0.165)
    assert own == pytest.approx(0.1565, abs=0.003)
    assert other == pytest.approx(0.1638, abs=0.003)
    assert own == pytest.approx(0.166, abs=0.012) and other == pytest.approx(0.172, abs=0.012)

    def hit(b, j):
        motion, length = bailando_motion_beats(j)
        return beat_hit_rate(b[b < length], motion, 30)

    own_hit = np.mean([hit(beats[i], d["j30"]) for i, d in enumerate(dwm_test)])
    other_hit = np.mean([hit(beats[(i + 1) % n], d["j30"]) for i, d in enumerate(dwm_test)])
    assert own_hit == pytest.approx(GOLDEN["hit30_own"], abs=0.01)
    assert other_hit == pytest.approx(GOLDEN["hit30_other"], abs=0.01)


@pytest.mark.slow
def test_real_data_suite_rows_match_evaluate(dwm_test):
    """GT and mismatched rows as `dancegen evaluate` scores them (60 fps, whole test dances)."""
    from dancegen.metrics.beats import beats_from_onehot
    from dancegen.metrics.references import mismatched_music
    from dancegen.metrics.suite import Clip, evaluate_rows, share_loudness

    gt = []
    for d in dwm_test:
        n60 = min(d["j60"].shape[0], d["f60"].num_frames)
        gt.append(Clip(d["name"], d["j60"][:n60], 60.0, "dwm23", None, beats_from_onehot(d["f60"].features[:, -1]),
                       d["name"], d["loud60"]))  # fmt: skip
    rows = [("ground_truth", "GT", gt), ("mismatched_music", "mm", mismatched_music(gt))]
    share_loudness(rows)
    assert all(c.music_loudness is gt[(i + 1) % len(gt)].music_loudness for i, c in enumerate(rows[1][2]))
    ev = evaluate_rows(gt, rows, ("bailando", "fact", "music"))
    g, m = ev.row("ground_truth").metrics, ev.row("mismatched_music").metrics
    assert g["bailando"]["BAS"] == pytest.approx(0.0967, abs=0.001)  # docs/RESULTS.md
    assert m["bailando"]["BAS"] == pytest.approx(0.1123, abs=0.001)
    assert g["fact"]["BAS"] == pytest.approx(0.2022, abs=0.001)
    assert g["music"]["beat_hit"] == pytest.approx(0.173, abs=0.005)
    assert m["music"]["beat_hit"] == pytest.approx(0.212, abs=0.005)
    # real dances do not follow the music's loudness (issue 5: r ~ 0)
    assert g["music"]["energy_r"] == pytest.approx(0.058, abs=0.01)
    assert abs(g["music"]["energy_r"]) < 0.15
    assert m["music"]["energy_r"] == pytest.approx(0.169, abs=0.01)


@pytest.mark.slow
def test_real_data_movement_tempo_against_the_music_tempo(dwm_test):
    """Real ballroom dances move at the bar level: music tempo / movement tempo is a whole number."""
    tempi = {d["name"]: movement_tempo(d["j30"], 30) for d in dwm_test}
    for name, bpm in GOLDEN["movement_bpm"].items():
        assert tempi[name] == pytest.approx(bpm, abs=0.5), name
    music = {d["name"]: d["f30"].tempo for d in dwm_test}
    # the waltzes W_1 and W_16 (85.7 BPM) make one speed cycle per 3-beat bar
    for name in ("DANCE_W_1", "DANCE_W_16"):
        assert music[name] / tempi[name] == pytest.approx(3.0, rel=0.06)
    levels = (1, 2, 3, 4, 6, 8)
    near = [min(abs(music[n] / tempi[n] / k - 1) for k in levels) < 0.08 for n in tempi]
    assert sum(near) >= 4, (music, tempi)


GOLDEN = {
    "hit30_own": 0.1455,
    "hit30_other": 0.1428,
    "movement_bpm": {"DANCE_C_7": 24.8, "DANCE_R_5": 20.7, "DANCE_W_1": 28.4, "DANCE_W_16": 27.4, "DANCE_W_18": 24.3,
                     "DANCE_W_23": 21.2},  # fmt: skip
}
