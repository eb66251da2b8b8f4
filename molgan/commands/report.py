"""Turn a samples file into one HTML page a chemist can open offline and send.

  molgan report samples.csv -o report.html
  molgan report samples.csv --run runs/qm9 --reference qm9 -o report.html

The page is notebooks/validity_novelty_report.ipynb run on the file and exported with its
outputs (figures and molecule drawings inline; no network, no other files): the metrics with
what each means, the invalid rows by reason, property histograms against the reference, the
medicinal-chemistry filters, the best novel molecules beside their nearest known ones, for a
`molgan dock` output its docking (scores, the best drug-like hits, the target's known ligands
with their cached scores, the poses file; with --screen, the scores beside a virtual
screen's), the run's training curves (with --run), and a grid of the molecules to sort and
filter by property. Needs the notebook extra: pip install -e '.[notebooks]'.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from molgan.errors import InputError, write_error

log = logging.getLogger("molgan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("samples", metavar="SAMPLES.csv", help="generated SMILES: .csv (SMILES column) or .smi")
    parser.add_argument("-o", "--output", required=True, metavar="REPORT.html")
    parser.add_argument("--run", metavar="RUN_DIR", help="the run that made the samples: adds its training curves")
    parser.add_argument("--reference", default="qm9", metavar="qm9|moses|PATH",
                        help="what the samples are compared with, as for molgan evaluate (default: qm9)")
    parser.add_argument("--screen", metavar="DOCKED.csv",
                        help="a `molgan dock` output of a virtual screen (e.g. random library molecules docked "
                             "against the same target): the docking section compares the scores with it")
    parser.add_argument("--grid", type=int, default=200, metavar="N",
                        help="molecules in the sortable grid (the first N distinct valid ones; default 200)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="dataset and reference cache directory (default: $MOLGAN_DATA_DIR or ./data)")


def run(args: argparse.Namespace) -> int:
    from molgan.core.atomic import atomic_write
    from molgan.mol.data.sources import read_smiles_file
    from molgan.mol.report_page import render_report

    output = Path(args.output)
    if output.is_dir():
        raise InputError(f"{output}: is a directory")
    if args.grid < 0:
        raise InputError(f"--grid must be 0 or more, got {args.grid}")
    read_smiles_file(args.samples)  # a missing, empty or unreadable file stops here, before the notebook
    if args.run and not (Path(args.run) / "metrics.csv").is_file():
        raise InputError(f"{args.run}: not a run directory (no metrics.csv)")
    if args.screen:
        from molgan.mol.report_docking import read_docking

        read_smiles_file(args.screen)
        if read_docking(args.screen) is None:
            raise InputError(f"{args.screen}: not a molgan dock output (no docking_score column)")
    page = render_report(args.samples, args.run, args.reference, args.data_dir, args.grid, screen=args.screen)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(output, encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        raise write_error(output, exc) from None
    log.info("wrote %s (%.0f kB): open it in a browser", output, len(page.encode()) / 1024)
    return 0
