"""Write docs/benchmarks.md (and the README's results table) from the benchmark JSON files.

  python scripts/write_benchmarks.py

Every figure in the docs comes from one JSON file in docs/results/, written by the
benchmark script named in it, with its command, date, commit and machine. This script
only formats them: rerun a benchmark, then this.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from critic_tables import critic_section  # noqa: E402
from dock_tables import dock_section  # noqa: E402
from image_tables import image_section  # noqa: E402
from peer_tables import peer_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"

#: Published QM9 numbers, marked as such (GDSS protocol: validity without correction,
#: NSPDK MMD and FCD against the test set; from the GDSS paper's table).
PUBLISHED_QM9 = [
    ("GDSS (published)", "95.7 %", "98.5 %", "86.3 %", "0.003", "2.90"),
    ("MoFlow (published)", "91.4 %", "98.7 %", "94.7 %", "0.017", "4.47"),
    ("GraphAF (published)", "74.4 %", "88.6 %", "86.6 %", "0.020", "5.27"),
    ("GraphDF (published)", "93.9 %", "98.6 %", "98.5 %", "0.064", "10.9"),
]


#: The MOSES paper's baselines (Polykovskiy et al. 2020, Table 2: mean over three runs, 30,000
#: samples each): valid, unique@10k, FCD/Test, FCD/TestSF, SNN/Test, Frag/Test, Scaf/TestSF,
#: IntDiv, Filters, Novelty.
PUBLISHED_MOSES = [
    ("CharRNN (published)", 0.9748, 0.9994, 0.0732, 0.5204, 0.6015, 0.9998, 0.1101, 0.8562, 0.9943, 0.8419),
    ("VAE (published)", 0.9767, 0.9984, 0.0990, 0.5670, 0.6257, 0.9994, 0.0588, 0.8558, 0.9970, 0.6949),
    ("AAE (published)", 0.9368, 0.9973, 0.5555, 1.0572, 0.6081, 0.9910, 0.0789, 0.8557, 0.9960, 0.7931),
    ("JTN-VAE (published)", 1.0000, 0.9996, 0.3954, 0.9382, 0.5477, 0.9965, 0.1009, 0.8551, 0.9760, 0.9143),
    ("LatentGAN (published)", 0.8966, 0.9968, 0.2968, 0.8281, 0.5371, 0.9986, 0.1072, 0.8565, 0.9735, 0.9498),
]
MOSES_COLUMNS = ("valid", "unique@10000", "FCD/Test", "FCD/TestSF", "SNN/Test", "Frag/Test", "Scaf/TestSF",
                 "IntDiv", "Filters", "Novelty")


def field_protocol_rows(result: dict) -> list[str]:
    """Our rows in the published table's columns (mean, worst seed): without correction (the
    argmax), measured as the published rows are, then through the output layer, a correction."""
    rows, n = [], len(result["seeds"])
    for decode, label, marked in (("argmax", "molgan, without correction: each pair's argmax (measured)", ""),
                                  ("raw", "molgan, through its valence-aware output layer (measured)",
                                   " with the layer's correction")):
        d = result["summary"].get(decode)
        if not d:
            continue

        def cell(key, fmt):
            return _mean_worst(d, key, fmt, n, "")
        rows.append(f"| {label} | {cell('validity', _pct)}{marked} | {cell('uniqueness', _pct)} | "
                    f"{cell('novelty', _pct)} | {cell('nspdk', lambda v: _num(v, 4))} | {cell('fcd', _num)} |")
    return rows


def _mean_worst(summary: dict, key: str, fmt, seeds: int, worst: str = "worst ") -> str:
    """"mean (worst …)" of one metric of a decoding's summary; a metric undefined for some
    seed (no valid molecule) is over the other seeds, and says so."""
    if key not in summary:
        return "–"
    entry = summary[key]
    over = f", {entry['n']} of {seeds} seeds" if entry.get("n", seeds) < seeds else ""
    return f"{fmt(entry['mean'])} ({worst}{fmt(entry['worst'])}{over})"


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _num(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _provenance(result: dict) -> str:
    modified = " (package modified from that commit)" if result.get("package_modified") else ""
    return (f"`{result['command']}` — {result['date']}, commit `{result['commit']}`{modified}, "
            f"{result['machine']}, {result['threads']} thread(s), torch {result['torch']}; "
            f"JSON: `docs/results/{result['_file']}`")


def qm9_table(result: dict, short: bool = False) -> str:
    """Mean and worst seed of the delivered, raw and (when measured) argmax samples."""
    s = result["summary"]
    n = len(result["seeds"])
    lines = [f"| QM9, {n} seeds, {result['samples']:,} samples each | validity | uniqueness | novelty | FCD |",
             "|---|---|---|---|---|"]
    rows = (("delivered", "delivered (`molgan sample`)"),
            ("raw", "raw: the output layer, a correction"),
            ("argmax", "without correction (`--decode argmax`)"))
    for decode, label in rows:
        if decode not in s:
            continue
        cells = " | ".join(_mean_worst(s[decode], key, fmt, n) for key, fmt in
                           (("validity", _pct), ("uniqueness", _pct), ("novelty", _pct), ("fcd", _num)))
        lines.append(f"| {label}, mean (worst seed) | {cells} |")
    run = s["run"]
    lines.append("")
    lines.append(f"Training: {run['minutes']['mean']:.1f} min on average (longest {run['minutes']['worst']:.1f}) "
                 "to the early stop; delivered validity and uniqueness ≥ 90 % first reached after "
                 f"{run['minutes_to_vu90']['mean']:.1f} min on average." if "minutes_to_vu90" in run else "")
    if "end_over_best" in run:
        ends = run["end_over_best"]
        lines.append("")
        lines.append(f"Validation FCD (1,000 samples) at the early stop above best.pt's: {ends['mean']:+.0%} on "
                     f"average, {ends['worst']:+.0%} for the worst seed.")
    aromatic = s["delivered"].get("aromatic_atoms")
    reference = result["seeds"][0].get("reference_aromatic_atoms")
    if aromatic and reference:
        lines.append(f"Aromatic atoms per delivered molecule: {aromatic['mean']:.2f} on average (fewest "
                     f"{aromatic['worst']:.2f}); the QM9 test split has {reference:.2f}.")
    return "\n".join(lines)


def moses_readme_row(result: dict) -> str:
    """The default MOSES run's line of the README's results table, under QM9's."""
    s, n = result["summary"]["delivered"], len(result["seeds"])
    cells = [_mean_worst(s, key, fmt, n) for key, fmt in
             (("validity", _pct), ("uniqueness", _pct), ("novelty", _pct), ("FCD/Test", _num))]
    return (f"| MOSES ({n} seeds, {result['samples']:,} samples, against its test split), delivered | "
            + " | ".join(cells) + " |")


