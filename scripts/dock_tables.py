"""docs/benchmarks.md's docking section, from docs/results/dock_TARGET.json (scripts/bench_dock.py)."""
from __future__ import annotations


def _provenance(part: dict, file: str) -> str:
    modified = " (package modified from that commit)" if part.get("package_modified") else ""
    return (f"`{part['command']}` — {part['date']}, commit `{part['commit']}`{modified}, {part['machine']}, "
            f"torch {part['torch']}; JSON: `docs/results/{file}`")


#: The ablation's arms (bench_dock.py run --arm), in the table's order.
ARM_NAMES = {"prior": "(b) the prior's samples", "surrogate": "(c) reward network only, no critic",
             "exact": "(d) critic + exact docking, no reward network", "full": "(e) the joint loss"}
#: Figures of the arms table: (key, header, format, worse: "max" or "min").
ARM_FIGURES = (("top1_e8", "top-1 (e8)", "{:.2f}", "max"), ("top10_mean_e8", "top-10 mean (e8)", "{:.2f}", "max"),
               ("top100_mean", "top-100 mean", "{:.2f}", "max"),
               ("top100_by_score_drug_like", "top 100 by score: hits", "{:.0%}", "min"),
               ("top100_novelty", "novelty of the top-100 hits", "{:.0%}", "min"),
               ("top100_intdiv", "IntDiv of the top-100 hits", "{:.3f}", "min"),
               ("fcd", "FCD/Test of 10,000 samples", "{:.2f}", "max"), ("dockings", "dockings", "{:,}", "max"),
               ("failed", "of which failed", "{:,}", "max"),
               ("minutes", "minutes", "{:.0f}", "max"))


def _cell(values: list, fmt: str, worse: str) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return fmt.format(values[0])
    mean, worst = sum(values) / len(values), (max if worse == "max" else min)(values)
    mean = round(mean) if fmt == "{:,}" else mean
    return f"{fmt.format(mean)} (worst {fmt.format(worst)})"


def arms_table(result: dict) -> list[str]:
    """The ablation at one docking budget: the screen's row, then each arm's (mean and worst
    over its seeds)."""
    parts = result["parts"]
    arms = {arm: [p for key, p in sorted(parts.items()) if key.startswith(f"{arm}-seed")] for arm in ARM_NAMES}
    arms = {arm: rows for arm, rows in arms.items() if rows}
    if not arms:
        return []
    header = "| arm | seeds | " + " | ".join(h for _, h, _, _ in ARM_FIGURES) + " |"
    lines = ["**What the joint loss adds** (scripts/bench_dock.py run): each arm from the prior with the same",
             "budget of dockings at exhaustiveness 1; its top-1 and top-10 hits re-docked at exhaustiveness 8.",
             "Mean over seeds (worst seed).", "", header, "|" + "---|" * (len(ARM_FIGURES) + 2)]
    screen = parts.get("screen")
    if screen:
        cells = [_cell([screen.get(key)], fmt, worse) if key not in ("fcd", "top100_novelty") else "–"
                 for key, _, fmt, worse in ARM_FIGURES]
        cells[-3] = f"{screen['molecules']:,}"
        cells[-2] = f"{sum(screen['failed'].values()):,}"
        lines.append("| (a) virtual screening | – | " + " | ".join(cells) + " |")
    for arm, rows in arms.items():
        cells = [_cell([r.get(key) for r in rows], fmt, worse) for key, _, fmt, worse in ARM_FIGURES]
        seeds = ", ".join(str(r["seed"]) for r in rows)
        lines.append(f"| {ARM_NAMES[arm]} | {seeds} | " + " | ".join(cells) + " |")
    lines.append("")
    for arm, rows in arms.items():
        for row in rows:
            lines.append(f"- {ARM_NAMES[arm]}, seed {row['seed']}: top-100 hits `{row['top100_file']}`; "
                         + _provenance(row, result["_file"]))
    return lines + [""]


def dock_section(result: dict) -> list[str]:
    target, parts = result["target"], result["parts"]
    lines = [f"## Docking against {target}", "",
             "AutoDock Vina 1.2 through `molgan dock` ([docking.md](docking.md)): ligands protonated at pH 7.4,",
             "embedded by RDKit, prepared by meeko; scores in kcal/mol, lower binds better. A hit is a distinct",
             "molecule with QED ≥ 0.5, SA ≤ 4 and no PAINS alert.", ""]
    screen = parts.get("screen")
    if screen:
        lines += [f"**Virtual screening** (what a chemist has without molgan): {screen['molecules']:,} random",
                  f"molecules of MOSES' training split docked at exhaustiveness {screen['exhaustiveness']}, "
                  f"{screen['workers']} docking process(es).", "",
                  "| figure | value |", "|---|---|",
                  f"| top-1 hit, re-docked at exhaustiveness 8 | {screen['top1_e8']:.2f} |",
                  f"| top-10 hits, mean, re-docked at exhaustiveness 8 | {screen['top10_mean_e8']:.2f} |",
                  f"| top-100 hits, mean, as docked | {screen['top100_mean']:.2f} |",
                  "| share of the best 100 by score alone that are hits | "
                  f"{100 * screen['top100_by_score_drug_like']:.0f} % |",
                  f"| IntDiv of the top-100 hits | {screen['top100_intdiv']:.3f} |",
                  f"| mean score of all {screen['scored']:,} scored ({sum(screen['failed'].values())} failed) | "
                  f"{screen['mean_score']:.2f} |",
                  f"| docking speed | {screen['molecules_per_second']:.2f} molecules/s "
                  f"({screen['minutes']:.1f} min, peak RSS {screen['peak_rss_gb']:.2f} GB) |",
                  f"| the same command again, every molecule cached | {screen['cached_command_seconds']:.1f} s |",
                  f"| `molgan.dock()` of those molecules, all cached | {screen['cached_api_ms_per_molecule']:.2f} ms "
                  "per molecule |", "",
                  f"Top-100 hits: `{screen['top100_file']}`. {_provenance(screen, result['_file'])}", ""]
    lines += arms_table(result)
    drugs = parts.get("drugs")
    if drugs:
        scores = ", ".join(f"{name} {score:.2f}" for name, score in drugs["scores"].items())
        lines += [f"**Known drugs for scale** (exhaustiveness {drugs['exhaustiveness']}): {scores}.", "",
                  _provenance(drugs, result["_file"]), ""]
    return lines
