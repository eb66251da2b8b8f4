"""Goal-directed QM9 runs: the reward term, and what it costs in diversity.

  python scripts/bench_reward.py --reward qed --seeds 0 1 2 --samples 10000 --jobs 2

For each seed: `molgan train --dataset qm9 --set reward=REWARD --seed S` (the generator
conditioned on its reward, then policy steps on its own samples; with --adversarial-weight W,
MolGAN's reward term of weight 1 - W instead; best.pt: the highest mean reward with 90 %
distinct molecules, the reward runs' default), `molgan sample RUN -n N` (a conditioned run
asks for its aim, rl.aim) and `molgan evaluate` against the QM9 test split. From the samples
file: the mean QED (and logP, SA) of the valid molecules, and the top-1 / top-10 /
top-100 mean QED of the distinct novel ones; from the evaluation: validity, uniqueness,
novelty, IntDiv, FCD; and the validity of as many samples without correction (`--decode
uncorrected`: the autoregressive generator without its valence masks). Writes
docs/results/reward_REWARD.json; scripts/write_benchmarks.py turns it into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import add_seed_arguments, aggregate, environment, measure_seeds, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

WORSE = {"validity_uncorrected": "min",
         "mean_qed": "min", "top1": "min", "top10": "min", "top100": "min", "validity": "min", "uniqueness": "min",
         "novelty": "min", "intdiv": "min", "fcd": "max", "minutes": "max"}


def top_means(path: Path) -> dict:
    """Mean QED of the valid rows, and of the best 1 / 10 / 100 distinct novel molecules."""
    rows = [r for r in csv.DictReader(path.open()) if r["valid"] == "1"]
    novel = sorted({r["smiles"]: float(r["qed"]) for r in rows if r["novel"] == "1"}.values(), reverse=True)
    out = {"mean_qed": statistics.fmean(float(r["qed"]) for r in rows),
           "mean_logp": statistics.fmean(float(r["logp"]) for r in rows),
           "mean_sa": statistics.fmean(float(r["sa"]) for r in rows)}
    for k in (1, 10, 100):
        out[f"top{k}"] = statistics.fmean(novel[:k]) if len(novel) >= k else None
    return out


def training_qed() -> dict:
    """The QM9 training molecules' mean and 90th-percentile QED (the cached property)."""
    import torch

    from molgan.mol.conditioning import training_properties
    from molgan.mol.data.dataset import open_mol_dataset

    train = open_mol_dataset("qm9", split="train", progress=False)
    values = training_properties(train.smiles, ("qed",), train.processed_dir, progress=False)[:, 0]
    return {"mean": float(values.mean()), "p90": float(torch.quantile(values, 0.9))}


def measure_seed(out: Path, seed: int, args: argparse.Namespace) -> dict:
    run = out / f"{args.reward.replace(',', '-')}-seed{seed}"
    if not args.skip_training:
        weight = ["--set", f"adversarial_weight={args.adversarial_weight}"] if args.adversarial_weight else []
        molgan("train", "--dataset", "qm9", "--out", str(run), "--overwrite", "--seed", str(seed),
               "--set", f"reward={args.reward}", *weight, *sum((["--set", s] for s in args.sets), []),
               threads=args.threads)
    summary = json.loads((run / "summary.json").read_text())
    samples, report = run / "delivered.csv", run / "delivered.json"
    molgan("sample", str(run), "-n", str(args.samples), "-o", str(samples), "--seed", "0", threads=args.threads)
    molgan("evaluate", str(samples), "--reference", "qm9", "-o", str(report), "--workers", str(args.threads),
           threads=args.threads)
    scores = json.loads(report.read_text())
    uncorrected = run / "uncorrected.csv"
    molgan("sample", str(run), "-n", str(args.samples), "-o", str(uncorrected), "--seed", "0", "--decode",
           "uncorrected", threads=args.threads)
    rows = list(csv.DictReader(uncorrected.open()))
    from molgan.core.checkpoint import load_checkpoint
    from molgan.core.config import from_dict
    from molgan.core.train_config import TrainConfig
    from molgan.mol.sampling import resolve_checkpoint

    best = load_checkpoint(resolve_checkpoint(run))
    train = from_dict(TrainConfig, best["config"]["train"])
    return {"seed": seed, "minutes": summary["minutes"], "steps": summary["step"],
            "best_step": summary.get("best_step"), "reward_aim": best["task"].get("reward_aim"),
            "policy_start": train.policy_start if train.policy_steps else None, **top_means(samples),
            **{k: scores.get(k) for k in ("validity", "uniqueness", "novelty", "intdiv", "fcd")},
            "validity_uncorrected": sum(r["valid"] == "1" for r in rows) / len(rows)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reward", default="qed", help="rl.reward, e.g. qed or qed,sa")
    parser.add_argument("--adversarial-weight", type=float, default=None,
                        help="train.adversarial_weight (λ) below 1: MolGAN's reward term instead of conditioning")
    add_seed_arguments(parser, "runs/bench-reward", 10_000)
    parser.add_argument("--result", default=None, help="default: docs/results/reward_REWARD.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    env = environment(args.threads)
    rows = measure_seeds(measure_seed, args)
    command = "python scripts/bench_reward.py " + " ".join(
        ["--reward", args.reward, *(["--adversarial-weight", str(args.adversarial_weight)] if args.adversarial_weight
                                    else []), "--seeds",
         *map(str, args.seeds), "--samples", str(args.samples), "--threads", str(args.threads), "--jobs",
         str(args.jobs)] + sum((["--set", s] for s in args.sets), []))
    result = {"benchmark": f"reward_{args.reward}", "command": command, **env, "reward": args.reward,
              "adversarial_weight": args.adversarial_weight, "samples": args.samples,
              "qm9_training_qed": training_qed(), "seeds": rows,
              "summary": aggregate(rows, WORSE), "bench_minutes": round((time.monotonic() - started) / 60, 1)}
    write_result(args.result or f"docs/results/reward_{args.reward.replace(',', '-')}.json", result)
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
