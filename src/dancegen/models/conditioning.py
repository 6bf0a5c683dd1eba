"""What the denoiser is conditioned on besides the music: beats it should dance to, and a style label.

Beat conditioning (``ModelConfig.beat_condition``):

- ``"music"``: the 35-d music features as they are; column 34 is the music's beat one-hot.
- ``"motion"`` (self-supervised): in training, column 34 is replaced by the training motion's OWN
  kinematic beats (the Bailando motion beats of ``dancegen.metrics.beats``: minima of the smoothed
  mean joint speed) and two columns are appended, the beat phase as (sin, cos) — phase 0 on each
  beat, rising linearly to 2 pi at the next — so the model learns "put the accents where the beat
  channel says" from any dance, whether or not it was on its music's beat. At generation time the
  same three columns are built from the music's beats (optionally every ``n``-th beat, n an octave
  multiple chosen to match the movement tempo the model learned). A song without beats falls back
  to the learned period, ``ModelConfig.beat_period`` frames.

Style: ``ModelConfig.styles`` names the labels; index 0 is "any" (trained by label dropout).
"""

from __future__ import annotations

import sys

import numpy as np

from dancegen.config import ModelConfig
from dancegen.errors import DancegenError

#: Column of the beat one-hot in the 35-d music features (dancegen.audio).
BEAT_COLUMN = 34
#: Column of the onset envelope (used to pick the stronger beats when taking every n-th).
ENVELOPE_COLUMN = 0
#: Extra input columns of a "motion"-beat model: beat phase (sin, cos).
PHASE_COLUMNS = 2
#: Fallback beat period (frames at 30 fps: 120 BPM) when neither the song nor the config has one.
DEFAULT_PERIOD_S = 0.5
ANY_STYLE = "any"


def cond_dim(cfg: ModelConfig) -> int:
    """Width of the per-frame conditioning rows the network reads."""
    return cfg.audio_dim + (PHASE_COLUMNS if cfg.beat_condition == "motion" else 0)


def motion_beats(joints: np.ndarray) -> np.ndarray:
    """Kinematic beat frames (B,) int64 of joints (T, J, 3): the Bailando motion beats."""
    from dancegen.metrics.beats import bailando_motion_beats

    return bailando_motion_beats(joints)[0]


def music_beats(music: np.ndarray) -> np.ndarray:
    """Beat frames (B,) int64 of music features (T, 35): the non-zero rows of the beat column."""
    return np.flatnonzero(np.asarray(music)[:, BEAT_COLUMN] > 0.5).astype(np.int64)


def median_period(beat_lists: list[np.ndarray]) -> float:
    """Median interval (frames) between consecutive beats over several beat lists; 0 if none."""
    gaps = [np.diff(np.sort(b)) for b in beat_lists if len(b) > 1]
    return float(np.median(np.concatenate(gaps))) if gaps else 0.0


def beat_phase(beats: np.ndarray, num_frames: int, period: float) -> np.ndarray:
    """Beat phase (T, 2) float32 as (sin, cos): 0 on each beat, linear to 2 pi at the next one.

    Before the first and after the last beat the phase runs on with the neighbouring interval
    (or ``period`` frames when there is only one beat, or none: then phase 0 is frame 0).
    """
    t = np.arange(num_frames, dtype=np.float64)
    b = np.unique(np.asarray(beats, dtype=np.float64))
    if b.size == 0:
        b = np.array([0.0])
    if b.size == 1:
        first_gap = last_gap = max(period, 1.0)
    else:
        first_gap, last_gap = b[1] - b[0], b[-1] - b[-2]
    cycles = np.interp(t, b, np.arange(b.size, dtype=np.float64))
    cycles = np.where(t < b[0], (t - b[0]) / first_gap, cycles)
    cycles = np.where(t > b[-1], b.size - 1 + (t - b[-1]) / last_gap, cycles)
    phase = 2 * np.pi * cycles
    return np.stack([np.sin(phase), np.cos(phase)], axis=1).astype(np.float32)


#: Beat multiples ``--beat-every auto`` chooses from: octaves of the beat only, so that the accent
#: interval scales with the music's tempo. With 3 among them, a song slowed to 0.8x could switch from
#: every 3rd to every 2nd beat and be danced *faster* (docs/MODEL_CARD.md, "Beat and tempo").
AUTO_MULTIPLES = (0.5, 1, 2, 4)
#: Multiples ``beat_every`` accepts when given explicitly (3: one accent per bar of a waltz).
BEAT_MULTIPLES = (0.5, 1, 2, 3, 4)
#: Target accent interval (seconds) of ``beat_every="beat"``: 90 BPM. The octave of the tracked
#: beat closest to it on a log scale is danced, so beats from 64 to 127 BPM are taken as they are
#: and a tracker that doubled a slow song's tempo (164-180 BPM for 82-90-BPM rumbas and waltzes) is
#: halved back: one accent per felt beat, in every song and every time-stretch of it.
BEAT_LEVEL_PERIOD_S = 2.0 / 3.0
#: Names ``beat_every`` accepts besides a multiple: "auto" (= None) and "beat".
BEAT_MODES = ("auto", "beat")


def parse_beat_every(value: float | str | None) -> float | str | None:
    """A ``--beat-every`` value -> what ``generation_condition`` takes: None for "auto", "beat", or a
    multiple of BEAT_MULTIPLES as float; DancegenError otherwise."""
    if value is None or value == "auto":
        return None
    if value == "beat":
        return "beat"
    try:
        n = float(value)
    except (TypeError, ValueError):
        n = float("nan")
    if n not in BEAT_MULTIPLES:
        raise DancegenError(f"beat_every must be auto, beat or one of {', '.join(f'{m:g}' for m in BEAT_MULTIPLES)}, "
                            f"got {value!r}.")
    return n


