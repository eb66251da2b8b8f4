"""Docking benchmark: what a chemist has without molgan (virtual screening), and known drugs for scale.

  python scripts/bench_dock.py screen --target DRD2 --budget 2000 --workers 1
  python scripts/bench_dock.py drugs --target DRD2
  python scripts/bench_dock.py run --arm full --seed 0 --target DRD2 --workers 1

`screen`: `--budget` random molecules of MOSES' training split (seeded) docked by `molgan
dock` at `--exhaustiveness` (1, the training setting) into the benchmark's cache: minutes,
molecules/s and peak RSS of the command; the same command again, every molecule read from the
cache (seconds per molecule). Then the figures every arm of the benchmark reports: among the
distinct molecules that pass QED >= 0.5, SA <= 4 and no PAINS alert, the mean score of the best
100 (as docked), and of the best 10 and the best one re-docked at exhaustiveness 8; the share
of the best 100 by score alone that pass those filters; the IntDiv of the best 100 hits.
Commits their SMILES and scores as docs/results/dock_TARGET_screen_top100.csv.
`drugs`: known ligands of the target docked at exhaustiveness 8 (the scale of a good score).
`run --arm ARM --seed S`: one arm of the ablation at the same docking budget (ARMS): the
prior's samples docked, the reward network alone, the critic with exact docking, the full
joint loss; the same figures from the molecules the arm docked, plus the novelty of its top-100
hits against MOSES' training split and the FCD of 10,000 samples of its generator to MOSES' test
split (`molgan evaluate --reference moses`; `--dataset` and `--reference` for other data).
Writes (merging parts) docs/results/dock_TARGET.json; scripts/write_benchmarks.py turns it
into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, environment, run_molgan, write_result  # noqa: E402

REPORTED_EXHAUSTIVENESS = 8


def dock_file(rows: list[str], target: str, out: Path, cache: Path, exhaustiveness: int, workers: int
              ) -> tuple[pd.DataFrame, float, float]:
    """`molgan dock` of `rows`: (its output, seconds, peak RSS GB)."""
    source = out.with_suffix(".in.csv")
    pd.DataFrame({"smiles": rows}).to_csv(source, index=False)
    seconds, rss = run_molgan("dock", str(source), "--target", target, "-o", str(out), "--poses", "none",
                              "--cache", str(cache), "--set", f"exhaustiveness={exhaustiveness}",
                              "--set", f"workers={workers}", threads=1)
    return pd.read_csv(out, keep_default_na=False, na_values=[""]), seconds, rss


def hit_figures(smiles: list[str], scores: list[float], target: str, cache: Path, workers: int, folder: Path,
                name: str) -> tuple[dict, pd.DataFrame]:
    """The figures every arm reports from its docked molecules (see the module docstring), and
    its best 100 hits."""
    from molgan.mol.docking.ranking import internal_diversity, ranked

    table = ranked(smiles, scores)
    hits = table[table.drug_like].head(100)
    best = hits.head(10)
    top10 = pd.Series([], dtype=float)
    if len(best):
        redocked, _, _ = dock_file(best.smiles.tolist(), target, folder / f"{name}-top10-e8.csv", cache,
                                   REPORTED_EXHAUSTIVENESS, workers)
        top10 = redocked.docking_score.astype(float)
    return {"distinct_scored": len(table), "hits": int(table.drug_like.sum()),
            "top100_mean": float(hits.score.mean()), "top100_count": len(hits),
            "top10_mean_e8": float(top10.mean()), "top1_e8": float(top10.min()),
            "top10_mean_as_docked": float(best.score.mean()),
            "top100_by_score_drug_like": float(table.head(100).drug_like.mean()),
            "top100_intdiv": internal_diversity(hits.smiles.tolist())}, hits


def screen(args, folder: Path, cache: Path) -> dict:
    from molgan.mol.data.sources import read_moses_split

    library = read_moses_split("train")
    rows = random.Random(args.seed).sample(library, args.budget)
    docked, seconds, rss = dock_file(rows, args.target, folder / "screen.csv", cache, args.exhaustiveness,
                                     args.workers)
    _, cached_seconds, _ = dock_file(rows, args.target, folder / "screen-again.csv", cache, args.exhaustiveness,
                                     args.workers)
    start = time.monotonic()
    import molgan

    again = molgan.dock(rows, target=args.target, exhaustiveness=args.exhaustiveness, cache=cache)
    api_seconds = time.monotonic() - start
    assert again.cached.all()
    ok = docked[docked.docking_status == "ok"]
    figures, hits = hit_figures(ok.smiles.tolist(), ok.docking_score.astype(float).tolist(), args.target, cache,
                                args.workers, folder, "screen")
    top = ROOT / "docs" / "results" / f"dock_{args.target}_screen_top100.csv"
    hits[["smiles", "score", "qed", "sa"]].round(3).to_csv(top, index=False)
    failed = docked[docked.docking_status == "failed"].docking_reason.value_counts().to_dict()
    return {"molecules": args.budget, "seed": args.seed, "exhaustiveness": args.exhaustiveness,
            "workers": args.workers, "minutes": seconds / 60, "molecules_per_second": args.budget / seconds,
            "peak_rss_gb": rss, "failed": failed, "scored": len(ok),
            "mean_score": float(ok.docking_score.astype(float).mean()),
            "cached_command_seconds": cached_seconds,
            "cached_api_ms_per_molecule": 1000 * api_seconds / args.budget, **figures,
            "top100_file": str(top.relative_to(ROOT))}


#: The ablation's arms (`run --arm`), as `molgan train` settings over the docking preset.
ARMS = {
    "prior": None,  # no training: the --init generator's samples, `--budget` of them docked
    "surrogate": ["--set", "policy_critic_weight=0"],  # the reward network alone, no critic
    # the critic with exact docking, no reward network: every new sample of each step docked, none
    # chosen, until the budget ends (32 steps after the critic's 50 alone)
    "exact": ["--set", "dock.every=1", "--set", "dock.per_round=64", "--set", "dock.candidates=0",
              "--set", "max_steps=82", "--set", "policy_steps=82"],
    "full": [],  # the joint loss: critic and reward network
}


def evaluate(path: Path, reference: str) -> dict:
    """`molgan evaluate --reference REFERENCE` of a samples file: its report."""
    report = path.with_suffix(".json")
    run_molgan("evaluate", str(path), "--reference", reference, "-o", str(report), threads=1)
    return json.loads(report.read_text())


def run_arm(args, folder: Path, cache: Path) -> dict:
    """One arm and seed of the ablation: what its docking budget found, and how drug-like its
    generator stays (FCD of 10,000 samples to MOSES' test split)."""
    from molgan.core.checkpoint import CheckpointManager, load_checkpoint
    from molgan.mol.sampling import resolve_checkpoint

    name = f"{args.arm}-seed{args.seed}"
    run = folder / name
    row: dict = {"arm": args.arm, "seed": args.seed, "init": args.init}
    if ARMS[args.arm] is None:
        pool = folder / f"{name}-samples.csv"
        run_molgan("sample", args.init, "-n", str(args.budget), "-o", str(pool), "--seed", str(args.seed),
                   threads=1)
        docked, seconds, _ = dock_file(pd.read_csv(pool, keep_default_na=False).smiles.tolist(), args.target,
                                       folder / f"{name}-docked.csv", cache, args.exhaustiveness, args.workers)
        ok = docked[docked.docking_status == "ok"]
        smiles, scores = ok.smiles.tolist(), ok.docking_score.astype(float).tolist()
        row.update({"minutes": seconds / 60, "dockings": args.budget,
                    "failed": int((docked.docking_status == "failed").sum())})
        generator = args.init
    else:
        seconds, _ = run_molgan("train", "--dataset", args.dataset, "--init", args.init, "--out", str(run),
                                "--overwrite", "--seed", str(args.seed), "--set", f"reward=dock:{args.target},druglike",
                                "--set", f"dock.workers={args.workers}", "--set", f"dock.budget={args.budget}",
                                *ARMS[args.arm], *sum((["--set", s] for s in args.sets), []), threads=1)
        state = load_checkpoint(CheckpointManager(run).latest())  # its dockings to the end, past best.pt
        reward = state["policy"]["scores"]["docking"]["reward"]
        smiles, scores = list(reward["docked"]["smiles"]), reward["docked"]["scores"].tolist()
        summary = json.loads((run / "summary.json").read_text())
        row.update({"minutes": seconds / 60, "dockings": reward["calls"], "failed": len(reward["failed"]),
                    "steps": summary["step"],
                    "best_step": summary.get("best_step")})
        generator = str(resolve_checkpoint(run))
    figures, hits = hit_figures(smiles, scores, args.target, cache, args.workers, folder, name)
    top = ROOT / "docs" / "results" / f"dock_{args.target}_{name}_top100.csv"
    hits[["smiles", "score", "qed", "sa"]].round(3).to_csv(top, index=False)
    row.update(figures)
    row["top100_novelty"] = evaluate(top, args.reference)["novelty"] if len(hits) else None
    samples = folder / f"{name}-samples.csv"
    run_molgan("sample", generator, "-n", str(args.samples), "-o", str(samples), "--seed", "0", threads=1)
    report = evaluate(samples, args.reference)
    row["fcd"] = report["moses"]["FCD/Test"] if report.get("moses") else report["fcd"]
    row["top100_file"] = str(top.relative_to(ROOT))
    return row


def drugs(args, folder: Path, cache: Path) -> dict:
    from molgan.mol.docking.targets import KNOWN_LIGANDS

    known = KNOWN_LIGANDS.get(args.target)
    if not known:
        raise SystemExit(f"no known ligands listed for {args.target}")
    docked, seconds, _ = dock_file(list(known.values()), args.target, folder / "drugs.csv", cache,
                                   REPORTED_EXHAUSTIVENESS, args.workers)
    return {"exhaustiveness": REPORTED_EXHAUSTIVENESS, "minutes": seconds / 60,
            "scores": dict(zip(known, docked.docking_score.astype(float).tolist()))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("screen", "drugs", "run"))
    parser.add_argument("--arm", choices=list(ARMS), default="full", help="of `run`: the ablation's arm")
    parser.add_argument("--init", default="prior", help="of `run`: the generator to start from")
    parser.add_argument("--dataset", default="moses", help="of `run`: the critic's data")
    parser.add_argument("--reference", default="moses", help="of `run`: novelty and FCD against it")
    parser.add_argument("--samples", type=int, default=10000, help="of `run`: samples for the FCD")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="of `run`: passed to molgan train")
    parser.add_argument("--target", default="DRD2")
    parser.add_argument("--budget", type=int, default=2000, help="molecules docked by the screen")
    parser.add_argument("--exhaustiveness", type=int, default=1, help="of the screen (re-docking uses 8)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/bench-dock", help="outputs and the benchmark's docking cache")
    args = parser.parse_args(argv)
    for name in ("init", "dataset", "reference"):  # the commands run from the repository's root
        value = getattr(args, name)
        if value not in ("prior", "moses", "qm9") and Path(value).exists():
            setattr(args, name, str(Path(value).resolve()))
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "cache.sqlite"
    result_path = ROOT / "docs" / "results" / f"dock_{args.target}.json"
    env = environment(threads=1)
    figures = {"screen": screen, "drugs": drugs, "run": run_arm}[args.part](args, folder, cache)
    command = f"python scripts/bench_dock.py {args.part} --target {args.target} --workers {args.workers}" + (
        f" --budget {args.budget} --exhaustiveness {args.exhaustiveness} --seed {args.seed}"
        if args.part != "drugs" else "") + (
        f" --arm {args.arm} --init {args.init} --dataset {args.dataset} --reference {args.reference}"
        f" --samples {args.samples}" + "".join(f" --set {s}" for s in args.sets)
        if args.part == "run" else "")
    key = f"{args.arm}-seed{args.seed}" if args.part == "run" else args.part
    # Read now, not at the start: parts run side by side each add their own.
    result = json.loads(result_path.read_text()) if result_path.is_file() else {
        "benchmark": f"dock_{args.target}", "target": args.target, "parts": {}}
    figures = {k: (None if isinstance(v, float) and v != v else v) for k, v in figures.items()}  # NaN: none
    result["parts"][key] = {"command": command, **env, **figures}
    write_result(result_path, result)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
