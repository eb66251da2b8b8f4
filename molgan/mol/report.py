"""Building blocks of the report notebooks: tables and figures from a samples CSV or a run.

Each function returns a pandas DataFrame or a matplotlib / RDKit figure, so a notebook
cell is one call, and the logic is tested like the rest of the package.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from molgan.mol.metrics.evaluation import METRICS, PERCENT_METRICS, canonicalize

PROPERTY_LABELS = {"qed": "QED (drug-likeness)", "logp": "logP", "sa": "SA score (1 easy .. 10 hard)",
                   "mw": "molecular weight", "atoms": "heavy atoms"}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("the report figures need matplotlib: pip install -e '.[notebooks]'") from None
    return plt


def read_samples(path: str | Path) -> pd.DataFrame:
    """A samples CSV (from `molgan sample`, or any file with a SMILES column): one row per
    generated graph, with `canonical` (empty when invalid) and `reason` (why invalid; the
    file's own `reason` column, which names valence / disconnected graphs, when present)."""
    from molgan.mol.data.sources import read_smiles_file

    records = read_smiles_file(path)
    frame = pd.DataFrame({"smiles": records.smiles})
    checked = [canonicalize(s) for s in records.smiles]
    frame["canonical"] = [c or "" for c, _ in checked]
    frame["reason"] = [r for _, r in checked]
    if records.reasons is not None:
        given = pd.Series(records.reasons, index=frame.index)
        specific = (frame["canonical"] == "") & (given != "")
        frame.loc[specific, "reason"] = given[specific]
    return frame


def metrics_table(report: dict) -> pd.DataFrame:
    rows = []
    for key, label, meaning in METRICS:
        value = report.get(key)
        shown = "n/a" if value is None else (f"{100 * value:.1f} %" if key in PERCENT_METRICS
                                            else f"{value:.3f}")
        rows.append({"metric": label, "value": shown, "meaning": meaning})
    return pd.DataFrame(rows).set_index("metric")


def invalid_reasons(samples: pd.DataFrame) -> pd.Series:
    invalid = samples[samples["canonical"] == ""]
    return invalid["reason"].value_counts().rename("rows")


def property_frame(smiles: list[str], limit: int | None = 5000, seed: int = 0) -> pd.DataFrame:
    """QED, logP, SA, MW and heavy-atom count of (a random `limit` of) distinct molecules."""
    from rdkit import Chem

    from molgan.mol.metrics.profiles import PROPERTIES, profile_molecules

    smiles = list(dict.fromkeys(s for s in smiles if s))
    if limit is not None and len(smiles) > limit:
        rng = np.random.default_rng(seed)
        smiles = [smiles[i] for i in sorted(rng.choice(len(smiles), limit, replace=False))]
    profiles = profile_molecules(smiles)
    frame = pd.DataFrame(profiles.properties, columns=list(PROPERTIES), index=smiles)
    frame["atoms"] = [Chem.MolFromSmiles(s).GetNumHeavyAtoms() for s in smiles]
    return frame


def property_histograms(generated: pd.DataFrame, reference: pd.DataFrame):
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(PROPERTY_LABELS), figsize=(4 * len(PROPERTY_LABELS), 3.2))
    for ax, (column, label) in zip(axes, PROPERTY_LABELS.items()):
        values = np.concatenate([generated[column], reference[column]])
        if column == "atoms":
            bins = np.arange(values.min() - 0.5, values.max() + 1.5)
        else:
            bins = np.linspace(values.min(), values.max(), 30)
        ax.hist(reference[column], bins=bins, density=True, alpha=0.5, label="reference")
        ax.hist(generated[column], bins=bins, density=True, alpha=0.5, label="generated")
        ax.set_xlabel(label)
    axes[0].set_ylabel("density")
    axes[0].legend()
    fig.tight_layout()
    return fig


def top_novel(samples: pd.DataFrame, known: frozenset[str], count: int = 12) -> pd.DataFrame:
    """The `count` distinct novel molecules with the highest QED."""
    novel = [s for s in dict.fromkeys(samples["canonical"]) if s and s not in known]
    if not novel:
        return pd.DataFrame(columns=["qed", "logp", "sa", "mw", "atoms"])
    return property_frame(novel, limit=None).sort_values("qed", ascending=False).head(count)


def nearest_neighbours(queries: list[str], candidates: list[str]) -> pd.DataFrame:
    """For each query, the most similar candidate (Morgan radius 2, 1,024 bits, Tanimoto)."""
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    pool = [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in candidates]
    rows = []
    for query in queries:
        similarities = DataStructs.BulkTanimotoSimilarity(generator.GetFingerprint(Chem.MolFromSmiles(query)), pool)
        best = int(np.argmax(similarities))
        rows.append({"generated": query, "nearest_known": candidates[best], "tanimoto": similarities[best]})
    return pd.DataFrame(rows)


def molecule_grid(smiles: list[str], legends: list[str] | None = None, per_row: int = 4):
    """An RDKit grid image (works headless)."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return Draw.MolsToGridImage(mols, molsPerRow=per_row, subImgSize=(220, 180), legends=legends)


def read_metrics(run_dir: str | Path) -> pd.DataFrame:
    """A run's metrics.csv, indexed by step."""
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not a run directory (no metrics.csv)")
    return pd.read_csv(path).set_index("step")


