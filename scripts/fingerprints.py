"""Fingerprints of the default runs: does a change move what a published benchmark computed?

  python scripts/fingerprints.py            # compute and compare with docs/results/fingerprints.json
  python scripts/fingerprints.py --write    # record them (in the commit that re-runs the benchmark)

For each preset a benchmark measures (QM9's default, MOSES', a conditioned run, a reward run)
the command line of `molgan train` is built as a user's would be, seed 0, one thread, and
trained a few steps (a reward run also a few policy steps); the fingerprint is a SHA-256 of
the networks' parameters after them. MOSES' preset trains on the test fixture's 800
molecules: it fingerprints the code path, not the data. Results differ between processors
and torch builds, so each fingerprint is recorded with the processor and torch version it was
computed on, and compared only there (tests/test_fingerprints.py).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, _cpu_model  # noqa: E402

RECORD = ROOT / "docs" / "results" / "fingerprints.json"
MOSES_FIXTURE = ROOT / "tests" / "fixtures" / "moses"
STEPS = 3  # generator steps of each preset (and policy steps of the reward preset)

#: preset -> (the `molgan train` settings, the benchmark whose runs it fingerprints, its command).
PRESETS = {
    "qm9": ([], "docs/results/qm9_default.json",
            "python scripts/bench_qm9_seeds.py --seeds 0 1 2 --samples 10000 --threads 1 --jobs 2"),
    "moses": ([], "docs/results/moses_default.json",
              "python scripts/bench_moses.py --seeds 0 1 --samples 10000 --threads 1 --jobs 2"),
    "condition": (["--set", "condition=qed"], "docs/results/condition_qed.json",
                  "python scripts/bench_condition.py --property qed --targets 0.38 0.45 0.52 0.58 --tolerance 0.02 "
                  "--seeds 0 1 2 --samples 1000 --threads 1 --jobs 1 (and --property logp: condition_logp.json)"),
    "reward": (["--set", "reward=qed"], "docs/results/reward_qed.json",
               "python scripts/bench_reward.py --reward qed --seeds 0 1 2 --samples 10000 --threads 1 --jobs 2"),
}


def machine() -> dict:
    import torch

    return {"processor": _cpu_model(), "torch": torch.__version__}


@contextlib.contextmanager
def small_moses():
    """`--dataset moses` reads the test fixture's splits (800 / 200 / 200 rows)."""
    from molgan.mol.data import sources

    saved = sources.moses_folder, sources.MOSES_SIZES
    sources.moses_folder = lambda: MOSES_FIXTURE
    sources.MOSES_SIZES = {"train": 800, "test": 200, "test_scaffolds": 200}
    try:
        yield
    finally:
        sources.moses_folder, sources.MOSES_SIZES = saved


def parameters_digest(*modules) -> str:
    """SHA-256 of the modules' state dicts (names, dtypes, shapes and bytes, in order)."""
    import torch

    digest = hashlib.sha256()
    for module in modules:
        if module is None:
            continue
        for name, tensor in module.state_dict().items():
            tensor = tensor.detach().cpu().contiguous()
            digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def fingerprint(preset: str, data_dir: str | Path) -> str:
    """The fingerprint of `preset` (PRESETS), its dataset cache in `data_dir`."""
    import torch

    from molgan.cli import build_parser
    from molgan.commands.train import build_training, resolve_config
    from molgan.core.distributed import DistContext
    from molgan.core.trainer import Trainer

    settings = PRESETS[preset][0]
    dataset = "moses" if preset == "moses" else "qm9"
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as run_dir, small_moses() if preset == "moses" else contextlib.nullcontext():
        args = build_parser().parse_args(["-q", "train", "--dataset", dataset, "--data-dir", str(data_dir),
                                          "--out", run_dir, *settings])
        domain, config = resolve_config(args, Path(run_dir))
        task, device, precision = build_training(args, domain, config, DistContext())
        trainer = Trainer(task, config.train, run_dir, device, precision, seed=args.seed)
        trainer.fit(until=STEPS)
        if config.train.policy_steps:  # a few policy steps too, from where they start
            trainer.step = config.train.policy_start
            trainer.fit(until=config.train.policy_start + STEPS)
        return parameters_digest(task.generator, task.discriminator,
                                 trainer.ema.module if trainer.ema is not None else None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"record the fingerprints in {RECORD}")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument("--data-dir", default=os.environ.get("MOLGAN_DATA_DIR", str(ROOT / "data")))
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    recorded = json.loads(RECORD.read_text()) if RECORD.is_file() else {"presets": {}}
    here = machine()
    changed = []
    for preset in args.presets:
        value = fingerprint(preset, args.data_dir)
        before = recorded["presets"].get(preset, {}).get("sha256")
        same = before == value and recorded.get("machine") == here
        print(f"{preset}: {value[:16]} ({'as recorded' if same else 'differs from the record'})")
        if not same:
            changed.append(preset)
        _, benchmark, command = PRESETS[preset]
        recorded["presets"][preset] = {"sha256": value, "benchmark": benchmark, "rerun": command}
    if args.write:
        recorded["machine"] = here
        RECORD.write_text(json.dumps(recorded, indent=1) + "\n")
        print(f"wrote {RECORD}")
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
