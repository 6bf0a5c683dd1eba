"""Worker for tests/test_distributed.py, started on 2 processes by torch.distributed.run.

Trains a tiny model on random data for a few steps; every rank writes one line per step with a
digest of its weights to ``OUT/digests.rank{R}`` and trains into ``OUT/run{R}`` (only rank 0 may
write there).
"""

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import torch

from dancegen.config import TrainConfig
from dancegen.train import PreparedData, train
from tinymodels import tiny_model_config


def main(out: Path) -> None:
    rank = int(os.environ["RANK"])
    rng = np.random.default_rng(0)
    joints = [np.cumsum(rng.normal(scale=0.01, size=(90, 23, 3)), axis=0).astype(np.float32) + 1.0 for _ in range(3)]
    music = [rng.normal(size=(90, 35)).astype(np.float32) for _ in range(3)]
    data = PreparedData(["a", "b", "c"], music, joints, "dwm23", 30)
    digests = open(out / f"digests.rank{rank}", "w")

    def on_step(step: int, model: torch.nn.Module) -> None:
        h = hashlib.sha256()
        for v in model.state_dict().values():
            h.update(v.detach().cpu().numpy().tobytes())
        digests.write(f"{step} {h.hexdigest()}\n")
        digests.flush()

    tcfg = TrainConfig(batch_size=4, max_steps=5, warmup_steps=1, checkpoint_every=2, val_every=100, log_every=1,
                       lr=1e-3, mirror=False)
    train(data, out / f"run{rank}", tiny_model_config(dropout=0.1), tcfg, progress=False, on_step=on_step)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
