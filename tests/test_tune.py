"""Hyperparameter search on Ray Tune: a tiny 2-trial search, space parsing, missing extras."""

import builtins
import json

import numpy as np
import pytest

from dancegen.errors import DancegenError
from dancegen.train import PreparedData
from dancegen.tune import apply_overrides, load_space


def test_overrides_set_nested_keys_without_touching_the_base():
    base = {"model": {"d_model": 256}, "train": {"loss": {"velocity": 1.0}}}
    out = apply_overrides(base, {"model.d_model": 64, "train.loss.velocity": 3.0, "train.lr": 1e-3})
    assert out == {"model": {"d_model": 64}, "train": {"loss": {"velocity": 3.0}, "lr": 1e-3}}
    assert base["model"]["d_model"] == 256


def test_space_file_errors_are_clear(tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"space": {"lr": {"uniform": [0, 1]}}}))
    with pytest.raises(DancegenError, match="must start with 'model.' or 'train.'"):
        load_space(bad)
    bad.write_text(json.dumps({"space": {"train.lr": {"normal": [0, 1]}}}))
    with pytest.raises(DancegenError, match="needs exactly one of"):
        load_space(bad)
    with pytest.raises(DancegenError, match="no such search-space file"):
        load_space(tmp_path / "missing.json")


def test_missing_ray_gives_an_install_hint(monkeypatch, tmp_path, capfd):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    from dancegen.cli import main

    code = main(["tune", "--prepared", str(tmp_path / "x.train.npz"), "--out", str(tmp_path / "t")])
    err = capfd.readouterr().err
    assert code == 2 and "pip install" in err and "Traceback" not in err


@pytest.mark.parametrize("search", ["random", "optuna", "hyperopt"])
def test_two_trial_search_writes_its_best_config(tmp_path, search):
    pytest.importorskip("ray.tune")
    from dancegen.tune import run_tuning

    if search != "random":
        pytest.importorskip(search)

    rng = np.random.default_rng(0)
    joints = [np.cumsum(rng.normal(scale=0.01, size=(120, 23, 3)), axis=0).astype(np.float32) + 1 for _ in range(2)]
    music = [rng.normal(size=(120, 35)).astype(np.float32) for _ in range(2)]
    PreparedData(["a", "b"], music, joints, "dwm23", 30).save(tmp_path / "p.train.npz")
    space = tmp_path / "space.json"
    space.write_text(json.dumps({
        "base_config": None,
        "space": {"train.lr": {"loguniform": [1e-4, 1e-2]}, "model.dropout": {"uniform": [0.0, 0.2]}},
    }))
    base_overrides = {"model": {"d_model": 32, "num_heads": 2, "music_layers": 1, "decoder_layers": 1,
                                "ff_mult": 2, "window": 30, "diffusion_steps": 100},
                      "train": {"batch_size": 4, "mirror": False, "val_every": 2}}
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(base_overrides))
    spec = json.loads(space.read_text())
    spec["base_config"] = str(base_file)
    space.write_text(json.dumps(spec))
    best = run_tuning(tmp_path / "p.train.npz", tmp_path / "out", space, trials=2, max_steps_per_trial=4,
                      scheduler="asha" if search == "random" else "fifo", search=search, cpus_per_trial=1)
    written = json.loads((tmp_path / "out" / "best_config.json").read_text())
    assert written == best
    assert 1e-4 <= written["train"]["lr"] <= 1e-2 and written["model"]["d_model"] == 32
    import csv

    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv")))
    assert len(rows) == 2 and all(float(r["val_loss"]) > 0 for r in rows)


def test_a_finished_search_resumes_from_its_folder(tmp_path):
    pytest.importorskip("ray.tune")
    from dancegen.tune import run_tuning

    rng = np.random.default_rng(1)
    joints = [np.cumsum(rng.normal(scale=0.01, size=(120, 23, 3)), axis=0).astype(np.float32) + 1 for _ in range(2)]
    music = [rng.normal(size=(120, 35)).astype(np.float32) for _ in range(2)]
    PreparedData(["a", "b"], music, joints, "dwm23", 30).save(tmp_path / "p.train.npz")
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"model": {"d_model": 32, "num_heads": 2, "music_layers": 1, "decoder_layers": 1,
                                          "ff_mult": 2, "window": 30, "diffusion_steps": 100},
                                "train": {"batch_size": 4, "mirror": False, "val_every": 2}}))
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"base_config": str(base), "space": {"train.lr": {"loguniform": [1e-4, 1e-2]}}}))
    first = run_tuning(tmp_path / "p.train.npz", tmp_path / "out", space, trials=2, max_steps_per_trial=4, scheduler="fifo")
    again = run_tuning(tmp_path / "p.train.npz", tmp_path / "out", space, trials=2, max_steps_per_trial=4,
                       scheduler="fifo", resume=True)
    assert again == first  # restored, not re-run with new samples
    import csv

    assert len(list(csv.DictReader(open(tmp_path / "out" / "results.csv")))) == 2
