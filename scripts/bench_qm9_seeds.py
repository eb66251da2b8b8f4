"""The default QM9 run over several seeds, measured the way a user would measure it.

  python scripts/bench_qm9_seeds.py --seeds 0 1 2 --out runs/bench-qm9
  python scripts/bench_qm9_seeds.py --seeds 0 1 2 --out runs/bench-qm9 --skip-training

For each seed: `molgan train --dataset qm9 --seed S` (defaults, one thread), then
`molgan sample RUN -n 10000` three times, delivered (the run's own decoding), `--decode raw`
(the graphs of the generator's output layer, the valence-aware layer: a correction) and
`--decode argmax` (each pair's most likely bond without that layer: no correction), and `molgan evaluate` of
each file against the QM9 test split; from the run's own evaluations, how far its validation
FCD at the end is above best.pt's. Writes docs/results/qm9_default.json (per seed, mean,
worst seed, with command, date, commit and machine); scripts/write_benchmarks.py turns it
into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import aggregate, environment, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

DECODES = ("delivered", "raw", "argmax")
METRICS = ("validity", "uniqueness", "novelty", "fcd", "intdiv", "snn", "frag", "scaf")
#: For each metric, which direction is worse (the worst seed is reported per metric).
WORSE = {"fcd": "max", "nspdk": "max", "validity": "min", "uniqueness": "min", "novelty": "min", "intdiv": "min",
         "snn": "min", "frag": "min", "scaf": "min", "minutes": "max", "minutes_to_vu90": "max",
         "end_over_best": "max", "aromatic_atoms": "min"}


def nspdk(samples_csv: Path) -> float | None:
    """NSPDK MMD of a samples file's valid molecules against the QM9 test split (GDSS's
    protocol); None without the eden-kernel package or without a valid molecule."""
    import pandas as pd

    from molgan.mol.data.dataset import open_mol_dataset
    from molgan.mol.metrics.nspdk import nspdk_mean, nspdk_mmd

    try:
        import eden.graph  # noqa: F401
    except ImportError:
        return None
    with _REFERENCE_LOCK:
        if not _NSPDK_REFERENCE:
            _NSPDK_REFERENCE.append(nspdk_mean(open_mol_dataset("qm9", split="test", progress=False).smiles))
    rows = pd.read_csv(samples_csv, keep_default_na=False)
    valid = rows.loc[rows["valid"] == 1, "smiles"].tolist()
    return nspdk_mmd(valid, _NSPDK_REFERENCE[0]) if valid else None


_NSPDK_REFERENCE: list = []  # the QM9 test split's mean NSPDK features, computed once
_REFERENCE_LOCK = threading.Lock()


def end_and_best(metrics_csv: Path, best_step: int | None) -> dict:
    """The validation FCD of best.pt's evaluation and of the run's last one, from the run's
    metrics.csv, and how much worse the end is (0.1 = 10 % above the best)."""
    import pandas as pd

    evaluations = pd.read_csv(metrics_csv).dropna(subset=["fcd"])
    if evaluations.empty or best_step is None:
        return {"best_fcd_valid": None, "end_fcd_valid": None, "end_over_best": None}
    best = float(evaluations.loc[evaluations["step"] == best_step, "fcd"].iloc[-1])
    end = float(evaluations["fcd"].iloc[-1])
    return {"best_fcd_valid": best, "end_fcd_valid": end, "end_over_best": end / best - 1.0}


def measure_seed(out: Path, seed: int, samples: int, threads: int, train: bool, sets: list[str]) -> dict:
    run = out / f"seed{seed}"
    if train:
        molgan("train", "--dataset", "qm9", "--out", str(run), "--overwrite", "--seed", str(seed),
               *sum((["--set", s] for s in sets), []), threads=threads)
    summary = json.loads((run / "summary.json").read_text())
    row = {"seed": seed, "minutes": summary["minutes"], "steps": summary["step"],
           "best_step": summary.get("best_step"), "stopped": summary.get("stopped_early")}
    reached = (summary.get("first_reached") or {}).get("validity>=0.9,uniqueness>=0.9")
    row["minutes_to_vu90"] = reached["minutes"] if reached else None
    row.update(end_and_best(run / "metrics.csv", row["best_step"]))
    for decode in DECODES:
        csv, report = run / f"{decode}.csv", run / f"{decode}.json"
        extra = ["--decode", decode] if decode != "delivered" else []
        molgan("sample", str(run), "-n", str(samples), "-o", str(csv), "--seed", "0", *extra, threads=threads)
        molgan("evaluate", str(csv), "--reference", "qm9", "-o", str(report), "--workers", str(threads),
               threads=threads)
        scores = json.loads(report.read_text())
        row[decode] = {k: scores.get(k) for k in METRICS}
        aromatic = (scores.get("structure") or {}).get("aromatic_atoms") or {}
        row[decode]["aromatic_atoms"] = aromatic.get("generated")  # per valid molecule
        row["reference_aromatic_atoms"] = aromatic.get("reference")
        row[decode]["nspdk"] = nspdk(csv)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/bench-qm9")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", dest="sets", action="append", default=[], help="passed to molgan train")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--jobs", type=int, default=1, help="seeds measured at the same time (each with --threads)")
    parser.add_argument("--result", default="docs/results/qm9_default.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with ThreadPoolExecutor(args.jobs) as pool:  # each seed's work runs in its own processes
        rows = list(pool.map(lambda s: measure_seed(Path(args.out), s, args.samples, args.threads,
                                                    not args.skip_training, args.sets), args.seeds))
    summary = {}
    for decode in DECODES:
        summary[decode] = aggregate([r[decode] for r in rows], WORSE)
    summary["run"] = aggregate([{k: r[k] for k in ("minutes", "minutes_to_vu90", "end_over_best")} for r in rows],
                               WORSE)
    command = "python scripts/bench_qm9_seeds.py " + " ".join(
        ["--seeds", *map(str, args.seeds), "--samples", str(args.samples), "--threads", str(args.threads),
         "--jobs", str(args.jobs)]
        + sum((["--set", s] for s in args.sets), []))
    result = {"benchmark": "qm9_default", "command": command, **environment(args.threads),
              "samples": args.samples, "reference": "QM9 test split", "seeds": rows, "summary": summary,
              "bench_minutes": round((time.monotonic() - started) / 60, 1)}
    write_result(args.result, result)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
