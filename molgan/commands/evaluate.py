"""Score generated molecules with the field's standard metrics (MOSES / GuacaMol protocol).

  molgan evaluate samples.csv                          # against QM9
  molgan evaluate samples.csv -o report.json
  molgan evaluate samples.csv --reference moses      # and the MOSES suite
  molgan evaluate generated.smi --reference my_training_set.csv

Reads the SMILES column of a CSV (or the first field of a .smi file); every row counts,
and an empty SMILES is an invalid molecule. Recomputes everything from the SMILES alone
(the other columns of `molgan sample` files are ignored). Reports validity (sanitizes, one
fragment, over all rows), uniqueness, novelty, FCD, IntDiv, SNN, Frag, Scaf, Wasserstein-1
distances of QED/logP/SA/MW and the GuacaMol KL score. `--reference qm9` (default): novelty
against QM9's training split, distributions against its test split; `--reference moses`:
against MOSES' training and test splits, plus the MOSES suite as MOSES defines it (valid,
unique@1k/10k, FCD/SNN/Frag/Scaf against Test and TestSF, IntDiv1/2, Filters, Novelty,
logP/SA/QED/weight distances; needs `pip install --no-deps molsets`); a SMILES file: both
against its molecules (distributions: a fixed random 10,000 when larger). Reference
statistics are computed once and cached (about a minute for QM9, longer for MOSES).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from molgan.errors import InputError, write_error

log = logging.getLogger("molgan")
MOSES_PERCENT = ("valid", "Filters", "Novelty")

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("samples", metavar="SAMPLES.csv", help="generated SMILES: .csv (SMILES column) or .smi")
    parser.add_argument("--reference", default="qm9", metavar="qm9|moses|PATH",
                        help="qm9 (default), moses (adds the MOSES suite), or a SMILES file of reference molecules")
    parser.add_argument("-o", "--output", metavar="REPORT.json", help="also write the report as JSON")
    parser.add_argument("--smiles-column", help="SMILES column of SAMPLES.csv (default: found by name)")
    parser.add_argument("--reference-smiles-column", help="SMILES column of the reference file")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="dataset and reference cache directory (default: $MOLGAN_DATA_DIR or ./data)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for the RDKit work (default: the available cores)")


def run(args: argparse.Namespace) -> int:
    from molgan.api import evaluate
    from molgan.core.atomic import atomic_write
    from molgan.mol.data.sources import read_smiles_file

    start = time.monotonic()
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        raise InputError(f"{output}: is a directory")
    records = read_smiles_file(args.samples, args.smiles_column)
    report = evaluate(records.smiles, args.reference, args.data_dir, args.workers, progress=not args.quiet,
                      reference_smiles_column=args.reference_smiles_column, stated_reasons=records.reasons)
    report = {"samples": str(args.samples), **report, "seconds": round(time.monotonic() - start, 1)}
    sys.stdout.write(format_report(report))
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(output, encoding="utf-8") as handle:
                json.dump(report, handle, indent=1)
                handle.write("\n")
        except OSError as exc:
            raise write_error(output, exc) from None
        log.info("wrote %s", output)
    return 0


def _number(value, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def format_report(report: dict) -> str:
    lines = [f"{report['samples']}: {report['rows']} rows, {report['valid']} valid, {report['unique']} unique; "
             f"reference {report['reference']['name']}"]
    from molgan.mol.metrics.evaluation import METRICS, PERCENT_METRICS

    for key, label, meaning in METRICS:
        value = _number(report[key], percent=key in PERCENT_METRICS)
        lines.append(f"  {label:<11}{value:>9}   {meaning}")
    distances = ", ".join(f"{k} {_number(v)}" for k, v in report["wasserstein"].items())
    lines.append(f"  Wasserstein-1 to the reference: {distances}")
    structure = ", ".join(f"{k.replace('_', ' ')} {_number(v['generated'])} ({_number(v['reference'])})"
                          for k, v in report["structure"].items())
    lines.append(f"  per molecule, generated (reference): {structure}")
    passed = ", ".join(f"{k} {_number(v, percent=True)}" for k, v in report["filters_passed"].items())
    lines.append(f"  valid molecules passing (lipinski: at most 1 rule-of-five violation; others: no alert): {passed}")
    if report.get("moses"):
        moses = report["moses"]
        lines.append("  MOSES suite (valid: sanitizes, fragments allowed): " + ", ".join(
            f"{k} {_number(v, percent=k in MOSES_PERCENT or k.startswith('unique@'))}" for k, v in moses.items()))
    if report["invalid_reasons"]:
        lines.append("  invalid rows: " + ", ".join(f"{k} {v}" for k, v in report["invalid_reasons"].items()))
    return "\n".join(lines) + "\n"
