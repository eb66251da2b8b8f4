"""docs/benchmarks.md's critic section, from docs/results/critic_DATASET.json (scripts/bench_critic.py)."""
from __future__ import annotations

from peer_tables import mean_worst_cell

#: (key, header, format) of the table's columns, after the arm, minutes and steps.
COLUMNS = {
    "qm9": (("validity", "validity", "{:.1%}"), ("validity_uncorrected", "without correction", "{:.1%}"),
            ("uniqueness", "uniqueness", "{:.1%}"), ("novelty", "novelty", "{:.1%}"),
            ("fcd", "FCD (test)", "{:.2f}")),
    "moses": (("validity", "validity", "{:.1%}"), ("validity_uncorrected", "without correction", "{:.1%}"),
              ("uniqueness", "unique@10k", "{:.1%}"), ("novelty", "novelty", "{:.1%}"),
              ("FCD/Test", "FCD/Test", "{:.2f}"), ("IntDiv", "IntDiv", "{:.3f}"), ("Filters", "Filters", "{:.1%}")),
}
FCD = {"qm9": "fcd", "moses": "FCD/Test"}


def fcd_changes(result: dict) -> list[float]:
    """Each seed's FCD of the critic arm relative to the likelihood arm's (-0.15: 15 % lower)."""
    key = FCD[result["benchmark"].removeprefix("critic_")]
    return [s["critic"][key] / s["likelihood"][key] - 1.0 for s in result["seeds"]]


def critic_section(result: dict) -> list[str]:
    dataset = result["benchmark"].removeprefix("critic_")
    columns, summary = COLUMNS[dataset], result["summary"]
    name = "QM9" if dataset == "qm9" else "MOSES"
    changes = fcd_changes(result)
    lines = [f"## {name}: does the critic earn its place? Likelihood alone against likelihood then the critic", "",
             "Both arms train the autoregressive generator for the same minutes (`train.max_minutes`), on one",
             "thread each. Likelihood: the whole budget by likelihood, its cosine schedule fitted to the budget.",
             "Critic: likelihood for the steps the other arm made in all but the last minutes, then policy steps",
             "on the R-GCN critic's score alone with a price on the divergence from the likelihood model",
             f"(`{' '.join(result['critic_settings'])}`). {result['samples']:,} delivered samples each, scored by",
             f"`molgan evaluate --reference {dataset}`; without correction: as many with the valence masks off",
             "(`--decode uncorrected`). Mean over seeds (worst seed).", "",
             "| arm | minutes | steps | " + " | ".join(h for _, h, _ in columns) + " |",
             "|" + "---|" * (len(columns) + 3)]
    for arm in ("likelihood", "critic"):
        entry = summary[arm]
        steps = f"{entry['steps']['mean']:,.0f}" if "steps" in entry else "–"
        lines.append(f"| {arm} | {entry['minutes']['mean']:.1f} | {steps} | "
                     + " | ".join(mean_worst_cell(entry, k, f) for k, _, f in columns) + " |")
    per_seed = ", ".join(f"{c:+.1%}" for c in changes)
    lines += ["", f"The critic arm's FCD against the likelihood arm's, per seed: {per_seed} (the target: "
              "-15 % or lower on the worst seed).", ""]
    modified = " (package modified from that commit)" if result.get("package_modified") else ""
    lines += [f"`{result['command']}` — {result['date']}, commit `{result['commit']}`{modified}, "
              f"{result['machine']}, {result['threads']} thread(s), torch {result['torch']}; "
              f"JSON: `docs/results/{result['_file']}`", ""]
    return lines
