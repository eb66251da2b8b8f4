"""Data-parallel training through the real command: `torchrun --nproc_per_node 2 -m molgan
train` (gloo, CPU). Each process draws its own latents and data shard, yet DDP keeps the
replicas identical, and only rank 0 writes."""
import os
import subprocess
import sys
from pathlib import Path

import torch
from helpers import MOLECULES, ROOT, TESTS

from molgan.mol.config import MolDataConfig
from molgan.mol.data.dataset import open_mol_dataset


def torchrun_train(tmp_path, **env_extra) -> tuple[dict, dict, Path]:
    """`torchrun --nproc_per_node 2 -m molgan train` on tiny data: each rank's record and the run."""
    data = tmp_path / "mols.csv"
    data.write_text("smiles\n" + "\n".join(MOLECULES * 4) + "\n")
    cache = tmp_path / "cache"
    # built once with the run's data options, read by both ranks
    open_mol_dataset(str(data), MolDataConfig(dataset=str(data)).options(), data_dir=cache, progress=False)
    record, out = tmp_path / "record", tmp_path / "run"
    record.mkdir()
    env = {**os.environ, "MOLGAN_DATA_DIR": str(cache), "MOLGAN_TEST_DDP_RECORD": str(record),
           "OMP_NUM_THREADS": "1", **env_extra,
           "PYTHONPATH": os.pathsep.join([str(TESTS / "ddp_hooks"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "molgan", "train", "--dataset", str(data), "--out", str(out), "--max-steps", "4",
         "--set", "batch_size=8", "--set", "n_critic=2", "--set", "generator_dims=[16]", "--set", "conv_dims=[8]",
         "--set", "readout_dim=8", "--set", "head_dims=[8]", "--set", "eval_every=2", "--set", "samples=20",
         "--set", "fcd=false", "--set", "checkpoint_every=2"],
        env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return torch.load(record / "rank0.pt", weights_only=True), torch.load(record / "rank1.pt", weights_only=True), out


def test_torchrun_molgan_train_keeps_replicas_identical_and_only_rank_0_writes(tmp_path):
    rank0, rank1, out = torchrun_train(tmp_path)
    assert rank0["step"] == rank1["step"] == 4
    # different noise per replica ...
    assert not torch.equal(rank0["first_latent"], rank1["first_latent"])
    # ... yet every weight of the generator and the critic agrees: gradients were averaged
    assert rank0["weights"].keys() == rank1["weights"].keys()
    assert any(k.startswith("g.") for k in rank0["weights"]) and any(k.startswith("d.") for k in rank0["weights"])
    for key, value in rank0["weights"].items():
        assert torch.equal(value, rank1["weights"][key]), key
    # and the two replicas did train (not two copies of an untouched model)
    initial = torch.load(out / "checkpoints" / "step-0000002.pt", weights_only=True)["generator"]
    assert any(not torch.equal(initial[k], rank0["weights"][f"g.{k}"]) for k in initial)
    # only rank 0 wrote: checkpoints, metrics, config, samples
    assert rank1["writes"] == []
    written = {Path(p).name for p in rank0["writes"]}
    assert {"config.toml", "metrics.csv", "step-0000004.pt", "latest.smi"} <= written


def test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    # Only rank 1's time budget runs out; rank 0 must not train on alone (it would wait
    # forever for rank 1's gradients).
    rank0, rank1, _ = torchrun_train(tmp_path, MOLGAN_TEST_DDP_RANK1_BUDGET="1")
    assert (rank0["step"], rank0["stop"]) == (0, "another process stopped")
    assert (rank1["step"], rank1["stop"]) == (0, "time budget of 1e-09 min reached")
