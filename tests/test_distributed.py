import subprocess
import sys

import torch


def test_two_process_ddp_keeps_replicas_identical(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "tests/ddp_worker.py", str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0.pop("stop") == (4, "another process stopped")
    assert rank1.pop("stop") == (4, "time budget of 1e-09 min reached")
    # each replica saw its own shard of the data ...
    assert not torch.equal(rank0.pop("first_batch"), rank1.pop("first_batch"))
    # ... yet all weights agree, so gradients were averaged across processes
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    # and only rank 0 wrote to the run directory
    assert (tmp_path / "run" / "checkpoints").is_dir()
