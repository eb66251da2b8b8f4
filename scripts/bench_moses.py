"""The default MOSES run, measured the way a user would: data, training, sampling, evaluation.

  python scripts/bench_moses.py --seeds 0 1 --out runs/bench-moses
  python scripts/bench_moses.py --seeds 0 1 --out runs/bench-moses --skip-training --skip-build

`--skip-training` measures the runs already in `--out` again (sampling, evaluation) and keeps
their training figures from the last result file, with the commit they were measured at.

1. Data (unless --skip-build): `molgan data info --dataset moses` into an empty cache
   directory (the cache build, all cores), then the cached training split opened in a new
   process (seconds after imports, its SMILES decoded).
2. The reference statistics of `--reference moses`, built once if missing (timed).
3. For each seed (`--jobs` at a time, each with `--threads`): `molgan train --dataset moses --seed S`
   (minutes of the whole command, peak RSS); `molgan sample RUN -n 10000` (seconds,
   molecules/s, peak RSS), also `--decode argmax` (the graphs as sampled, within the valence
   masks) and `--decode uncorrected` (masks off: validity without correction); `molgan
   evaluate FILE --reference moses` and its MOSES suite.
4. Each seed's `molgan evaluate` of its 10,000 delivered samples again, one at a time with
   every core (seconds: the machine to itself, as a user runs it).
Peak RSS is each child process's own (getrusage). Writes docs/results/moses_default.json
(per seed, mean, worst seed); scripts/write_benchmarks.py turns it into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import aggregate, environment, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

MOSES_KEYS = ("valid", "unique@1000", "unique@10000", "FCD/Test", "FCD/TestSF", "SNN/Test", "SNN/TestSF",
              "Frag/Test", "Frag/TestSF", "Scaf/Test", "Scaf/TestSF", "IntDiv", "IntDiv2", "Filters", "Novelty",
              "logP", "SA", "QED", "weight")
OURS = ("validity", "uniqueness", "novelty", "fcd")
#: delivered; argmax: the graphs as sampled, within the valence masks; uncorrected: masks off
DECODES = ("delivered", "argmax", "uncorrected")
WORSE = {**{k: "min" for k in MOSES_KEYS + OURS},
         **{k: "max" for k in ("FCD/Test", "FCD/TestSF", "logP", "SA", "QED", "weight", "fcd", "minutes",
                               "training_minutes", "train_rss_gb", "sample_rss_gb", "sample_seconds",
                               "evaluate_seconds", "evaluate_seconds_beside_others")},
         "molecules_per_second": "min", "real_molecules_per_second": "min"}
LOAD_SNIPPET = """
import time, sys
from molgan.mol.data.dataset import open_mol_dataset
from molgan.mol.config import MolDataConfig, dataset_data_defaults
start = time.perf_counter()
options = MolDataConfig(dataset="moses", **dataset_data_defaults("moses")).options()
data = open_mol_dataset("moses", options, data_dir=sys.argv[1], progress=False,
                        report_skips=False)