def auto_beat_every(beats: np.ndarray, period: float) -> float:
    """The multiple of AUTO_MULTIPLES whose interval (n x the median beat interval) comes closest,
    on a log scale, to ``period`` frames (the learned movement period); 1 when it cannot tell
    (no period, fewer than 4 beats)."""
    beats = np.sort(np.asarray(beats, dtype=np.int64))
    if period <= 0 or beats.size < 4:
        return 1
    ibi = float(np.median(np.diff(beats)))
    return min(AUTO_MULTIPLES, key=lambda n: abs(np.log(n * ibi / period)))


def nth_beats(beats: np.ndarray, music: np.ndarray, n: float) -> np.ndarray:
    """Every ``n``-th beat frame of ``beats`` (n in BEAT_MULTIPLES; 0.5 adds the midpoints).

    Of the n possible offsets the one with the strongest mean onset envelope (column 0 of
    ``music``, (T, 35)) is kept: usually the downbeats.
    """
    beats = np.sort(np.asarray(beats, dtype=np.int64))
    if n not in BEAT_MULTIPLES:
        raise DancegenError(f"beat_every must be one of {', '.join(f'{m:g}' for m in BEAT_MULTIPLES)}, got {n:g}.")
    if n == 1 or beats.size < 2:
        return beats
    if n == 0.5:
        mids = ((beats[:-1] + beats[1:]) // 2).astype(np.int64)
        return np.unique(np.concatenate([beats, mids]))
    k = int(n)
    env = np.asarray(music)[:, ENVELOPE_COLUMN]
    strength = [float(env[beats[o::k]].sum()) / max(1, beats[o::k].size) for o in range(k)]
    return beats[int(np.argmax(strength))::k]


def every_nth_beat(beats: np.ndarray, music: np.ndarray, period: float) -> np.ndarray:
    """The music's beats thinned (every 2nd or 4th) or doubled (midpoints added) so that their
    interval comes closest to the model's learned movement period (frames): :func:`auto_beat_every`
    then :func:`nth_beats`."""
    return nth_beats(beats, music, auto_beat_every(beats, period))


def condition(cfg: ModelConfig, music: np.ndarray, beats: np.ndarray | None = None) -> np.ndarray:
    """Music features (T, 35) -> the network's conditioning rows (T, cond_dim(cfg)) float32.

    ``beats``: the beat frames to dance to (training: the motion's own; generation: the music's,
    the default when None). A "music"-beat model ignores ``beats`` and reads the features as they are.
    """
    music = np.asarray(music, dtype=np.float32)
    if cfg.beat_condition == "music":
        return music
    if beats is None:
        beats = music_beats(music)
    beats = np.asarray(beats, dtype=np.int64)
    beats = beats[(beats >= 0) & (beats < len(music))]
    out = np.empty((len(music), cond_dim(cfg)), np.float32)
    out[:, : cfg.audio_dim] = music
    out[:, BEAT_COLUMN] = 0.0
    out[beats, BEAT_COLUMN] = 1.0
    period = cfg.beat_period if cfg.beat_period > 0 else DEFAULT_PERIOD_S * cfg.fps
    out[:, cfg.audio_dim :] = beat_phase(beats, len(music), period)
    return out


def generation_condition(cfg: ModelConfig, music: np.ndarray, beat_every: float | str | None = None) -> np.ndarray:
    """Conditioning rows (T, cond_dim) for a song's music features (T, 35) at generation time.

    ``beat_every``: dance on every n-th music beat (1 = every tracked beat; 0.5 = twice per beat;
    2, 3, 4); None ("auto") picks n among the octaves 0.5, 1, 2, 4 so the interval comes closest to
    the movement period learned from the training dances (about one accent per bar); "beat" picks
    the octave closest to BEAT_LEVEL_PERIOD_S (one accent per felt beat; with fewer than 4 beats every
    beat is taken). Without music beats the learned period (90 BPM for "beat") is used from frame 0,
    with a note on stderr. A "music"-beat model reads its features as they are (a note on stderr when
    ``beat_every`` asks for more).
    """
    beat_every = parse_beat_every(beat_every)
    if cfg.beat_condition == "music":
        if beat_every is not None:
            print("note: this model reads the music's beats as they are; --beat-every is ignored.", file=sys.stderr)
        return np.asarray(music, dtype=np.float32)
    beats = music_beats(music)
    if beats.size < 2:
        if beat_every == "beat":
            period = BEAT_LEVEL_PERIOD_S * cfg.fps
        else:
            period = cfg.beat_period if cfg.beat_period > 0 else DEFAULT_PERIOD_S * cfg.fps
        what = "one accent per felt beat" if beat_every == "beat" else "the learned tempo"
        print(f"note: no beats found in the music; dancing at {what} ({60 * cfg.fps / period:.0f} BPM).", file=sys.stderr)
        beats = np.arange(0, len(music), period).round().astype(np.int64)
    elif beat_every is None:
        beats = every_nth_beat(beats, music, cfg.beat_period)
    elif beat_every == "beat":
        beats = every_nth_beat(beats, music, BEAT_LEVEL_PERIOD_S * cfg.fps)
    else:
        beats = nth_beats(beats, music, beat_every)
    return condition(cfg, music, beats)


def style_index(cfg: ModelConfig, label: str | None) -> int:
    """Embedding index of a style label: 0 for None/"any", 1 + position in ``cfg.styles``."""
    if label is None or label == ANY_STYLE:
        return 0
    if label not in cfg.styles:
        known = ", ".join([ANY_STYLE, *cfg.styles]) if cfg.styles else "none (this model has no style labels)"
        raise DancegenError(f"unknown style label {label!r}; this model knows: {known}.")
    return 1 + cfg.styles.index(label)
