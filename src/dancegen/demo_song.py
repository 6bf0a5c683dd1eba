"""A licence-clean demo song the project synthesises itself (drums, bass, chords, arpeggio).

The song is in C major at ``bpm`` (120 by default) in 4/4: kick on every beat, snare on 2 and 4,
closed hi-hat on the eighths, a bass line and sustained, lightly strummed chords following the
I-V-vi-IV progression (C, G, Am, F; one chord per bar), and a soft bell arpeggio on top. Every
note has an attack/release envelope, so there are no clicks. Deterministic for a given seed.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from dancegen.errors import OutputError
from dancegen.io import atomic_path, check_output

DEMO_BPM: float = 120.0
DEMO_DURATION: float = 20.0
DEMO_SR: int = 44100
PEAK: float = 0.89

# I - V - vi - IV in C major: (bass root, chord voicing), MIDI note numbers.
_PROGRESSION: list[tuple[int, tuple[int, ...]]] = [
    (36, (60, 64, 67)),  # C:  C2 | C4 E4 G4
    (43, (59, 62, 67)),  # G:  G2 | B3 D4 G4
    (45, (57, 60, 64)),  # Am: A2 | A3 C4 E4
    (41, (57, 60, 65)),  # F:  F2 | A3 C4 F4
]
# Bass offsets (semitones above the root) on the eight eighth-notes of a bar.
_BASS_PATTERN = (0, 0, 12, 0, 7, 0, 12, 7)
# Arpeggio: index into the chord (+12 semitones each), one per eighth-note.
_ARP_PATTERN = (0, 1, 2, 1, 0, 2, 1, 2)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _adsr(n: int, sr: int, attack: float, release: float, decay: float = 0.0, sustain: float = 1.0) -> np.ndarray:
    """Envelope of n samples: linear attack, exponential decay toward sustain, linear release at the end."""
    t = np.arange(n) / sr
    env = np.ones(n)
    if decay > 0:
        env = sustain + (1.0 - sustain) * np.exp(-t / decay)
    a = max(1, int(attack * sr))
    env[:a] *= np.linspace(0.0, 1.0, a, endpoint=False)
    r = min(n, max(1, int(release * sr)))
    env[n - r :] *= np.linspace(1.0, 0.0, r)
    return env


def _saw(freq: float, n: int, sr: int, harmonics: int, rolloff: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """Band-limited sawtooth-like tone (additive, 1/k^rolloff partials below Nyquist)."""
    t = np.arange(n) / sr
    out = np.zeros(n)
    for k in range(1, harmonics + 1):
        if k * freq >= sr / 2:
            break
        out += np.sin(2 * np.pi * k * freq * t + k * phase) / k**rolloff
    return out


def _add(buf: np.ndarray, start: int, sig: np.ndarray, gains: tuple[float, float]) -> None:
    """Mix a mono signal into the stereo buffer at sample ``start`` with (left, right) gains."""
    if start >= len(buf):
        return
    end = min(len(buf), start + len(sig))
    seg = sig[: end - start]
    buf[start:end, 0] += gains[0] * seg
    buf[start:end, 1] += gains[1] * seg


def _kick(sr: int) -> np.ndarray:
    n = int(0.45 * sr)
    t = np.arange(n) / sr
    freq = 48.0 + 110.0 * np.exp(-t / 0.035)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    return np.sin(phase) * _adsr(n, sr, 0.001, 0.02) * np.exp(-t / 0.22)


def _snare(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    noise = np.diff(noise, prepend=0.0) * 0.6  # brighten
    body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.06)
    return (0.55 * noise * np.exp(-t / 0.09) + 0.5 * body) * _adsr(n, sr, 0.001, 0.02)


def _hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    n = int(0.12 * sr)
    t = np.arange(n) / sr
    noise = rng.standard_normal(n)
    for _ in range(2):  # crude high-pass: repeated first difference
        noise = np.diff(noise, prepend=0.0)
    noise /= np.max(np.abs(noise)) + 1e-12
    return noise * np.exp(-t / 0.025) * _adsr(n, sr, 0.0005, 0.01)


@functools.lru_cache(maxsize=64)
def _bass_note(midi: int, n: int, sr: int) -> np.ndarray:
    tone = _saw(_hz(midi), n, sr, harmonics=6, rolloff=1.3)
    return tone * _adsr(n, sr, attack=0.006, release=0.04, decay=0.15, sustain=0.6)


@functools.lru_cache(maxsize=64)
def _pad_note(midi: float, n: int, sr: int, phase: float) -> np.ndarray:
    tone = _saw(_hz(midi), n, sr, harmonics=8, rolloff=1.6, phase=phase)
    return tone * _adsr(n, sr, attack=0.06, release=0.3, decay=0.8, sustain=0.55)


@functools.lru_cache(maxsize=64)
def _bell_note(midi: int, n: int, sr: int) -> np.ndarray:
    f = _hz(midi)
    t = np.arange(n) / sr
    tone = (np.sin(2 * np.pi * f * t) + 0.25 * np.sin(2 * np.pi * 2 * f * t)) * np.exp(-t / 0.18)
    return tone * _adsr(n, sr, attack=0.004, release=0.05)


def _master(buf: np.ndarray, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Room reverb, a faint noise bed and soft limiting, like a produced record.

    Pure synthesised tones leave most of the spectrum empty, unlike recorded music (whose
    log-mel energy is 15-20 dB higher in the median band); the model's music features were learned
    on recordings, so the demo is given a recording's broadband texture and loudness.
    """
    from scipy.signal import fftconvolve

    n_ir = int(1.2 * sr)
    t = np.arange(n_ir) / sr
    ir = rng.standard_normal((n_ir, 2)) * np.exp(-t / 0.2)[:, None]
    ir /= np.sqrt((ir**2).sum(0, keepdims=True))
    wet = np.stack([fftconvolve(buf[:, c], ir[:, c])[: len(buf)] for c in range(2)], axis=1)
    out = buf + 0.15 * wet
    noise = np.cumsum(rng.standard_normal(out.shape), axis=0)  # brown-ish bed, high-passed below
    noise -= np.convolve(noise[:, 0], np.ones(64) / 64, mode="same")[:, None]
    out += 10 ** (-42 / 20) * noise / (np.std(noise) + 1e-12) * np.max(np.abs(out))
    out /= np.max(np.abs(out)) + 1e-12
    return np.tanh(out) / np.tanh(1.0)  # gentle soft limiter (harder drive smears the kick's onset)


