"""Property-conditioned generation on QM9, against filtering an unconditioned model's samples.

  python scripts/bench_condition.py --property qed --targets 0.38 0.45 0.52 0.58 --seeds 0 1 2 --jobs 2

For each seed: `molgan train --dataset qm9 --set condition=PROPERTY --seed S` and the plain
`molgan train --dataset qm9 --seed S` (one thread each). For each target,
`molgan sample COND_RUN -n N --condition PROPERTY=T`: validity, uniqueness, the mean property
of the valid molecules (RDKit's value, from the file) and its distance to the target, the
share within ±TOLERANCE of it, and seconds per molecule. The baseline a user has without
conditioning: `molgan sample PLAIN_RUN -n 10 N` once, and for each target the share of its
rows whose property is within ±TOLERANCE, and the seconds per molecule kept. Writes
docs/results/condition_PROPERTY.json; scripts/write_benchmarks.py turns it into
docs/benchmarks.md.
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

WORSE = {"error": "max", "validity": "min", "validity_uncorrected": "min", "uniqueness": "min", "within": "min",
         "minutes": "max", "baseline_within": "min"}


def sample_file(path: Path, prop: str) -> dict:
    """Validity, uniqueness and the property values of a samples file's valid rows."""
    rows = list(csv.DictReader(path.open()))
    valid = [r for r in rows if r["valid"] == "1"]
    return {"rows": len(rows), "validity": len(valid) / len(rows),
            "uniqueness": len({r["smiles"] for r in valid}) / max(len(valid), 1),
            "values": [float(r[prop]) for r in valid]}


def measure_seed(out: Path, seed: int, args: argparse.Namespace) -> dict:
    cond_run, plain_run = out / f"cond-seed{seed}", out / f"plain-seed{seed}"
    if not args.skip_training:
        molgan("train", "--dataset", "qm9", "--out", str(cond_run), "--overwrite", "--seed", str(seed),
               "--set", f"condition={args.property}", *sum((["--set", s] for s in args.sets), []),
               threads=args.threads)
        if not (plain_run / "summary.json").is_file():
            molgan("train", "--dataset", "qm9", "--out", str(plain_run), "--seed", str(seed), threads=args.threads)
    summary = json.loads((cond_run / "summary.json").read_text())
    row = {"seed": seed, "minutes": summary["minutes"], "steps": summary["step"], "best_step": summary.get("best_step"),
           "targets": {}}
    plain_csv = plain_run / "unconditioned.csv"
    seconds, _ = molgan("sample", str(plain_run), "-n", str(10 * args.samples), "-o", str(plain_csv),
                        "--seed", "0", threads=args.threads)
    plain = sample_file(plain_csv, args.property)
    for target in args.targets:
        path = cond_run / f"{args.property}-{target}.csv"
        cond_seconds, _ = molgan("sample", str(cond_run), "-n", str(args.samples), "-o", str(path), "--seed", "0",
                                 "--condition", f"{args.property}={target}", threads=args.threads)
        made = sample_file(path, args.property)
        # The same ask without the generator's valence masks: validity without correction.
        unmasked = cond_run / f"{args.property}-{target}-uncorrected.csv"
        molgan("sample", str(cond_run), "-n", str(args.samples), "-o", str(unmasked), "--seed", "0", "--decode",
               "uncorrected", "--condition", f"{args.property}={target}", threads=args.threads)
        mean = statistics.fmean(made["values"]) if made["values"] else float("nan")
        near = [v for v in made["values"] if abs(v - target) <= args.tolerance]
        kept = [v for v in plain["values"] if abs(v - target) <= args.tolerance]
        row["targets"][str(target)] = {
            "mean": mean, "error": abs(mean - target), "validity": made["validity"],
            "validity_uncorrected": sample_file(unmasked, args.property)["validity"],
            "uniqueness": made["uniqueness"], "within": len(near) / made["rows"],
            "seconds_per_molecule": cond_seconds / made["rows"],
            "baseline_within": len(kept) / plain["rows"],
            "baseline_seconds_per_kept": seconds / len(kept) if kept else None}
    row["baseline_mean"] = statistics.fmean(plain["values"])
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--property", default="qed", choices=("qed", "logp", "sa", "mw"))
    parser.add_argument("--targets", type=float, nargs="+", default=[0.38, 0.45, 0.52, 0.58])
    parser.add_argument("--tolerance", type=float, default=0.02, help="the baseline keeps samples this close")
    add_seed_arguments(parser, "runs/bench-condition", 1000, samples_help="per target (the baseline samples 10x)",
                       set_help="passed to the conditioned train")
    parser.add_argument("--result", default=None, help="default: docs/results/condition_PROPERTY.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    env = environment(args.threads)
    rows = measure_seeds(measure_seed, args)
    summary = {str(t): aggregate([r["targets"][str(t)] for r in rows], WORSE) for t in args.targets}
    summary["run"] = aggregate([{"minutes": r["minutes"]} for r in rows], WORSE)
    command = "python scripts/bench_condition.py " + " ".join(
        ["--property", args.property, "--targets", *map(str, args.targets), "--tolerance", str(args.tolerance),
         "--seeds", *map(str, args.seeds),
         "--samples", str(args.samples), "--threads", str(args.threads), "--jobs", str(args.jobs)]
        + sum((["--set", s] for s in args.sets), []))
    result = {"benchmark": f"condition_{args.property}", "command": command, **env, "property": args.property,
              "tolerance": args.tolerance, "samples": args.samples, "seeds": rows, "summary": summary,
              "bench_minutes": round((time.monotonic() - started) / 60, 1)}
    write_result(args.result or f"docs/results/condition_{args.property}.json", result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
