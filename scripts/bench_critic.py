"""Does the critic earn its place? Likelihood alone against likelihood then the critic, at the
same wall-clock.

  python scripts/bench_critic.py --dataset qm9 --minutes 28 --critic-minutes 8 --seeds 0 1 2 --jobs 2
  python scripts/bench_critic.py --dataset moses --minutes 54 --critic-minutes 14 --seeds 0 1 --jobs 2

Both arms train the autoregressive generator within the same budget (`train.max_minutes =
--minutes`; MOSES: its preset; QM9: the same generator on kekulized graphs, CONDITION_PRESET's
settings without a condition):
- likelihood: by likelihood alone, its cosine schedule fitted to the budget;
- critic: by likelihood for the steps the likelihood arm of the same seed made in
  `--minutes - --critic-minutes` (its own cosine schedule ends there), then policy steps on the
  R-GCN critic's score alone (train.policy_critic_weight = 1) until the budget ends, the critic
  first warmed up alone, the divergence from the likelihood model priced (--critic-set).
Each arm's delivered samples (10,000, `molgan sample RUN`) are scored by `molgan evaluate
--reference DATASET`, and as many with the valence masks off (`--decode uncorrected`) give the
validity without correction. Writes docs/results/critic_DATASET.json (per seed, mean, worst).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import add_seed_arguments, aggregate, environment, measure_seeds, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

#: QM9's likelihood settings: CONDITION_PRESET's (molgan/mol/config.py) without a condition.
QM9_LIKELIHOOD = ["aromatic=false", "generator=autoregressive", "marginal_matching=0", "batch_size=128",
                  "lr_g=5e-4", "betas=[0.9, 0.999]", "grad_clip=1.0", "lr_schedule=cosine", "eval_every=1000",
                  "sample_every=1000", "checkpoint_every=1000", "patience=0", "latent_scale=1.0", "decode=raw"]
#: The critic arm's policy steps, over the likelihood settings (--critic-set adds or overrides).
CRITIC = ["policy_critic_weight=1", "policy_critic_warmup=200", "policy_kl_weight=0.05", "policy_batch_size=64",
          "policy_lr=2e-5", "policy_eval_every=200", "n_critic=2", "lr_d=1e-4", "batch_size=64"]
FIGURES = ("validity", "uniqueness", "novelty", "fcd", "FCD/Test", "FCD/TestSF", "SNN/Test", "Frag/Test",
           "Scaf/Test", "IntDiv", "Filters")
WORSE = {**{k: "min" for k in FIGURES}, "validity_uncorrected": "min", "fcd": "max", "FCD/Test": "max",
         "FCD/TestSF": "max", "minutes": "max"}


def _sets(values: list[str]) -> list[str]:
    return sum((["--set", v] for v in values), [])


def train_and_score(run: Path, args, seed: int, sets: list[str]) -> dict:
    if not args.skip_training:
        molgan("train", "--dataset", args.dataset, "--out", str(run), "--overwrite", "--seed", str(seed),
               *_sets([f"max_minutes={args.minutes}", *sets, *args.sets]), threads=args.threads)
    summary = json.loads((run / "summary.json").read_text())
    samples, report = run / "delivered.csv", run / "delivered.json"
    molgan("sample", str(run), "-n", str(args.samples), "-o", str(samples), "--seed", "0", threads=args.threads)
    molgan("evaluate", str(samples), "--reference", args.dataset, "-o", str(report), threads=args.threads)
    scores = json.loads(report.read_text())
    scores = {**scores, **(scores.get("moses") or {})}
    uncorrected = run / "uncorrected.csv"  # the valence masks off: validity without correction
    molgan("sample", str(run), "-n", str(args.samples), "-o", str(uncorrected), "--seed", "0", "--decode",
           "uncorrected", threads=args.threads)
    valid = pd.read_csv(uncorrected, usecols=["valid"]).valid
    return {**{k: scores[k] for k in FIGURES if isinstance(scores.get(k), (int, float))},
            "validity_uncorrected": float(valid.mean()), "minutes": summary["minutes"], "steps": summary["step"],
            "best_step": summary.get("best_step")}


def measure_seed(out: Path, seed: int, args) -> dict:
    base = QM9_LIKELIHOOD if args.dataset == "qm9" else []
    steps = 1_000_000  # the budget ends both arms; the likelihood arm's schedule is fitted to it
    likelihood = train_and_score(out / f"likelihood-seed{seed}", args, seed,
                                 [*base, f"max_steps={steps}", f"likelihood_steps={steps}"])
    before = round(likelihood["steps"] * (args.minutes - args.critic_minutes) / args.minutes)
    critic = train_and_score(out / f"critic-seed{seed}", args, seed,
                             [*base, *CRITIC, *args.critic_sets, f"likelihood_steps={before}",
                              f"max_steps={before + steps}", f"policy_steps={steps}"])
    return {"seed": seed, "likelihood": likelihood, "critic": {**critic, "likelihood_steps": before}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("qm9", "moses"), default="qm9")
    parser.add_argument("--minutes", type=float, default=28.0, help="each arm's budget")
    parser.add_argument("--critic-minutes", type=float, default=8.0, help="the critic arm's minutes of policy steps")
    parser.add_argument("--critic-set", dest="critic_sets", action="append", default=[],
                        help="passed to the critic arm's molgan train")
    add_seed_arguments(parser, "runs/bench-critic", 10000, set_help="passed to both arms' molgan train")
    args = parser.parse_args(argv)
    args.out = str(Path(args.out) / args.dataset)
    env = environment(threads=args.threads)
    seeds = measure_seeds(measure_seed, args)
    summary = {arm: aggregate([s[arm] for s in seeds], WORSE) for arm in ("likelihood", "critic")}
    command = (f"python scripts/bench_critic.py --dataset {args.dataset} --minutes {args.minutes:g} "
               f"--critic-minutes {args.critic_minutes:g} --seeds {' '.join(map(str, args.seeds))} "
               f"--samples {args.samples} --threads {args.threads} --jobs {args.jobs}"
               + "".join(f" --critic-set {s}" for s in args.critic_sets) + "".join(f" --set {s}" for s in args.sets))
    write_result(f"docs/results/critic_{args.dataset}.json", {
        "benchmark": f"critic_{args.dataset}", "command": command, **env, "samples": args.samples,
        "critic_settings": [*CRITIC, *args.critic_sets], "seeds": seeds, "summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
