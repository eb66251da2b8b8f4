"""docs/benchmarks.md's docking section, from docs/results/dock_TARGET.json (scripts/bench_dock.py)."""
from __future__ import annotations


def _provenance(part: dict, file: str) -> str:
    modified = " (package modified from that commit)" if part.get("package_modified") else ""
    return (f"`{part['command']}` — {part['date']}, commit `{part['commit']}`{modified}, {part['machine']}, "
            f"torch {part['torch']}; JSON: `docs/results/{file}`")


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
    drugs = parts.get("drugs")
    if drugs:
        scores = ", ".join(f"{name} {score:.2f}" for name, score in drugs["scores"].items())
        lines += [f"**Known drugs for scale** (exhaustiveness {drugs['exhaustiveness']}): {scores}.", "",
                  _provenance(drugs, result["_file"]), ""]
    return lines
