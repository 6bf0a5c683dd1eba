"""The synthetic dataset: build, load, shapes; and registry errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from dancegen.datasets import DATASETS, load_dataset
from dancegen.datasets.synthetic import SAMPLE_RATE, make_synthetic_dataset
from dancegen.errors import DatasetError


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    return make_synthetic_dataset(tmp_path_factory.mktemp("synth"), num_sequences=6, seconds=4.0, seed=0)


def test_build_and_load(synth):
    train = load_dataset("synthetic", synth, "train")
    test = load_dataset("synthetic", synth, "test")
    everything = load_dataset("synthetic", synth, "all")
    assert [s.name for s in test] == ["synth_02", "synth_05"]
    assert len(train) == 4 and len(everything) == 6
    assert {s.name for s in train}.isdisjoint(s.name for s in test)
    for s in everything:
        assert s.motion.joints.shape == (120, 23, 3) and s.motion.fps == 30 and s.motion.skeleton == "dwm23"
        assert s.audio_path is not None and s.audio_path.suffix == ".wav"
        info = sf.info(s.audio_path)
        assert info.samplerate == SAMPLE_RATE and abs(info.duration - 4.0) < 1e-3
        assert 90 <= s.tempo_hint <= 150 and s.style == "synthetic"
        assert s.audio_end == pytest.approx(4.0)
    assert len({s.tempo_hint for s in everything}) == 6


def test_motion_follows_the_beat(synth):
    (s,) = [x for x in load_dataset("synthetic", synth, "all") if x.name == "synth_00"]
    head = s.motion.joints[:, 0, 1]
    beat_frames = np.round(np.arange(0, 4.0, 60 / s.tempo_hint) * 30).astype(int)
    beat_frames = beat_frames[beat_frames < len(head)]
    # the head is at its lowest on the beats, highest between them
    assert head[beat_frames].mean() < head.mean() - 0.015
    assert np.abs(s.motion.joints[..., 1].min(axis=1)).max() < 0.05  # feet stay on the floor


def test_resample_and_determinism(synth, tmp_path):
    (s,) = [x for x in load_dataset("synthetic", synth, "all", fps=60) if x.name == "synth_01"]
    assert s.motion.num_frames == 240 and s.motion.fps == 60
    again = make_synthetic_dataset(tmp_path / "again", num_sequences=6, seconds=4.0, seed=0)
    assert json.loads((again / "dataset.json").read_text()) == json.loads((synth / "dataset.json").read_text())


def test_registry_and_errors(tmp_path, synth):
    assert {"aistpp", "dance_with_melody", "synthetic"} <= set(DATASETS)
    with pytest.raises(DatasetError, match="'nope'.*aistpp, dance_with_melody, synthetic"):
        load_dataset("nope", tmp_path)
    with pytest.raises(DatasetError, match=str(tmp_path / "missing")):
        load_dataset("synthetic", tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match=f"{empty}.*dataset.json"):
        load_dataset("synthetic", empty)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(DatasetError, match="not a folder"):
        load_dataset("synthetic", a_file)
    with pytest.raises(DatasetError, match="val"):
        load_dataset("synthetic", synth, "val")


def test_corrupt_files(tmp_path):
    root = make_synthetic_dataset(tmp_path / "s", num_sequences=2, seconds=1.0)
    (root / "synth_00.npz").write_bytes(b"broken")
    with pytest.raises(DatasetError, match="synth_00.npz"):
        load_dataset("synthetic", root, "all")
    (root / "dataset.json").write_text("[]")
    with pytest.raises(DatasetError, match="dataset.json"):
        load_dataset("synthetic", root, "all")