count = len(data.smiles)  # decoded: training needs them (novelty), as sampling does
print(time.perf_counter() - start, count)
"""


def data_figures(threads: int) -> dict:
    from molgan.mol.data.options import default_data_dir

    with tempfile.TemporaryDirectory() as folder:
        seconds, rss = molgan("data", "info", "--dataset", "moses", "--data-dir", folder, threads=threads)
        out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET, folder], capture_output=True, text=True,
                             check=True).stdout.split()
        # The cache just built is the one the seeds' runs open: kept, so that no seed's `molgan
        # train` builds it again (its minutes would count the build).
        target = Path(default_data_dir())
        for built in Path(folder).glob("moses-*"):
            if not (target / built.name).exists():
                target.mkdir(parents=True, exist_ok=True)
                shutil.move(str(built), str(target / built.name))
    return {"build_minutes": seconds / 60, "build_rss_gb": rss, "load_seconds": float(out[0]),
            "train_molecules": int(out[1])}


def measure_seed(out: Path, seed: int, samples: int, threads: int, train: bool, sets: list[str],
                 earlier: dict | None = None) -> dict:
    """One seed's figures; without `train`, its training figures are `earlier`'s (the same
    run directory's row of the last result file)."""
    run = out / f"seed{seed}"
    row: dict = {"seed": seed}
    if train:
        seconds, row["train_rss_gb"] = molgan("train", "--dataset", "moses", "--out", str(run), "--overwrite",
                                              "--seed", str(seed), *sum((["--set", s] for s in sets), []),
                                              threads=threads)
        row["minutes"] = seconds / 60
    else:  # the figures only training measures, as measured then
        row.update({key: earlier[key] for key in ("minutes", "train_rss_gb") if key in (earlier or {})})
    summary = json.loads((run / "summary.json").read_text())
    # minutes: the whole `molgan train` command (start-up and the last evaluation included);
    # training_minutes: the trainer's own clock, which the molecules/s figure divides by
    row.update({"training_minutes": summary["minutes"], "steps": summary["step"],
                "best_step": summary.get("best_step"), "stopped": summary.get("stopped_early")})
    row["real_molecules_per_second"] = real_molecules(tomllib.loads((run / "config.toml").read_text())["train"],
                                                      row["steps"]) / (row["training_minutes"] * 60)
    for decode in DECODES:
        csv, report = run / f"{decode}.csv", run / f"{decode}.json"
        extra = ["--decode", decode] if decode != "delivered" else []
        seconds, rss = molgan("sample", str(run), "-n", str(samples), "-o", str(csv), "--seed", "0", *extra,
                              threads=threads)
        if decode == "delivered":
            row.update({"sample_seconds": seconds, "sample_rss_gb": rss, "molecules_per_second": samples / seconds})
        seconds, _ = molgan("evaluate", str(csv), "--reference", "moses", "-o", str(report), threads=threads)
        scores = json.loads(report.read_text())
        row[decode] = {**{k: scores.get(k) for k in OURS}, **(scores.get("moses") or {})}
        if decode == "delivered":
            row["evaluate_seconds_beside_others"] = seconds  # beside the other seeds' work
    return row


def real_molecules(train: dict, steps: int) -> int:
    """Real molecules a run read in `steps` steps: a batch per likelihood step; per adversarial
    step a batch per critic step, and one more for the generator when it has a term that
    reads real molecules (likelihood, feature matching)."""
    likelihood = min(steps, train.get("likelihood_steps", 0))
    per_step = train["n_critic"] + int(train.get("likelihood_weight", 0) > 0 or train.get("feature_matching", 0) > 0)
    return train["batch_size"] * (likelihood + (steps - likelihood) * per_step)


def time_evaluation(out: Path, seed: int) -> float:
    """`molgan evaluate --reference moses` of a seed's delivered samples with the machine to
    itself (every core), after the seeds' runs: the figure the issue's bar is about."""
    run = out / f"seed{seed}"
    seconds, _ = molgan("evaluate", str(run / "delivered.csv"), "--reference", "moses", "-o",
                        str(run / "delivered-timed.json"), threads=os.cpu_count() or 1)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/bench-moses")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--set", dest="sets", action="append", default=[], help="passed to molgan train")
    parser.add_argument("--jobs", type=int, default=1, help="seeds measured at the same time (each with --threads)")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-build", action="store_true", help="do not time a fresh cache build")
    parser.add_argument("--result", default="docs/results/moses_default.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    env = environment(args.threads)
    data = {} if args.skip_build else data_figures(args.threads)
    from molgan.mol.metrics.reference import ReferenceSource

    cached = ReferenceSource("moses", progress=False).cache.is_file()
    with tempfile.TemporaryDirectory() as folder:  # the first `--reference moses` builds its statistics
        probe = Path(folder) / "one.csv"
        probe.write_text("smiles\nCCO\n")
        seconds, _ = molgan("evaluate", str(probe), "--reference", "moses", threads=args.threads)
        data["reference_minutes_cached" if cached else "reference_minutes_first_use"] = seconds / 60
    earlier = {}
    if args.skip_training and Path(args.result).is_file():  # the runs' training figures, measured then
        previous = json.loads(Path(args.result).read_text())
        earlier = {row["seed"]: row for row in previous["seeds"]}
        data["training_measured_at"] = previous["data"].get("training_measured_at", previous["commit"])
    with ThreadPoolExecutor(args.jobs) as pool:  # each seed's work runs in its own processes
        rows = list(pool.map(lambda s: measure_seed(Path(args.out), s, args.samples, args.threads,
                                                    not args.skip_training, args.sets, earlier.get(s)), args.seeds))
    for row in rows:  # one at a time, alone
        row["evaluate_seconds"] = time_evaluation(Path(args.out), row["seed"])
    summary = {decode: aggregate([r[decode] for r in rows if decode in r], WORSE) for decode in DECODES
               if any(decode in r for r in rows)}
    run_keys = ("minutes", "training_minutes", "train_rss_gb", "real_molecules_per_second", "sample_rss_gb",
                "sample_seconds", "molecules_per_second", "evaluate_seconds", "evaluate_seconds_beside_others")
    summary["run"] = aggregate([{k: r.get(k) for k in run_keys} for r in rows], WORSE)
    command = "python scripts/bench_moses.py " + " ".join(
        ["--seeds", *map(str, args.seeds), "--samples", str(args.samples), "--threads", str(args.threads),
         "--jobs", str(args.jobs)] + (["--skip-training"] if args.skip_training else [])
        + sum((["--set", s] for s in args.sets), []))
    result = {"benchmark": "moses_default", "command": command, **env, "samples": args.samples,
              "reference": "MOSES test and scaffold-test splits", "data": data, "seeds": rows, "summary": summary,
              "bench_minutes": round((time.monotonic() - started) / 60, 1)}
    write_result(args.result, result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
