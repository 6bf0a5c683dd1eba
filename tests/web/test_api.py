"""The served page through its API (gradio_client and plain HTTP), on 127.0.0.1 with the tiny model."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio")
pytest.importorskip("gradio_client")

# gradio's queue calls pandas in ways pandas 3 warns about; not ours
pytestmark = pytest.mark.filterwarnings("ignore:.*copy keyword is deprecated", "ignore:.*no_silent_downcasting")


def _client(server, folder: Path):
    from gradio_client import Client

    return Client(server.url, verbose=False, analytics_enabled=False, download_files=str(folder))


def _dance(client, song: Path, seed: int = 1, length: float = 3.0, style: str = "skeleton", model: str = "tiny"):
    from gradio_client import handle_file

    return client.predict(handle_file(str(song)), 0, length, style, seed, model, 128, "any", 0.0, False, api_name="/dance")


def _sessions(server) -> list[Path]:
    folder = server.work / "sessions"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_api_dance_returns_valid_results(web_server, short_song: Path, tmp_path: Path) -> None:
    from dancegen.motion.motion import load_motion
    from dancegen.render.video import probe_video

    video, summary, plot, files, *rest = _dance(_client(web_server, tmp_path), short_song, seed=1)
    assert not rest  # the session state is not part of the API
    video_path = Path(video["video"] if isinstance(video, dict) else video)
    files = [Path(f) for f in files]
    assert [f.suffix for f in files] == [".mp4", ".npz", ".zip", ".bvh"]
    assert all(f.is_relative_to(tmp_path) for f in [video_path, Path(plot), *files])  # downloaded, not shared paths

    info = probe_video(video_path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac" and info["width"] == 128
    assert info["duration"] == pytest.approx(3.0, abs=0.1)
    assert files[0].read_bytes() == video_path.read_bytes()
    motion = load_motion(files[1])
    assert motion.num_frames == 90 and np.isfinite(motion.joints).all()
    with zipfile.ZipFile(files[2]) as zf:
        frames = [json.loads(zf.read(n)) for n in zf.namelist()]
    assert len(frames) == 90 and all(len(f["people"][0]["pose_keypoints_2d"]) == 54 for f in frames)
    bvh = files[3].read_text()
    assert bvh.startswith("HIERARCHY") and "Frames: 90" in bvh
    assert Path(plot).read_bytes()[:4] == b"\x89PNG"
    assert "seed 1" in summary and "beat alignment" in summary

    # every file of the request was written in its own folder inside a session folder of the work dir
    requests = [r for s in _sessions(web_server) for r in s.iterdir()]
    assert requests and all((r / ".done").is_file() or not any(r.iterdir()) for r in requests)


def test_two_requests_at_once_get_their_own_results(web_server, short_song: Path, tmp_path: Path) -> None:
    a, b = _client(web_server, tmp_path / "a"), _client(web_server, tmp_path / "b")
    results: dict[str, tuple] = {}
    errors: list[BaseException] = []

    def run(name, client, seed):
        try:
            results[name] = _dance(client, short_song, seed=seed)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=("a", a, 1)), threading.Thread(target=run, args=("b", b, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and set(results) == {"a", "b"}

    from dancegen.motion.motion import load_motion

    ja, jb = (load_motion(Path(results[k][3][1])).joints for k in ("a", "b"))
    assert Path(results["a"][3][1]).name.endswith("seed1.npz") and Path(results["b"][3][1]).name.endswith("seed2.npz")
    assert not np.allclose(ja, jb)
    assert "seed 1" in results["a"][1] and "seed 2" in results["b"][1]
    alone = load_motion(Path(_dance(a, short_song, seed=2)[3][1])).joints  # seed 2 alone: the same dance as b's
    np.testing.assert_allclose(alone, jb, atol=1e-5)


def test_refusals_are_shown_as_errors_and_the_server_goes_on(web_server, web_limits, make_tone, short_song: Path,
                                                             tmp_path: Path) -> None:  # fmt: skip
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    client = _client(web_server, tmp_path / "dl")
    lyrics = tmp_path / "lyrics.wav"
    lyrics.write_text("la la la\n" * 200)
    with pytest.raises(AppError, match=r"lyrics\.wav is not a song this server can play"):
        _dance(client, lyrics)
    too_long = make_tone(tmp_path / "long.wav", web_limits["max_song_s"] + 2)
    with pytest.raises(AppError, match=r"long\.wav is 0:14 long; songs can be at most 0:12 here"):
        _dance(client, too_long)
    with pytest.raises(AppError, match=r"greater than maximum value 10|length must be between 2 and 10 seconds"):
        _dance(client, short_song, length=30)
    with pytest.raises(AppError, match=r"/etc is not in the list of choices|There is no model"):
        _dance(client, short_song, model="/etc")
    with pytest.raises(AppError, match="not a song"):  # the same refusal as soon as the song is chosen
        client.predict(handle_file(str(lyrics)), api_name="/song_info")
    info, _ = client.predict(handle_file(str(short_song)), api_name="/song_info")
    assert "0:04 (3.5 s)" in info
    assert _dance(client, short_song, seed=4)[1].startswith("**3 s**")  # still serving


def test_uploads_over_the_limit_are_refused(web_server, web_limits) -> None:
    import httpx

    base = f"{web_server.url.rstrip('/')}/gradio_api"
    big = b"\0" * int((web_limits["max_upload_mb"] + 0.5) * 1024 * 1024)
    r = httpx.post(f"{base}/upload", files={"files": ("big.wav", big, "audio/wav")}, timeout=30)
    assert r.status_code == 413
    r = httpx.post(f"{base}/upload", files={"files": ("small.wav", b"RIFF0000", "audio/wav")}, timeout=30)
    assert r.status_code == 200


def _raw_call(server, data: list, api: str = "dance") -> list[str]:
    """POST an event the way a hand-written client would, and read its event stream."""
    import httpx

    base = f"{server.url.rstrip('/')}/gradio_api"
    r = httpx.post(f"{base}/call/{api}", json={"data": data}, timeout=30)
    r.raise_for_status()
    with httpx.stream("GET", f"{base}/call/{api}/{r.json()['event_id']}", timeout=60) as s:
        return list(s.iter_lines())


def test_a_path_the_client_names_is_never_read(web_server, short_song: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(short_song.read_bytes())  # a real song, outside the upload folder
    before = _sessions(web_server)
    for path in (str(secret), "/etc/hostname"):
        lines = _raw_call(web_server, [{"path": path, "meta": {"_type": "gradio.FileData"}}, 0, 3, "skeleton", 1, "tiny", 128])
        assert "event: error" in lines and not any("complete" in ln for ln in lines)
    # nothing was made from them
    assert sorted(r for s in _sessions(web_server) for r in s.iterdir()) == sorted(r for s in before for r in s.iterdir())


def test_demo_song_endpoint(web_server, tmp_path: Path) -> None:
    from dancegen.audio import audio_duration

    path = _client(web_server, tmp_path).predict(api_name="/demo_song")
    assert audio_duration(path) == pytest.approx(20.0, abs=0.01)


def test_api_dance_without_the_on_beat_input_still_works(web_server, short_song: Path, tmp_path: Path) -> None:
    """Callers written before "On every beat" existed pass nine inputs; the tenth takes its default."""
    from gradio_client import handle_file

    client = _client(web_server, tmp_path)
    _, summary, *_ = client.predict(handle_file(str(short_song)), 0, 3.0, "skeleton", 2, "tiny", 128, "any", 0.0,
                                    api_name="/dance")  # fmt: skip
    assert "seed 2" in summary
