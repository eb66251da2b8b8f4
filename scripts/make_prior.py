"""Write a shipped prior from a trained MOSES run: molgan/mol/priors/moses.pt.

  python scripts/make_prior.py runs/bench-moses/seed0 [--benchmark docs/results/moses_default.json]

Keeps what sampling and `molgan train --init prior` need: the averaged generator's weights
(as the generator, fp32), the run's config and task description, the step, and the dataset
cache's name (so that a machine which has built the MOSES cache fills the `novel` column);
drops the critic, the optimizers and the random states. Records where it came from: the run,
its checkpoint, the commit it was written at and the benchmark that measured the run.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from molgan.core.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from molgan.mol.prior import PRIOR_DIR, PRIORS, source_weights  # noqa: E402
from molgan.mol.sampling import resolve_checkpoint  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a MOSES run directory or checkpoint")
    parser.add_argument("--benchmark", default="docs/results/moses_default.json",
                        help="the result file that measured this run")
    parser.add_argument("-o", "--output", default=str(PRIOR_DIR / PRIORS["prior"]))
    args = parser.parse_args(argv)
    path = resolve_checkpoint(args.run)
    state = load_checkpoint(path)
    if state["config"]["data"]["dataset"] != "moses":
        parser.error(f"{path}: trained on {state['config']['data']['dataset']}, not moses")
    cache = Path((state.get("data_source") or {}).get("cache") or "")
    commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    benchmark = json.loads((ROOT / args.benchmark).read_text()) if (ROOT / args.benchmark).is_file() else {}
    prior = {"generator": {k: v.float().clone() for k, v in source_weights(state).items()}, "ema": None,
             "config": state["config"], "task": state["task"], "step": state["step"],
             "data_source": {"dataset": "moses", "cache": None, "cache_name": cache.name or None},
             "prior": {"run": str(Path(args.run)), "checkpoint": path.name, "written_at_commit": commit,
                       "benchmark": args.benchmark, "benchmark_commit": benchmark.get("commit"),
                       "benchmark_command": benchmark.get("command")}}
    save_checkpoint(prior, args.output)
    size = Path(args.output).stat().st_size / 1e6
    print(f"wrote {args.output} ({size:.1f} MB) from {path} at step {state['step']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
