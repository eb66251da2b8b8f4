"""molgan's default against a peer at equal compute: MOSES' CharRNN on the same machine,
thread count and minutes.

  python scripts/bench_peer.py --dataset qm9 --seeds 0 1 2 --multiples 1 2 4 --jobs 2
  python scripts/bench_peer.py --dataset moses --seeds 0 1 --multiples 1 --jobs 2

molgan's side is its default benchmark's result (docs/results/DATASET_default.json, written by
scripts/bench_qm9_seeds.py or scripts/bench_moses.py on this machine): each seed's training
minutes and the figures of its 10,000 delivered samples. For each seed, scripts/charrnn.py trains
on molgan's training split with `--threads` threads for that seed's minutes times each of
`--multiples` (one run, a checkpoint at each), then 10,000 samples of each checkpoint are
scored by `molgan evaluate --reference DATASET`, as molgan's were. Writes
docs/results/peer_DATASET.json (per seed, mean, worst); scripts/write_benchmarks.py turns it into
docs/benchmarks.md. CharRNN's samples are its strings as drawn: no correction of any kind.
"""
from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, aggregate, environment, run_timed, write_result  # noqa: E402
from bench_common import run_molgan as molgan  # noqa: E402

FIGURES = ("validity", "uniqueness", "novelty", "fcd", "FCD/Test", "FCD/TestSF", "SNN/Test", "Frag/Test",
           "Scaf/Test", "IntDiv", "Filters")
WORSE = {**{k: "min" for k in FIGURES}, "fcd": "max", "FCD/Test": "max", "FCD/TestSF": "max",
         "minutes": "max", "molecules_per_second": "min", "epochs": "min"}


def charrnn(*argv: str, threads: int) -> float:
    """Run scripts/charrnn.py argv; its seconds."""
    command = [sys.executable, str(ROOT / "scripts" / "charrnn.py"), *argv, "--threads", str(threads)]
    return run_timed(command, threads)[0]


def figures(report: dict) -> dict:
    moses = report.get("moses") or {}
    return {k: v for k, v in {**report, **moses}.items() if k in FIGURES and isinstance(v, (int, float))}


def measure_seed(row: dict, args, out: Path) -> dict:
    """CharRNN for this seed's molgan minutes times each multiple: figures at each."""
    import torch

    seed, minutes = row["seed"], row.get("training_minutes", row["minutes"])
    folder = out / f"seed{seed}"
    marks = [round(minutes * m, 2) for m in args.multiples]
    if not args.skip_training:
        charrnn("train", "--dataset", args.dataset, "--minutes", *map(str, marks), "--seed", str(seed),
                "--out", str(folder), threads=args.threads)
    result = {"seed": seed, "molgan_minutes": minutes, "molgan": figures(row["delivered"]), "charrnn": {}}
    for multiple, mark in zip(args.multiples, marks):
        checkpoint = folder / f"{mark:g}min.pt"
        saved = torch.load(checkpoint, weights_only=False)
        samples, report = folder / f"{mark:g}min.csv", folder / f"{mark:g}min.json"
        sample_seconds = charrnn("sample", str(checkpoint), "-n", str(args.samples), "-o", str(samples), "--seed",
                                 "0", threads=args.threads)
        molgan("evaluate", str(samples), "--reference", args.dataset, "-o", str(report), threads=args.threads)
        result["charrnn"][f"{multiple:g}x"] = {
            **figures(json.loads(report.read_text())), "minutes": saved["minutes"], "steps": saved["steps"],
            "epochs": saved["epochs"], "molecules_per_second": saved["molecules_per_second"],
            "sample_seconds": sample_seconds}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("qm9", "moses"), default="qm9")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--multiples", type=float, nargs="+", default=[1.0],
                        help="CharRNN's minutes as multiples of molgan's (one run, a checkpoint at each)")
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained side by side")
    parser.add_argument("--skip-training", action="store_true", help="score the checkpoints already in --out")
    parser.add_argument("--out", default=None, help="default runs/bench-peer-DATASET")
    args = parser.parse_args(argv)
    out = Path(args.out or f"runs/bench-peer-{args.dataset}")
    source = ROOT / "docs" / "results" / f"{args.dataset}_default.json"
    molgan_result = json.loads(source.read_text())
    rows = {r["seed"]: r for r in molgan_result["seeds"]}
    missing = [s for s in args.seeds if s not in rows]
    if missing:
        raise SystemExit(f"{source} has no seed {missing[0]}: run molgan's default benchmark for it first")
    env = environment(threads=args.threads)
    with ThreadPoolExecutor(args.jobs) as pool:
        seeds = list(pool.map(lambda s: measure_seed(rows[s], args, out), args.seeds))
    summary = {"molgan": aggregate([s["molgan"] for s in seeds], WORSE),
               **{f"charrnn {m}": aggregate([s["charrnn"][m] for s in seeds], WORSE) for m in seeds[0]["charrnn"]}}
    command = (f"python scripts/bench_peer.py --dataset {args.dataset} --seeds {' '.join(map(str, args.seeds))} "
               f"--multiples {' '.join(f'{m:g}' for m in args.multiples)} --samples {args.samples} "
               f"--threads {args.threads} --jobs {args.jobs}")
    write_result(f"docs/results/peer_{args.dataset}.json", {
        "benchmark": f"peer_{args.dataset}", "command": command, **env,
        "molgan_result": {"file": source.name, "command": molgan_result["command"],
                          "commit": molgan_result["commit"], "date": molgan_result["date"]},
        "samples": args.samples, "reference": molgan_result.get("reference"), "seeds": seeds, "summary": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
