"""``dancegen tune``: hyperparameter search on Ray Tune (local, or a cluster with --address).

The search space lives in a JSON file (``configs/tune_space.json``): dotted keys into the
``{"model": ..., "train": ...}`` config (``train.loss.velocity``) mapped to one distribution each,
``{"choice": [...]}``, ``{"uniform": [lo, hi]}``, ``{"loguniform": [lo, hi]}`` or
``{"randint": [lo, hi]}``. Every trial trains from the same prepared data (``--prepared``, see
``dancegen train --save-prepared``) for ``--max-steps-per-trial`` steps and reports its validation
loss at every validation; ASHA stops poor trials early. ``model.guidance`` only changes sampling,
so the validation-loss objective does not see it (it is kept for metric objectives).

Outputs in ``--out``: Ray's experiment folder (``--resume`` continues an interrupted search),
``results.csv`` (one row per trial) and ``best_config.json`` (a config file ``dancegen train
--config`` reads).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
from pathlib import Path
from typing import Any

from dancegen.errors import DancegenError

INSTALL_HINT = "hyperparameter search needs the tune extra: pip install -c constraints.txt 'dancegen[tune]'"
DISTRIBUTIONS = ("choice", "uniform", "loguniform", "randint")


class TuneError(DancegenError):
    """A search space or tuning set-up the user must fix."""


def load_space(path: str | Path) -> dict[str, Any]:
    """Read and check a search-space file; returns ``{"base_config", "objective", "space"}``."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise TuneError(f"{path}: no such search-space file.") from None
    except (OSError, ValueError) as err:
        raise TuneError(f"{path}: not valid JSON ({err}).") from None
    space = spec.get("space") if isinstance(spec, dict) else None
    if not isinstance(space, dict) or not space:
        raise TuneError(f"{path}: needs a non-empty 'space' object of dotted keys.")
    for key, dist in space.items():
        if not key.startswith(("model.", "train.")):
            raise TuneError(f"{path}: key {key!r} must start with 'model.' or 'train.'.")
        if not isinstance(dist, dict) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
            raise TuneError(f"{path}: {key!r} needs exactly one of {', '.join(DISTRIBUTIONS)}.")
    return {"base_config": spec.get("base_config"), "objective": spec.get("objective", "val_loss"), "space": space}


