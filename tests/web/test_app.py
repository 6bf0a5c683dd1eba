"""The page's plain functions: upload checks, excerpts, paths and folders, models, one whole request."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dancegen.web.app import (
    DanceRequest,
    Limits,
    ModelCache,
    WebError,
    check_song,
    excerpt_bounds,
    make_dance,
    prune_session,
    remove_folder,
    session_folder,
    trusted_upload,
)

SONG_SECONDS = 3.5  # conftest's short_song

# ----------------------------------------------------------------------------------------------
# upload checks


def test_check_song_accepts_a_song(short_song: Path) -> None:
    info = check_song(short_song)
    assert info.name == short_song.name
    assert info.duration == pytest.approx(SONG_SECONDS, abs=0.01)
    assert info.size == short_song.stat().st_size


def test_too_large_is_refused_before_decoding(short_song: Path) -> None:
    limit = Limits(max_upload_mb=0.1)
    with pytest.raises(WebError, match=r"short song\.wav is 0\.\d MB; songs can be at most 0\.1 MB here"):
        check_song(short_song, limit)


@pytest.mark.parametrize(
    "content",
    [b"these are my lyrics, not a song\n" * 50, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, b"ID3" + b"\0" * 4000],
    ids=["text", "png", "mp3-header-only"],
)
def test_not_audio_is_refused_whatever_its_name(tmp_path: Path, content: bytes) -> None:
    fake = tmp_path / "hit single.mp3"
    fake.write_bytes(content)
    with pytest.raises(WebError, match=r"hit single\.mp3 is not a song this server can play: it does not decode as audio"):
        check_song(fake)


def test_audio_is_accepted_whatever_its_name(tmp_path: Path, make_tone) -> None:
    song = make_tone(tmp_path / "a.wav", 3.0)
    renamed = song.rename(tmp_path / "notes.txt")
    assert check_song(renamed).duration == pytest.approx(3.0, abs=0.01)


def test_too_long_is_refused(tmp_path: Path, make_tone) -> None:
    song = make_tone(tmp_path / "long.wav", 7.0)
    with pytest.raises(WebError, match=r"long\.wav is 0:07 long; songs can be at most 0:05 here"):
        check_song(song, Limits(max_song_s=5.0))


def test_too_short_and_empty_are_refused(tmp_path: Path, make_tone) -> None:
    with pytest.raises(WebError, match="only 1.0 s long; a song needs at least 2 s"):
        check_song(make_tone(tmp_path / "short.wav", 1.0))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(WebError, match="empty"):
        check_song(empty)


def test_messages_name_the_song_as_the_person_knows_it(tmp_path: Path) -> None:
    fake = tmp_path / "x1y2.bin"
    fake.write_text("nope")
    with pytest.raises(WebError) as err:
        check_song(fake, name="My Song.mp3")
    assert "My Song.mp3" in str(err.value) and str(tmp_path) not in str(err.value)


# ----------------------------------------------------------------------------------------------
# excerpts


def test_excerpt_bounds() -> None:
    lim = Limits(max_length_s=20)
    assert excerpt_bounds(30.0, 5, 10, lim) == (5.0, 15.0)
    assert excerpt_bounds(30.0, 25, 10, lim) == (25.0, 30.0)  # cut at the end of the song
    assert excerpt_bounds(30.0, None, 2, lim) == (0.0, 2.0)
    with pytest.raises(WebError, match="starts at 29 s, but the song is only 30 s long: start at 28 s or earlier"):
        excerpt_bounds(30.0, 29, 10, lim)
    with pytest.raises(WebError, match="length must be between 2 and 20 seconds, not 25"):
        excerpt_bounds(30.0, 0, 25, lim)
    with pytest.raises(WebError, match="length must be between 2 and 20"):
        excerpt_bounds(30.0, 0, 1, lim)
    with pytest.raises(WebError, match="cannot start before the song"):
        excerpt_bounds(30.0, -1, 5, lim)
    for bad in (float("nan"), "soon"):
        with pytest.raises(WebError, match="numbers of seconds"):
            excerpt_bounds(30.0, bad, 5, lim)


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        Limits(max_upload_mb=0)
    with pytest.raises(ValueError):
        Limits(max_length_s=1)
    assert Limits(max_upload_mb=10).max_upload_bytes == 10 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# paths and folders


def test_trusted_upload_reads_only_inside_the_upload_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "abc").mkdir(parents=True)
    inside = uploads / "abc" / "song.wav"
    inside.write_bytes(b"RIFF")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    assert trusted_upload(str(inside), [uploads]) == inside.resolve()
    assert trusted_upload({"path": str(inside)}, [uploads]) == inside.resolve()
    for bad in (str(outside), str(uploads / "abc" / ".." / ".." / "secret.txt"), "/etc/passwd", str(uploads)):
        with pytest.raises(WebError, match="not an upload of this page"):
            trusted_upload(bad, [uploads])
    os.symlink(outside, uploads / "abc" / "link.wav")  # a link out of the folder is outside too
    with pytest.raises(WebError, match="not an upload of this page"):
        trusted_upload(str(uploads / "abc" / "link.wav"), [uploads])
    for missing in (None, "", {"path": None}):
        with pytest.raises(WebError, match="Upload or record a song first"):
            trusted_upload(missing, [uploads])


def test_session_folders_are_hashed_and_removal_stays_inside(tmp_path: Path) -> None:
    root = tmp_path / "work"
    evil = session_folder(root, "../../../etc")
    assert evil.parent == root / "sessions" and ".." not in evil.name and len(evil.name) == 32
    assert session_folder(root, "abc") == session_folder(root, "abc") != session_folder(root, "abd")
    outside = tmp_path / "keep"
    outside.mkdir()
    remove_folder(outside, root)
    remove_folder(root, root)
    remove_folder(None, root)
    assert outside.is_dir() and root.parent.is_dir()
    evil.mkdir(parents=True)
    remove_folder(str(evil), root)
    assert not evil.exists()


def test_prune_session_removes_only_old_finished_requests(tmp_path: Path) -> None:
    session = tmp_path / "s"
    old, new, running = session / "old", session / "new", session / "running"
    for f in (old, new, running):
        f.mkdir(parents=True)
    (old / ".done").touch()
    (new / ".done").touch()
    past = time.time() - 600
    os.utime(old / ".done", (past, past))
    prune_session(session, older_than_s=120)
    assert not old.exists() and new.is_dir() and running.is_dir()


# ----------------------------------------------------------------------------------------------
# models


def test_model_cache_knows_only_its_menu(tiny_model_dir: Path) -> None:
    models = ModelCache({"tiny": tiny_model_dir})
    assert models.names() == ["default", "gan", "tiny"]
    assert ("tiny (diffusion)", "tiny") in models.choices()
    first = models.get("tiny")
    assert models.get("tiny") is first  # loaded once
    for bad in (str(tiny_model_dir), "../tiny", "owner/repo", None):
        with pytest.raises(WebError, match="There is no model"):
            models.get(bad)  # type: ignore[arg-type]
    named = ModelCache([tiny_model_dir, tiny_model_dir])
    assert named.names() == ["default", "gan", "tiny", "tiny-2"]


def test_a_bad_extra_model_stops_the_server_early(tmp_path: Path) -> None:
    from dancegen.errors import CheckpointError

    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError):
        ModelCache([tmp_path / "empty"])


# ----------------------------------------------------------------------------------------------
# one request


def test_make_dance_writes_every_result(short_song: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    from dancegen.motion.motion import load_motion
    from dancegen.render.video import probe_video

    seen: list[tuple[float, str]] = []
    req = DanceRequest(short_song, start=0.5, length=3, style="skeleton", seed=7, model="tiny", size=128)
    res = make_dance(req, tmp_path / "req", ModelCache({"tiny": tiny_model_dir}), Limits(sizes=(128,)),
                     lambda f, what: seen.append((f, what)))  # fmt: skip

    assert [p.parent for p in res.downloads] == [tmp_path / "req"] * 4
    assert [p.name for p in res.downloads] == ["short_song_dance_seed7.mp4", "short_song_dance_seed7.npz",
                                               "short_song_dance_seed7_openpose.zip", "short_song_dance_seed7.bvh"]
    info = probe_video(res.video)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac" and info["width"] == 128
    assert info["duration"] == pytest.approx(3.0, abs=0.1)
    motion = load_motion(res.motion)
    assert motion.num_frames == 90 and motion.fps == 30
    with zipfile.ZipFile(res.openpose) as zf:
        names = zf.namelist()
        frame = json.loads(zf.read(names[0]))
    assert len(names) == 90 and len(frame["people"][0]["pose_keypoints_2d"]) == 54
    bvh = res.bvh.read_text()
    assert bvh.startswith("HIERARCHY") and "MOTION" in bvh and "Frames: 90" in bvh
    assert res.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "req" / "short_song_dance_seed7_openpose").exists()  # zipped, then removed
    assert (res.start, res.end) == (0.5, 3.5)
    assert 0 <= res.beat_alignment <= 1 and res.music_beats >= 2 and res.dance_beats >= 1
    assert "seed 7" in res.summary and "beat alignment" in res.summary
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    dancing = [f for f, what in seen if what.startswith("Dancing")]
    assert len(dancing) >= 1 + 5 and len(set(dancing)) >= 5  # each of the tiny model's 5 steps moves the bar


def test_make_dance_refuses_bad_choices_before_any_work(short_song: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    models = ModelCache({"tiny": tiny_model_dir})
    cases = [({"style": "watercolour"}, "no picture style 'watercolour'"), ({"size": 4096}, "no video size 4096"),
             ({"seed": -1}, "seed must be a whole number"), ({"seed": 1.5}, "seed must be a whole number"),
             ({"model": "/etc"}, "There is no model '/etc'")]  # fmt: skip
    for change, message in cases:
        fields = {"style": "skeleton", "size": 128, "model": "tiny", "length": 3, **change}
        with pytest.raises(WebError, match=message):
            make_dance(DanceRequest(short_song, **fields), tmp_path / "r", models, Limits(sizes=(128,)))
    assert not (tmp_path / "r" / "short_song_dance_seed0.mp4").exists()


def test_silent_song_is_refused_without_server_paths(tmp_path: Path, tiny_model_dir: Path) -> None:
    import soundfile as sf

    song = tmp_path / "quiet.wav"
    sf.write(str(song), np.zeros(22050 * 3, np.float32), 22050)
    with pytest.raises(WebError) as err:
        make_dance(DanceRequest(song, length=3, style="skeleton", model="tiny", size=128, song_name="Quiet Song.wav"),
                   tmp_path / "r", ModelCache({"tiny": tiny_model_dir}), Limits(sizes=(128,)))  # fmt: skip
    msg = str(err.value)
    assert "Quiet Song.wav (0-3 s)" in msg and "silence" in msg and str(tmp_path) not in msg


def test_style_label_and_beat_align_are_handed_to_the_generation(short_song: Path, tiny_model_dir: Path) -> None:
    from dancegen.checkpoint import load_checkpoint
    from dancegen.generate import GenerationSettings
    from dancegen.web.app import _generation_settings, style_choices

    req = DanceRequest(short_song, style_label="waltz", beat_align=0.5)
    assert _generation_settings(req, None, 3) == GenerationSettings(seed=3, style="waltz", beat_align=0.5)
    assert _generation_settings(DanceRequest(short_song, style_label="any"), None, 3) == GenerationSettings(seed=3)
    on_beat = _generation_settings(DanceRequest(short_song, on_beat=True), None, 3)
    assert on_beat == GenerationSettings(seed=3, beat_every="beat")
    with pytest.raises(WebError, match="between 0 and 1"):
        _generation_settings(DanceRequest(short_song, beat_align=2.0), None, 3)
    assert style_choices(load_checkpoint(tiny_model_dir)) == ["any"]