def qm9_per_seed(result: dict) -> str:
    lines = ["| seed | minutes | best step → stop (validation FCD) | delivered V / U / N / FCD | raw V / U / FCD "
             "| V without correction | IntDiv | SNN |", "|---|---|---|---|---|---|---|---|"]
    for r in result["seeds"]:
        d, w = r["delivered"], r["raw"]
        argmax = (r.get("argmax") or {}).get("validity")
        fcds = (f" ({_num(r['best_fcd_valid'])} → {_num(r['end_fcd_valid'])})"
                if r.get("best_fcd_valid") is not None else "")
        lines.append(f"| {r['seed']} | {r['minutes']:.1f} | {r['best_step']:,} → {r['steps']:,}{fcds} | "
                     f"{_pct(d['validity'])} / {_pct(d['uniqueness'])} / {_pct(d['novelty'])} / {_num(d['fcd'])} | "
                     f"{_pct(w['validity'])} / {_pct(w['uniqueness'])} / {_num(w['fcd'])} | {_pct(argmax)} | "
                     f"{_num(d['intdiv'], 3)} | {_num(d['snn'], 3)} |")
    return "\n".join(lines)


def moses_section(result: dict) -> list[str]:
    """The default MOSES run beside the MOSES paper's baselines, then what it cost."""
    s, n = result["summary"], len(result["seeds"])
    header = "| model | " + " | ".join(MOSES_COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(MOSES_COLUMNS) + 1)]
    for decode, label in (("delivered", "molgan, mean (worst seed)"),):
        cells = [_mean_worst(s[decode], key, lambda v: _num(v, 3), n, "") for key in MOSES_COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [f"| {row[0]} | " + " | ".join(f"{v:.3f}" for v in row[1:]) + " |" for row in PUBLISHED_MOSES]
    d, a, run = s["delivered"], s.get("argmax", {}), s["run"]
    lines += ["", f"molgan's own validity (sanitizes and one fragment): {_mean_worst(d, 'validity', _pct, n)}; "
              f"sampled within its valence masks, a correction, with no decoding repair (`--decode argmax`): "
              f"{_mean_worst(a, 'validity', _pct, n)}; without correction (`--decode uncorrected`, masks off): "
              + (_mean_worst(s["uncorrected"], "validity", _pct, n) if "uncorrected" in s else
                 "not measured (these runs predate the option)") + ". "
              "Property distances to Test (logP / SA / QED / weight): "
              + " / ".join(_mean_worst(d, k, _num, n) for k in ("logP", "SA", "QED", "weight")) + "."]
    seeds = [f"seed {r['seed']}: FCD/Test {_num(r['delivered']['FCD/Test'])}, best.pt at step {r['best_step']:,} of "
             f"{r['steps']:,}, stopped by {r.get('stopped') or 'train.max_steps'}" for r in result["seeds"]]
    lines += ["", "Per seed: " + "; ".join(seeds) + "."]
    data = result.get("data", {})
    costs = [f"`molgan train` {_mean_worst(run, 'minutes', lambda v: f'{v:.1f} min', n)}"
             + (f" (of which training {_mean_worst(run, 'training_minutes', lambda v: f'{v:.1f}', n)})"
                if "training_minutes" in run else ""),
             f"peak RSS training {_mean_worst(run, 'train_rss_gb', lambda v: f'{v:.1f} GB', n)}",
             f"{_mean_worst(run, 'real_molecules_per_second', lambda v: f'{v:.0f}', n)} real molecules/s "
             "read in training",
             f"sampling 10,000 {_mean_worst(run, 'sample_seconds', lambda v: f'{v:.0f} s', n)} "
             f"({_mean_worst(run, 'molecules_per_second', lambda v: f'{v:.0f}', n)} molecules/s, peak RSS "
             f"{_mean_worst(run, 'sample_rss_gb', lambda v: f'{v:.1f} GB', n)})",
             "`molgan evaluate --reference moses` of them "
             + _mean_worst(run, "evaluate_seconds", lambda v: f"{v:.0f} s", n)
             + (" with the machine to itself (beside the other seed's work: "
                + _mean_worst(run, "evaluate_seconds_beside_others", lambda v: f"{v:.0f} s", n) + ")"
                if "evaluate_seconds_beside_others" in run else "")]
    if "build_minutes" in data:
        costs.insert(0, f"building the cache {data['build_minutes']:.1f} min (peak RSS {data['build_rss_gb']:.1f} GB), "
                        f"loading it {data['load_seconds']:.1f} s")
    if "reference_minutes_first_use" in data:
        costs.append(f"the reference statistics' first use {data['reference_minutes_first_use']:.1f} min")
    elif "reference_minutes_cached" in data:
        costs.append(f"`--reference moses` of one molecule with its statistics cached "
                     f"{data['reference_minutes_cached']:.1f} min")
    trained = data.get("training_measured_at")
    lines += ["", "Costs (mean (worst seed)): " + "; ".join(costs) + ".", "",
              _provenance(result) + (f"; the runs and their training figures: commit `{trained}`" if trained else ""),
              ""]
    return lines


def condition_section(result: dict) -> list[str]:
    """The conditioned run's accuracy per target beside filtering an unconditioned run."""
    prop, tol, seeds = result["property"], result["tolerance"], len(result["seeds"])
    label = {"qed": "QED", "logp": "logP", "sa": "SA", "mw": "MW"}[prop]
    measured = all("validity_uncorrected" in t for r in result["seeds"] for t in r["targets"].values())
    lines = [f"## QM9, conditioned on {label}", "",
             f"`molgan train --dataset qm9 --set condition={prop}`, then for each target",
             f"`molgan sample RUN -n {result['samples']:,} --condition {prop}=T`: the mean {label} of the valid",
             "molecules (RDKit's value) and its distance to the target, validity and uniqueness of the",
             f"file, and the share of its rows within ±{tol} of the target. Beside it, what a user has",
             f"without conditioning: the default run (same seed), {10 * result['samples']:,} samples, filtered to",
             f"±{tol} of the target: the share that survives. The cost of a molecule within ±{tol}: the",
             "molecules generated for it, and the seconds (each `molgan sample` command's, start-up",
             "included, over the molecules it delivered within the tolerance; mean over seeds). The",
             "generator samples within valence masks, a correction: validity without correction is",
             "sampled with them off" + ("." if measured else " and not measured for these runs."), "",
             f"| target {label} ({seeds} seeds) | mean {label} of valid | distance to target | validity (within "
             "valence masks) | without correction | uniqueness "
             f"| within ±{tol} | unconditioned, within ±{tol} | generated per molecule within ±{tol}: "
             f"conditioned / filtered | seconds per molecule within ±{tol}: conditioned / filtered |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for target, summary in result["summary"].items():
        if target == "run":
            continue
        rows = [r["targets"][target] for r in result["seeds"]]
        cost = "/".join(f"{1 / summary[k]['mean']:.1f}" if summary[k]["mean"] else "–"
                        for k in ("within", "baseline_within"))
        conditioned = [r["seconds_per_molecule"] / r["within"] for r in rows if r["within"]]
        filtered = [r["baseline_seconds_per_kept"] for r in rows if r["baseline_seconds_per_kept"]]
        seconds = " / ".join(f"{sum(v) / len(v):.3f}" if v else "–" for v in (conditioned, filtered))
        lines.append(
            f"| {target} | {sum(r['mean'] for r in rows) / seeds:.3f} | {_mean_worst(summary, 'error', _num3, seeds)} "
            f"| {_mean_worst(summary, 'validity', _pct, seeds)} "
            f"| {_mean_worst(summary, 'validity_uncorrected', _pct, seeds)} "
            f"| {_mean_worst(summary, 'uniqueness', _pct, seeds)} "
            f"| {_mean_worst(summary, 'within', _pct, seeds)} | {_mean_worst(summary, 'baseline_within', _pct, seeds)} "
            f"| {cost.replace('/', ' / ')} | {seconds} |")
    minutes = result["summary"]["run"]["minutes"]
    first = result["seeds"][0]
    # seconds per kept molecule × the share kept = the command's seconds per molecule
    per_thousand = 1000 * max(t["baseline_seconds_per_kept"] * t["baseline_within"]
                              for t in first["targets"].values() if t["baseline_seconds_per_kept"])
    steps = ", ".join(f"seed {r['seed']}: {r['best_step']} / {r['steps']}" for r in result["seeds"])
    lines += ["", f"Training: {minutes['mean']:.1f} min on average (longest {minutes['worst']:.1f}). "
              f"Per seed, best step / steps: {steps}.",
              f"The unconditioned run samples and scores 1,000 molecules in {per_thousand:.1f} s "
              f"(seed {first['seed']}'s "
              f"{10 * result['samples']:,}-sample command, start-up included).", "", _provenance(result), ""]
    return lines


def reward_section(result: dict, context: bool = True) -> list[str]:
    """A reward run's property and what it cost in diversity; `context`: also how the runs
    are chosen and measured and the figures to compare with (once per reward)."""
    summary, seeds = result["summary"], len(result["seeds"])

    def cell(key, fmt):
        return _mean_worst(summary, key, fmt, seeds)

    tops = " / ".join(_mean_worst(summary, f"top{k}", _num3, seeds, worst="") for k in (1, 10, 100))
    weight = result.get("adversarial_weight")
    aims = ", ".join(sorted({f"{r['reward_aim']:g}" for r in result["seeds"] if r.get("reward_aim") is not None}))
    words = result["command"].split()
    sets = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--set"]  # the runs' extra settings
    starts = sorted({r["policy_start"] for r in result["seeds"] if r.get("policy_start") is not None})
    method = (f", MolGAN's reward term (λ = {weight})" if weight else
              ", conditioned on it, then policy steps" if starts else ", conditioned on it")
    return [f"## QM9, reward `{result['reward']}`{method}" + "".join(f", `{s}`" for s in sets), "",
            f"`molgan train --dataset qm9 --set reward={result['reward']}"
            + (f" --set adversarial_weight={weight}" if weight else "") + "".join(f" --set {s}" for s in sets)
            + ("` (`best.pt`: the highest mean reward among evaluations with 90 % distinct molecules in "
               f"10,000), then `molgan sample RUN -n {result['samples']:,}` and `molgan evaluate` against the "
               "QM9 test split. Top-k: the mean QED of the k best distinct novel molecules. QM9's training "
               f"molecules: mean QED {result['qm9_training_qed']['mean']:.3f}, 90th percentile "
               f"{result['qm9_training_qed']['p90']:.3f}. TorchDrug's published QED optimisation reaches top-1 "
               "0.948, on ZINC250k (larger, drug-like molecules: not comparable with QM9's nine atoms); MolGAN's "
               "paper rewards QED on QM9 with its RL term and reports the mode collapse that comes with it."
               if context else "`, measured as above.")
            + ("" if weight else " The generator is conditioned on each training molecule's reward and asked "
               f"for rewards drawn from the training molecules' above the `rl.aim` quantile ({aims})"
               + (f"; after step {', '.join(f'{s:,}' for s in starts)}, policy steps on its own samples climb the "
                  "reward less a price on repeated molecules (`molgan/mol/rewards/policy.py`)." if starts else ".")),
            "",
            f"| {seeds} seeds, mean (worst) | mean QED of valid | top-1 / top-10 / top-100 QED | validity "
            f"({'within valence masks' if not weight else 'output layer'}) | without correction | "
            "uniqueness | novelty | IntDiv | FCD |", "|---|---|---|---|---|---|---|---|---|",
            f"| molgan | {cell('mean_qed', _num3)} | {tops} | {cell('validity', _pct)} "
            f"| {cell('validity_uncorrected', _pct)} | {cell('uniqueness', _pct)} "
            f"| {cell('novelty', _pct)} | {cell('intdiv', _num3)} | {cell('fcd', _num)} |", "",
            f"Training: {cell('minutes', lambda v: f'{v:.1f}')} min. Per seed, best step / steps: "
            + ", ".join(f"seed {r['seed']}: {r['best_step']} / {r['steps']}" for r in result["seeds"]) + ".", "",
            _provenance(result), ""]


def _num3(value) -> str:
    return _num(value, 3)


def load(name: str) -> dict | None:
    path = RESULTS / name
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    result["_file"] = name
    return result


def main() -> None:
    qm9 = load("qm9_default.json")
    parts = ["# Benchmarks", "",
             "Every number here is written by `scripts/write_benchmarks.py` from a JSON file in `docs/results/`,",
             "which the benchmark script named beside it wrote, with the command, date, commit and machine.",
             "Quality figures are the mean and the worst over seeds; speed figures are medians or ratios",
             "measured in one run. Protocol: [evaluation.md](evaluation.md). A seed's run is bit-exact on",
             "the kind of processor it ran on and moves on another (its floating-point rounding): each",
             "figure names its machine, and `tests/test_fingerprints.py` fails, naming the benchmark to",
             "re-run, when a change moves what a default run computes there.", ""]
    if qm9:
        parts += ["## QM9, default settings", "",
                  "`molgan train --dataset qm9` with every default (early stopping on validation FCD), then",
                  "`molgan sample RUN -n 10000` (delivered: the run's decoding; raw: the graphs of the",
                  "generator's output layer, the valence-aware layer it was trained through, which corrects its",
                  "choices; argmax: each atom pair's most likely bond without that layer: validity without",
                  "correction, the same as `--decode uncorrected` for this generator) and `molgan evaluate`",
                  "against the QM9 test split.", "",
                  qm9_table(qm9), "", qm9_per_seed(qm9), "", _provenance(qm9), "",
                  "Beside published QM9 results (their own papers, GDSS protocol: validity without correction,",
                  "NSPDK MMD and FCD against the test set; not measured here). Our rows: mean (worst seed) of",
                  "the table above, NSPDK MMD of the valid molecules against the QM9 test split",
                  "(`molgan/mol/metrics/nspdk.py`, eden-kernel, GDSS's graph labels and kernel). The published",
                  "validities are without correction, as GDSS's table reports them, and so is our first row;",
                  "the second goes through the valence-aware output layer, a correction, so its validity does",
                  "not belong in that column and is marked:", "",
                  "| system | validity without correction | uniqueness | novelty | NSPDK MMD | FCD |",
                  "|---|---|---|---|---|---|"]
        parts += field_protocol_rows(qm9)
        parts += [f"| {' | '.join(row)} |" for row in PUBLISHED_QM9]
        parts.append("")
    moses = load("moses_default.json")
    if moses:
        parts += ["## MOSES, default settings", "",
                  "`molgan train --dataset moses` (its preset), then `molgan sample RUN -n 10000` and",
                  "`molgan evaluate --reference moses`: the MOSES suite as MOSES defines it",
                  "([evaluation.md](evaluation.md)), beside the MOSES paper's baselines (published, 30,000",
                  "samples each).", ""]
        parts += moses_section(moses)
    for name in ("peer_qm9.json", "peer_moses.json"):
        peer = load(name)
        if peer:
            parts += peer_section(peer)
    for name in ("critic_qm9.json", "critic_moses.json"):
        critic = load(name)
        if critic:
            parts += critic_section(critic)
    for name in ("condition_qed.json", "condition_logp.json"):
        condition = load(name)
        if condition:
            parts += condition_section(condition)
    described: set[str] = set()  # rewards whose reference figures are already written
    for path in sorted(RESULTS.glob("reward_*.json")):
        result = load(path.name)
        parts += reward_section(result, context=result["reward"] not in described)
        described.add(result["reward"])
    for path in sorted(RESULTS.glob("dock_*.json")):
        parts += dock_section(load(path.name))
    for task in ("pix2pix", "cyclegan", "srgan"):
        image = load(f"image_{task}.json")
        if image:
            parts += image_section(image)
    speed = load("speed.json")
    if speed:
        rates, ratios = speed["critic_iterations_per_second"], speed["ratios"]
        parts += ["## Training speed", "",
                  "Critic iterations per second at the sizes of the most used PyTorch MolGAN port (batch 16,",
                  "n_critic 5, z 8, WGAN-GP on every critic step), beside a straightforward eager implementation",
                  "of the same iteration timed in alternating windows of the same run (the box's load drifts),",
                  "and the default configuration (aromatic bonds), with the argmax output instead of the",
                  "valence-aware layer, with the reward term, and kekulized (the port's comparison is on",
                  "kekulized graphs, as the port's). Medians over windows; ratios are medians of per-window",
                  "ratios.", "",
                  "| variant | critic it/s |", "|---|---|"]
        parts += [f"| {name} | {rate:.1f} |" for name, rate in rates.items()]
        parts += ["", "| ratio | value |", "|---|---|"]
        parts += [f"| {name} | {value:.2f}× |" for name, value in ratios.items()]
        parts += ["", _provenance(speed), ""]
    sample = load("sample_evaluate.json")
    if sample:
        parts += ["## Sampling and evaluation time", "",
                  f"`molgan sample RUN -n {sample['molecules']:,}` took {sample['sample_seconds']:.1f} s (generating,",
                  "decoding (delivered and raw are the same graphs; each pair's argmax once more, for the",
                  "validity without correction), QED / logP / SA / MW, the filters' alerts, and the FCD",
                  "of its summary line);",
                  "RDKit alone",
                  f"needs {sample['rdkit_alone_seconds']:.1f} s for QED + logP + SA of its {sample['valid']:,} valid",
                  "molecules in one process. `molgan evaluate` of that file took "
                  f"{sample['evaluate_samples_seconds']:.1f} s,",
                  f"of {sample['molecules']:,} distinct QM9 test molecules (all per-molecule work, the worst case)",
                  f"{sample['evaluate_distinct_seconds']:.1f} s (reference statistics cached beforehand; each time",
                  "includes the command's start-up).", "", _provenance(sample), ""]
    evaluate_moses = load("evaluate_moses.json")
    if evaluate_moses:
        runs = ", ".join(f"{s:.0f}" for s in evaluate_moses["seconds"])
        median = evaluate_moses["median_seconds"]
        parts += [f"`molgan evaluate --reference moses` of {evaluate_moses['molecules']:,} molecules drawn from MOSES'",
                  "test split (real drug-like molecules, all valid and distinct: every per-molecule step runs",
                  f"for each) took {median:.0f} s, the median of {runs} s (the whole command,",
                  "reference statistics cached, the machine's cores).", "", _provenance(evaluate_moses), ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts))
    if qm9:
        readme = ROOT / "README.md"
        text = readme.read_text()
        rows = qm9_table(qm9)
        if moses:  # its row goes under QM9's first rows, before the notes
            head, _, notes = rows.partition("\n\n")
            rows = f"{head}\n{moses_readme_row(moses)}\n\n{notes}"
        table = (f"{README_START}\n{rows}\n\nRegenerate: `{qm9['command']}`, then "
                 f"`python scripts/write_benchmarks.py` ({qm9['date']}, commit `{qm9['commit']}`, "
                 f"{qm9['threads']} thread(s); details in [docs/benchmarks.md](docs/benchmarks.md)).\n{README_END}")
        pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
        if pattern.search(text):
            readme.write_text(pattern.sub(lambda _: table, text))
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