def synthesize_demo_song(
    duration: float = DEMO_DURATION, bpm: float = DEMO_BPM, sr: int = DEMO_SR, seed: int = 0
) -> np.ndarray:
    """Render the demo song: float32 stereo (round(duration*sr), 2) at ``sr`` Hz, peak <= 0.9.

    ``duration`` in seconds, ``bpm`` in beats per minute (quarter notes; beat k starts at k*60/bpm s).
    """
    if not (duration > 0 and np.isfinite(duration)):
        raise ValueError(f"duration must be a positive number of seconds, got {duration}")
    if not (bpm > 0 and np.isfinite(bpm)):
        raise ValueError(f"bpm must be positive, got {bpm}")
    rng = np.random.default_rng(seed)
    n_total = int(round(duration * sr))
    buf = np.zeros((n_total, 2), dtype=np.float64)
    beat = 60.0 / bpm
    eighth = beat / 2
    bar = 4 * beat
    kick, snare, hat = _kick(sr), _snare(sr, rng), _hat(sr, rng)

    n_beats = int(np.ceil(duration / beat))
    for k in range(n_beats):  # drums
        t0 = k * beat
        i0 = int(round(t0 * sr))
        _add(buf, i0, kick, (0.9, 0.9))
        if k % 4 in (1, 3):
            _add(buf, i0, snare, (0.45, 0.5))
        for h in range(2):
            _add(buf, int(round((t0 + h * eighth) * sr)), hat, (0.10, 0.16) if h == 0 else (0.07, 0.12))

    n_bars = int(np.ceil(duration / bar))
    for b in range(n_bars):
        root, chord = _PROGRESSION[b % len(_PROGRESSION)]
        bar_t = b * bar
        # bass: eighth notes, slightly detached
        for e, off in enumerate(_BASS_PATTERN):
            tone = _bass_note(root + off, int(0.9 * eighth * sr), sr)
            _add(buf, int(round((bar_t + e * eighth) * sr)), tone, (0.32, 0.32))
        # chords: sustained pad, lightly strummed (notes 15 ms apart), detuned voices spread L/R
        n = int((bar + 0.25) * sr)  # overlaps the next bar a little under its release
        for j, note in enumerate(chord):
            strum = int(round(j * 0.015 * sr))
            for cents, gains in ((-7.0, (0.9, 0.35)), (7.0, (0.35, 0.9))):
                tone = _pad_note(note + cents / 100.0, n - strum, sr, float(j + cents))
                _add(buf, int(round(bar_t * sr)) + strum, 0.05 * tone, gains)
        # bell arpeggio an octave above the chord
        for e, idx in enumerate(_ARP_PATTERN):
            tone = _bell_note(chord[idx] + 12, int(0.6 * sr), sr)
            _add(buf, int(round((bar_t + e * eighth) * sr)), tone, (0.09, 0.06))

    for cached in (_bass_note, _pad_note, _bell_note):  # do not keep ~20 MB of notes around
        cached.cache_clear()
    buf = _master(buf, sr, rng)
    # fade the very end so that cut notes do not click
    fade = min(n_total, int(0.25 * sr))
    buf[n_total - fade :] *= np.linspace(1.0, 0.0, fade)[:, None]
    peak = float(np.max(np.abs(buf))) if n_total else 0.0
    if peak > 0:
        buf *= PEAK / peak
    return buf.astype(np.float32)


def write_demo_song(
    path: str | Path, duration: float = DEMO_DURATION, bpm: float = DEMO_BPM, force: bool = False
) -> Path:
    """Write the demo song as a 16-bit stereo WAV (44.1 kHz) atomically; returns the path.

    Raises OutputError if the path exists (without ``force``) or cannot be written.
    """
    path = check_output(path, force=force)
    if path.suffix.lower() not in (".wav", ".flac"):
        raise OutputError(f"{path}: the demo song is written as WAV, give a file name ending in .wav.")
    import soundfile as sf

    song = synthesize_demo_song(duration=duration, bpm=bpm, sr=DEMO_SR)
    fmt = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    try:
        with atomic_path(path) as tmp:
            sf.write(str(tmp), song, DEMO_SR, subtype="PCM_16", format=fmt)
    except (OSError, RuntimeError) as err:  # disk full, libsndfile write errors
        raise OutputError(f"{path}: cannot write ({err}).") from None
    return path