def apply_overrides(base: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of config dict ``base`` with dotted-key ``params`` set (``train.loss.velocity``)."""
    out = copy.deepcopy(base)
    for key, value in params.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _ray_space(space: dict[str, Any]) -> dict[str, Any]:
    from ray import tune

    make = {"choice": lambda v: tune.choice(v), "uniform": lambda v: tune.uniform(*v),
            "loguniform": lambda v: tune.loguniform(*v), "randint": lambda v: tune.randint(*v)}
    return {key: make[name](value) for key, dist in space.items() for name, value in dist.items()}


def _trainable(params: dict[str, Any], base: dict[str, Any], data, val, max_steps: int) -> None:
    """One trial: train with ``params`` applied and report the validation loss as it goes."""
    import tempfile

    from ray import tune

    from dancegen.config import ModelConfig, TrainConfig, from_dict
    from dancegen.train import train

    cfg_dict = apply_overrides(base, params)
    cfg = from_dict(ModelConfig, cfg_dict.get("model", {}))
    tcfg = from_dict(TrainConfig, cfg_dict.get("train", {}))
    tcfg.max_steps = max_steps
    tcfg.val_every = max(1, min(tcfg.val_every, max_steps // 4 or 1))
    tcfg.checkpoint_every = max_steps
    tcfg.warmup_steps = min(tcfg.warmup_steps, max(1, max_steps // 10))
    with tempfile.TemporaryDirectory() as out:
        train(data, out, cfg, tcfg, val_data=val, progress=False,
              on_validation=lambda step, loss: tune.report({"val_loss": loss, "step": step}))


def run_tuning(
    prepared: str | Path,
    out: str | Path,
    space_file: str | Path,
    trials: int,
    max_steps_per_trial: int,
    scheduler: str = "asha",
    search: str = "random",
    address: str | None = None,
    resume: bool = False,
    cpus_per_trial: float = 1.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Run (or resume) a search; writes results.csv and best_config.json; returns the best config."""
    try:
        import ray
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
    except ImportError:
        raise TuneError(INSTALL_HINT) from None
    from dancegen.train import PreparedData

    spec = load_space(space_file)
    base: dict[str, Any] = {"model": {}, "train": {}}
    if spec["base_config"]:
        # relative to the working folder (the repo root for configs/...), else to the space file
        candidates = [Path(spec["base_config"]), Path(space_file).parent / spec["base_config"]]
        base_path = next((c for c in candidates if c.is_file()), None)
        if base_path is None:
            raise TuneError(f"{space_file}: base_config {spec['base_config']!r} not found.")
        base = json.loads(base_path.read_text())
    if spec["objective"] != "val_loss":
        raise TuneError(f"{space_file}: objective {spec['objective']!r} is not supported (val_loss).")
    data = PreparedData.load(prepared)
    val_path = Path(str(prepared).replace(".train.npz", ".val.npz"))
    val = PreparedData.load(val_path) if val_path != Path(prepared) and val_path.is_file() else data
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    if search == "random":
        search_alg = None
    elif search == "optuna":
        try:
            from ray.tune.search.optuna import OptunaSearch
        except ImportError:
            raise TuneError(INSTALL_HINT + " (optuna)") from None
        search_alg = OptunaSearch(seed=seed)
    elif search == "hyperopt":
        try:
            from ray.tune.search.hyperopt import HyperOptSearch
        except ImportError:
            raise TuneError(INSTALL_HINT + " (hyperopt)") from None
        search_alg = HyperOptSearch(random_state_seed=seed)
    else:
        raise TuneError(f"unknown --search {search!r} (random, optuna, hyperopt).")
    sched = (ASHAScheduler(max_t=max_steps_per_trial, grace_period=max(1, max_steps_per_trial // 4), time_attr="step")
             if scheduler == "asha" else FIFOScheduler())

    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    trainable = tune.with_resources(
        tune.with_parameters(_trainable, base=base, data=data, val=val, max_steps=max_steps_per_trial),
        {"cpu": cpus_per_trial},
    )
    name = "search"
    if resume and tune.Tuner.can_restore(str(out / name)):
        tuner = tune.Tuner.restore(str(out / name), trainable=trainable, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=_ray_space(spec["space"]),
            tune_config=tune.TuneConfig(metric="val_loss", mode="min", num_samples=trials, scheduler=sched,
                                        search_alg=search_alg),
            run_config=tune.RunConfig(name=name, storage_path=str(out), verbose=1),
        )
    results = tuner.fit()
    frame = results.get_dataframe()
    frame.to_csv(out / "results.csv", index=False)
    best = results.get_best_result(metric="val_loss", mode="min")
    params = {k: v for k, v in best.config.items() if k in spec["space"]}
    best_cfg = apply_overrides(base, params)
    (out / "best_config.json").write_text(json.dumps(best_cfg, indent=1))
    _print_table(frame, list(spec["space"]))
    print(f"best validation loss {best.metrics['val_loss']:.4f}; config written to {out / 'best_config.json'}")
    return best_cfg


def _print_table(frame, keys: list[str]) -> None:
    cols = ["val_loss", "step"] + [f"config/{k}" for k in keys if f"config/{k}" in frame.columns]
    rows = frame.sort_values("val_loss")[cols]
    print("\n| " + " | ".join(c.replace("config/", "") for c in cols) + " |")
    print("|" + "---|" * len(cols))
    for _, r in rows.iterrows():
        cells = [f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else str(v) for v in r.tolist()]
        print("| " + " | ".join(cells) + " |")


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register ``dancegen tune``."""
    p = sub.add_parser("tune", help="hyperparameter search (Ray Tune)",
                       description="Hyperparameter search on Ray Tune over a search space in a JSON file.")
    p.add_argument("--prepared", required=True, help="prepared training data (PREFIX.train.npz; PREFIX.val.npz used for validation)")
    p.add_argument("--space", default="configs/tune_space.json", help="search-space JSON file")
    p.add_argument("--out", default="runs/tune", help="output folder")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--max-steps-per-trial", type=int, default=2000)
    p.add_argument("--scheduler", choices=["asha", "fifo"], default="asha")
    p.add_argument("--search", choices=["random", "optuna", "hyperopt"], default="random")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start Ray locally)")
    p.add_argument("--cpus-per-trial", type=float, default=1.0)
    p.add_argument("--resume", action="store_true", help="continue an interrupted search in --out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd)


def _cmd(args: argparse.Namespace) -> int:
    run_tuning(args.prepared, args.out, args.space, args.trials, args.max_steps_per_trial, args.scheduler,
               args.search, args.address, args.resume, args.cpus_per_trial, args.seed)
    return 0