def plot_curves(metrics: pd.DataFrame, groups: dict[str, list[str]]):
    """One panel per group of columns (those present), against the generator step."""
    plt = _pyplot()

    groups = {title: [c for c in columns if c in metrics] for title, columns in groups.items()}
    groups = {title: columns for title, columns in groups.items() if columns}
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(5 * max(len(groups), 1), 3.4), squeeze=False)
    for ax, (title, columns) in zip(axes[0], groups.items()):
        for column in columns:
            series = metrics[column].dropna()
            ax.plot(series.index, series.values, label=column, marker="." if len(series) < 50 else None)
        ax.set_title(title)
        ax.set_xlabel("generator step")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


#: The grid's properties: column, label, digits shown.
GRID_PROPERTIES = (("qed", "QED", 2), ("logp", "logP", 2), ("sa", "SA", 2), ("mw", "MW", 0), ("atoms", "atoms", 0))


class MoleculeGrid:
    """A sortable, filterable grid of molecule drawings (inline SVG and a small inline script:
    no network, no external files), for notebooks and the HTML report. `frame`: indexed by
    SMILES, with the GRID_PROPERTIES columns (as `property_frame` makes it)."""

    def __init__(self, frame: pd.DataFrame, size: tuple[int, int] = (200, 160)):
        self.frame, self.size = frame, size

    def _cell(self, smiles: str, row) -> str:
        import html

        from rdkit import Chem
        from rdkit.Chem.Draw import rdMolDraw2D

        drawer = rdMolDraw2D.MolDraw2DSVG(*self.size)
        drawer.DrawMolecule(Chem.MolFromSmiles(smiles))
        drawer.FinishDrawing()
        svg = drawer.GetDrawingText()
        svg = svg[svg.index("<svg"):]  # without the XML declaration
        data = " ".join(f'data-{column}="{row[column]:.4g}"' for column, _, _ in GRID_PROPERTIES)
        caption = " · ".join(f"{label} {row[column]:.{digits}f}" for column, label, digits in GRID_PROPERTIES)
        return (f'<figure class="mol-cell" {data}>{svg}<figcaption><code>{html.escape(smiles)}</code><br>'
                f"{caption}</figcaption></figure>")

    def _repr_html_(self) -> str:
        options = "".join(f'<option value="{c}">{label}</option>' for c, label, _ in GRID_PROPERTIES)
        cells = "".join(self._cell(smiles, row) for smiles, row in self.frame.iterrows())
        return (f'<div class="mol-grid"><style>{_GRID_CSS}</style><div class="mol-controls">'
                f'sort by <select data-role="sort">{options}</select> '
                '<select data-role="order"><option value="desc">high first</option>'
                '<option value="asc">low first</option></select> &nbsp; show '
                f'<select data-role="filter">{options}</select> from <input data-role="min" type="number" '
                'step="any" size="6"> to <input data-role="max" type="number" step="any" size="6"> &nbsp; '
                f'<span data-role="count"></span></div><div class="mol-cells">{cells}</div>'
                f"<script>{_GRID_SCRIPT}</script></div>")


_GRID_CSS = """
.mol-grid .mol-controls { margin: 0.5em 0; font: 14px sans-serif; }
.mol-grid .mol-cells { display: flex; flex-wrap: wrap; gap: 6px; }
.mol-grid figure { margin: 0; width: 200px; border: 1px solid #ddd; font: 11px sans-serif; }
.mol-grid figcaption { padding: 2px 4px; overflow-wrap: anywhere; }
"""

# Every grid on the page wires its own controls; cells are re-ordered, never re-drawn.
_GRID_SCRIPT = """
(function () {
  const grid = document.currentScript.parentElement;
  const cells = grid.querySelector('.mol-cells');
  const all = Array.from(cells.children);
  const control = role => grid.querySelector('[data-role="' + role + '"]');
  function update() {
    const key = control('sort').value, sign = control('order').value === 'asc' ? 1 : -1;
    const by = control('filter').value;
    const low = parseFloat(control('min').value), high = parseFloat(control('max').value);
    let shown = 0;
    all.slice().sort((a, b) => sign * (parseFloat(a.dataset[key]) - parseFloat(b.dataset[key])))
      .forEach(cell => {
        const value = parseFloat(cell.dataset[by]);
        const visible = !(value < low) && !(value > high);
        cell.style.display = visible ? '' : 'none';
        shown += visible;
        cells.appendChild(cell);
      });
    control('count').textContent = 'showing ' + shown + ' of ' + all.length + ' molecules';
  }
  grid.querySelectorAll('select, input').forEach(el => el.addEventListener('input', update));
  update();
})();
"""


def filters_table(report: dict) -> pd.DataFrame:
    """The share of valid molecules passing each medicinal-chemistry filter."""
    rows = [{"filter": name, "valid molecules passing": "n/a" if share is None else f"{100 * share:.1f} %"}
            for name, share in report["filters_passed"].items()]
    return pd.DataFrame(rows).set_index("filter")


def first_distinct(samples: pd.DataFrame, count: int) -> list[str]:
    """The first `count` distinct valid molecules of a samples frame, in file order."""
    return list(dict.fromkeys(s for s in samples["canonical"] if s))[:count]
