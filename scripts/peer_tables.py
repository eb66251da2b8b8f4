"""docs/benchmarks.md's equal-compute section, from docs/results/peer_DATASET.json (scripts/bench_peer.py)."""
from __future__ import annotations

#: (key, header, format, worse) of the table's columns: QM9's figures, then MOSES' own.
COLUMNS = {
    "qm9": (("validity", "validity", "{:.1%}", "min"), ("uniqueness", "uniqueness", "{:.1%}", "min"),
            ("novelty", "novelty", "{:.1%}", "min"), ("fcd", "FCD (test)", "{:.2f}", "max")),
    "moses": (("validity", "validity", "{:.1%}", "min"), ("uniqueness", "uniqueness", "{:.1%}", "min"),
              ("novelty", "novelty", "{:.1%}", "min"), ("FCD/Test", "FCD/Test", "{:.2f}", "max"),
              ("SNN/Test", "SNN/Test", "{:.3f}", "min"), ("Scaf/Test", "Scaf/Test", "{:.3f}", "min"),
              ("IntDiv", "IntDiv", "{:.3f}", "min"), ("Filters", "Filters", "{:.1%}", "min")),
}


def mean_worst_cell(summary: dict, key: str, fmt: str) -> str:
    """A table cell "mean (worst W)" of `summary[key]` (bench_common.aggregate), "–" without it."""
    entry = summary.get(key)
    if not entry:
        return "–"
    return f"{fmt.format(entry['mean'])} (worst {fmt.format(entry['worst'])})"


def peer_section(result: dict) -> list[str]:
    dataset = result["benchmark"].removeprefix("peer_")
    columns, summary, seeds = COLUMNS[dataset], result["summary"], result["seeds"]
    minutes = sum(s["molgan_minutes"] for s in seeds) / len(seeds)
    source = result["molgan_result"]
    corrected = ", through its output layer's correction" if dataset == "qm9" else ""
    lines = [f"## {dataset.upper() if dataset == 'qm9' else 'MOSES'}: molgan against CharRNN at equal compute", "",
             "MOSES' CharRNN (`scripts/charrnn.py`: 3-layer LSTM 768 wide, dropout 0.2, Adam 1e-3) trained on",
             "molgan's training split on the same machine and thread count, for the minutes molgan's default",
             f"took per seed (mean {minutes:.1f}) and multiples of them; {result['samples']:,} samples each, scored",
             f"by `molgan evaluate --reference {dataset}` ({result['reference']}). molgan's row is its default",
             f"benchmark (`{source['file']}`, commit `{source['commit']}`){corrected}; CharRNN's samples",
             "are its strings as drawn. Mean over seeds (worst seed).", "",
             "| model | minutes | molecules/s | " + " | ".join(h for _, h, _, _ in columns) + " |",
             "|" + "---|" * (len(columns) + 3)]
    lines.append(f"| molgan default | {minutes:.1f} | – | "
                 + " | ".join(mean_worst_cell(summary["molgan"], k, f) for k, _, f, _ in columns) + " |")
    for name in sorted((k for k in summary if k.startswith("charrnn ")), key=lambda k: float(k.split()[1][:-1])):
        entry = summary[name]
        lines.append(f"| CharRNN at {name.split()[1]} | {entry['minutes']['mean']:.1f} | "
                     f"{entry['molecules_per_second']['mean']:.0f} | "
                     + " | ".join(mean_worst_cell(entry, k, f) for k, _, f, _ in columns) + " |")
    modified = " (package modified from that commit)" if result.get("package_modified") else ""
    lines += ["", f"`{result['command']}` — {result['date']}, commit `{result['commit']}`{modified}, "
              f"{result['machine']}, {result['threads']} thread(s), torch {result['torch']}; "
              f"JSON: `docs/results/{result['_file']}`", ""]
    return lines
