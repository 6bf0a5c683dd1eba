"""The art and neon renderers: the figure stays in frame, it is shaded and anti-aliased, the stage
reacts to beats and energy, neon leaves trails; music cues; every style by name."""

from __future__ import annotations

import numpy as np
import pytest
from poses import FPS, REST, dance, smpl_rest

from dancegen.motion import Motion
from dancegen.render.art import CAPSULES, ArtRenderer
from dancegen.render.music import audio_energy, energy_from_beats, music_cues
from dancegen.render.styles import STYLES, style_frames


def capsule_extent(r: ArtRenderer) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the lowest and highest pixel (x, y) any capsule reaches (ends +- radius)."""
    g = r.geom
    lo = np.minimum(g.a - g.ra[..., None], g.b - g.rb[..., None]).min(axis=1)
    hi = np.maximum(g.a + g.ra[..., None], g.b + g.rb[..., None]).max(axis=1)
    return lo, hi


@pytest.mark.parametrize("mode", ["follow", "orbit", "fixed"])
def test_whole_figure_stays_in_frame_while_walking_across_the_floor(mode: str) -> None:
    m = dance(seconds=3.0, walk=4.0, jump=0.5)
    r = ArtRenderer(m, 128, mode, beat_times=np.arange(0.0, 3.0, 0.5))
    lo, hi = capsule_extent(r)
    assert (lo >= 0).all() and (hi <= 128).all(), (lo.min(), hi.max())
    assert len(CAPSULES) == r.geom.a.shape[1]
    # Pixel check: the figure never touches the image border. The border of each frame equals that of
    # the same frame drawn without the figure (stage and shadow only).
    for t in range(0, m.num_frames, 9):
        full = r.render_frame(t)
        stage = r._stage(t)
        r._draw_shadow(stage, t)
        bare = np.asarray(stage)
        for edge in (np.s_[0, :], np.s_[-1, :], np.s_[:, 0], np.s_[:, -1]):
            np.testing.assert_array_equal(full[edge], bare[edge])
        assert (np.abs(full.astype(int) - bare).sum(axis=2) > 60).sum() > 200  # the figure is there


def test_frames_shape_and_all_skeletons() -> None:
    for skeleton in REST:
        m = dance(seconds=0.4, walk=0.3, skeleton=skeleton)
        frames = list(ArtRenderer(m, 96).frames())
        assert len(frames) == m.num_frames
        assert all(f.shape == (96, 96, 3) and f.dtype == np.uint8 for f in frames)


def test_figure_is_shaded_and_anti_aliased() -> None:
    m = Motion(np.repeat(smpl_rest()[None], 4, 0), FPS, "smpl24")
    r = ArtRenderer(m, 256, "fixed")
    frame = r.render_frame(2).astype(float)
    g = r.geom
    # Across the torso (belly capsule), brightness varies smoothly: lit on one side, darker on the other.
    p = CAPSULES.index(next(c for c in CAPSULES if c[0] == "belly"))
    centre = 0.5 * (g.a[2, p] + g.b[2, p])
    radius = float(g.ra[2, p])
    y = int(centre[1])
    xs = np.arange(int(centre[0] - 0.8 * radius), int(centre[0] + 0.8 * radius))
    lum = frame[y, xs].mean(axis=1)
    assert lum.max() - lum.min() > 25
    assert np.abs(np.diff(lum)).max() < 25  # smooth, no banding
    # Edges are anti-aliased: intermediate values between the figure and the background.
    row = frame[y].mean(axis=1)
    edge = int(centre[0] - radius * 1.5)
    bare = np.asarray(r._stage(2)).astype(float)[y].mean(axis=1)
    diff = np.abs(row - bare)
    span = diff[max(0, edge - 30) : int(centre[0])]
    assert ((span > 5) & (span < 0.8 * span.max())).sum() >= 1


def test_background_pulses_on_beats() -> None:
    m = Motion(np.repeat(smpl_rest()[None], 60, 0), FPS, "smpl24")
    flat = np.full(60, 0.5)
    r = ArtRenderer(m, 96, "fixed", beat_times=np.array([0.5, 1.5]), energy=flat)
    rb = ArtRenderer(m, 96, "fixed", beat_times=None, energy=flat)

    def glow(frame: np.ndarray) -> float:  # the backdrop above the dancer's shoulders, away from the figure
        return float(frame[2:20, 2:20].astype(float).sum() + frame[2:20, -20:-2].astype(float).sum())

    def floor(frame: np.ndarray) -> float:  # the floor to the side of the dancer's feet (rings pass there)
        return float(frame[70:94, 2:30].astype(float).sum() + frame[70:94, -30:-2].astype(float).sum())

    on, before, after = r.render_frame(15), r.render_frame(12), r.render_frame(27)
    assert glow(on) > glow(before) * 1.05
    assert glow(on) > glow(after) * 1.05
    # The beat's ring of light crosses the floor: some floor pixels brighten a few frames after the beat.
    ring_frames = [r.render_frame(t) for t in range(15, 26)]
    assert max(floor(f) for f in ring_frames) > floor(before) * 1.02
    # Without beats, frames 12 and 15 differ only by the slow colour drift.
    a, b = rb.render_frame(12).astype(float), rb.render_frame(15).astype(float)
    assert np.abs(a - b).mean() < 1.0
    assert np.abs(on.astype(float) - before).mean() > 2 * np.abs(a - b).mean()


def test_background_follows_energy() -> None:
    m = Motion(np.repeat(smpl_rest()[None], 10, 0), FPS, "smpl24")
    quiet = ArtRenderer(m, 64, "fixed", energy=np.zeros(10)).render_frame(5).astype(float)
    loud = ArtRenderer(m, 64, "fixed", energy=np.ones(10)).render_frame(5).astype(float)
    assert loud[:20].mean() > quiet[:20].mean() + 5


def test_neon_leaves_motion_trails() -> None:
    m = dance(seconds=1.0, walk=1.5, jump=0.0)
    r = ArtRenderer(m, 128, "fixed", style="neon")
    frames = list(r.frames())
    t = 20
    alone = ArtRenderer(m, 128, "fixed", style="neon").render_frame(t)  # no previous frame: no trail
    trail = frames[t].astype(int) - alone.astype(int)
    assert (trail >= 0).all()  # trails only add light
    assert (trail.sum(axis=2) > 30).sum() > 50


def test_music_cues() -> None:
    cues = music_cues(90, 30.0, np.array([0.5, 1.0, 1.5, 2.0]))
    assert cues.beat[15] == pytest.approx(1.0) and cues.beat[:15].max() == 0
    assert cues.beat_index[14] == -1 and cues.beat_index[15] == 0 and cues.beat_index[89] == 3
    assert cues.since_beat[20] == pytest.approx(5 / 30) and np.isinf(cues.since_beat[0])
    assert ((cues.energy >= 0) & (cues.energy <= 1)).all() and ((cues.hue >= 0) & (cues.hue < 1)).all()
    assert len(music_cues(0, 30.0)) == 0
    # Energy from beats: a faster passage is more energetic.
    beats = np.concatenate([np.arange(0, 4, 0.5), np.arange(4, 8, 0.25)])
    e = energy_from_beats(240, 30.0, beats)
    assert e[180] > e[60] + 0.1
    assert energy_from_beats(10, 30.0, None).tolist() == [0.35] * 10


def test_audio_energy_follows_loudness(tmp_path) -> None:
    import soundfile as sf

    from dancegen.demo_song import synthesize_demo_song

    y = synthesize_demo_song(6.0, sr=22050)
    y[: 3 * 22050] *= 0.05  # a quiet first half
    sf.write(tmp_path / "song.wav", y, 22050)
    e = audio_energy(tmp_path / "song.wav", 180, 30.0)
    assert e is not None and e.shape == (180,)
    assert e[120:170].mean() > e[10:60].mean() + 0.3
    assert audio_energy(tmp_path / "missing.wav", 10, 30.0) is None


def test_style_names_and_bad_arguments() -> None:
    assert STYLES == ("art", "neon", "skeleton", "openpose")
    m = dance(seconds=0.2)
    for style in STYLES:
        f = next(style_frames(m, style, size=64))
        assert f.shape == (64, 64, 3)
    with pytest.raises(ValueError, match="style"):
        style_frames(m, "watercolour")
    with pytest.raises(ValueError, match="camera mode"):
        ArtRenderer(m, 64, "spiral")
    assert list(ArtRenderer(Motion(np.zeros((0, 24, 3)), FPS, "smpl24"), 64).frames()) == []


def test_non_finite_joints_and_odd_sizes() -> None:
    m = dance(seconds=0.5)
    j = m.joints.copy()
    j[3, 20] = np.nan
    j[5] = np.nan
    for style in ("art", "neon"):
        frames = list(ArtRenderer(Motion(j, FPS, "smpl24"), 65, style=style).frames())
        assert len(frames) == m.num_frames and frames[0].shape == (65, 65, 3)
