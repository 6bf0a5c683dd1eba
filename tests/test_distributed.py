"""Distributed training through Accelerate: 2 processes on CPU (gloo) stay in lock-step."""

import os
import socket
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_hold_identical_weights_and_only_rank0_writes(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
         str(TESTS / "distributed_train_worker.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    d0 = (tmp_path / "digests.rank0").read_text().split("\n")
    d1 = (tmp_path / "digests.rank1").read_text().split("\n")
    assert len([x for x in d0 if x]) == 5
    assert d0 == d1  # identical weights after every step
    assert len({line.split()[1] for line in d0 if line}) == 5  # and they do change each step
    assert (tmp_path / "run0" / "checkpoint" / "model.safetensors").is_file()
    assert (tmp_path / "run0" / "log.csv").is_file()
    assert not (tmp_path / "run1").exists() or not any((tmp_path / "run1").iterdir())
