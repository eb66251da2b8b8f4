"""The report's docking section: from a `molgan dock` output, the scores, the best drug-like
hits beside the target's known ligands, and where the poses are."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd

DOCKING_COLUMNS = ("docking_score", "docking_status", "docking_reason", "docked_smiles", "docking_target")


def read_docking(path: str | Path) -> pd.DataFrame | None:
    """The rows of a `molgan dock` output with its docking columns, or None for a file without them."""
    path = Path(path)
    if not path.name.lower().endswith((".csv", ".csv.gz")):
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not set(DOCKING_COLUMNS) <= set(frame.columns):
        return None
    frame["docking_score"] = pd.to_numeric(frame["docking_score"], errors="coerce")
    return frame


def docking_summary(docked: pd.DataFrame) -> pd.Series:
    """Rows, molecules scored and failed (with the commonest reasons), the best score, the mean
    of the best 10 distinct molecules, and how many are drug-like hits."""
    from molgan.mol.docking.ranking import ranked

    ok = docked[docked.docking_status == "ok"]
    table = ranked(ok.smiles.tolist(), ok.docking_score.tolist()) if len(ok) else None
    failed = docked[docked.docking_status == "failed"].docking_reason.value_counts()
    reasons = ", ".join(f"{reason} ({count})" for reason, count in failed.head(3).items())
    return pd.Series({
        "target": ", ".join(sorted(set(docked.docking_target) - {""})),
        "rows": len(docked), "scored": len(ok), "distinct scored": 0 if table is None else len(table),
        "failed": f"{int(failed.sum())}" + (f": {reasons}" if reasons else ""),
        "invalid rows": int((docked.docking_status == "invalid").sum()),
        "best (kcal/mol)": None if table is None else round(float(table.score.iloc[0]), 2),
        "best 10, mean": None if table is None else round(float(table.score.head(10).mean()), 2),
        "drug-like hits (QED ≥ 0.5, SA ≤ 4, no PAINS)": 0 if table is None else int(table.drug_like.sum())},
        name="docking")


def _hit_figures(docked: pd.DataFrame) -> dict:
    from molgan.mol.docking.ranking import ranked

    ok = docked[docked.docking_status == "ok"]
    table = ranked(ok.smiles.tolist(), ok.docking_score.tolist()) if len(ok) else ranked([], [])
    hits = table[table.drug_like]
    return {"distinct molecules scored": len(table),
            "mean score": table.score.mean(),
            "best score": table.score.min(),
            "drug-like hits (share of scored)": f"{len(hits)} ({100 * len(hits) / max(len(table), 1):.0f} %)",
            "best 10 hits, mean": hits.score.head(10).mean(),
            "best 100 hits, mean": hits.score.head(100).mean()}


def screen_comparison(docked: pd.DataFrame, screen: pd.DataFrame) -> pd.DataFrame:
    """This file's docking figures beside a virtual screen's (another `molgan dock` output,
    e.g. random library molecules): what the generator found against what docking a library
    finds. Hits: QED >= 0.5, SA <= 4, no PAINS alert."""
    frame = pd.DataFrame({"this file": _hit_figures(docked), "virtual screen": _hit_figures(screen)})
    return frame.map(lambda v: round(v, 2) if isinstance(v, float) else v)


def best_hits(docked: pd.DataFrame, count: int = 12) -> pd.DataFrame:
    """The `count` best-scoring distinct drug-like molecules (QED, SA and PAINS beside)."""
    from molgan.mol.docking.ranking import ranked

    ok = docked[docked.docking_status == "ok"]
    if not len(ok):
        return pd.DataFrame(columns=["smiles", "score", "qed", "sa", "pains", "drug_like"])
    table = ranked(ok.smiles.tolist(), ok.docking_score.tolist())
    return table[table.drug_like].head(count).reset_index(drop=True)


def known_ligand_scores(target: str, cache: str | Path) -> pd.DataFrame:
    """The target's known ligands (approved drugs) with their scores in the docking cache, at the
    highest exhaustiveness there (none when never docked: `molgan dock` them to compare)."""
    from rdkit import Chem

    from molgan.mol.docking.targets import KNOWN_LIGANDS, find_target

    ligands = KNOWN_LIGANDS.get(target, {})
    rows = []
    found: dict[str, tuple[int, float]] = {}
    if ligands and Path(cache).is_file():
        key = find_target(target).key
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
            for name, smiles in ligands.items():
                canonical = Chem.MolToSmiles(Chem.MolFromSmiles(smiles))
                for settings, score in db.execute("SELECT settings, score FROM scores WHERE target = ? AND "
                                                  "smiles = ? AND score IS NOT NULL", (key, canonical)):
                    level = json.loads(settings)["exhaustiveness"]
                    if name not in found or level > found[name][0]:
                        found[name] = (level, score)
    for name, smiles in ligands.items():
        level, score = found.get(name, (None, None))
        rows.append({"ligand": name, "smiles": smiles, "score": score, "exhaustiveness": level})
    return pd.DataFrame(rows, columns=["ligand", "smiles", "score", "exhaustiveness"])


def score_histogram(docked: pd.DataFrame, known: pd.DataFrame | None = None, screen: pd.DataFrame | None = None):
    """Distinct molecules' scores (as densities beside a virtual screen's), with the known
    ligands' scores marked."""
    from molgan.mol.report import _pyplot

    plt = _pyplot()

    def distinct(frame: pd.DataFrame) -> pd.Series:
        return frame[frame.docking_status == "ok"].drop_duplicates("smiles").docking_score

    scores = distinct(docked)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    density = screen is not None
    if density:
        library = distinct(screen)
        ax.hist(library, bins=30, alpha=0.5, density=True, color="grey",
                label=f"virtual screen ({len(library)} distinct)")
    ax.hist(scores, bins=30, alpha=0.7, density=density, label=f"this file ({len(scores)} distinct)")
    if known is not None:
        for row in known.dropna(subset=["score"]).itertuples():
            ax.axvline(row.score, color="black", linestyle="--", linewidth=1)
            ax.text(row.score, ax.get_ylim()[1] * 0.95, f" {row.ligand}", rotation=90, va="top", fontsize=8)
    ax.set_xlabel("Vina score (kcal/mol; lower binds better)")
    ax.set_ylabel("density (per kcal/mol)" if density else "molecules")
    ax.legend()
    fig.tight_layout()
    return fig


def poses_file(samples: str | Path) -> Path | None:
    """`molgan dock`'s poses beside its CSV (DOCKED.sdf), when there."""
    path = Path(samples).with_suffix(".sdf")
    return path if path.is_file() else None
