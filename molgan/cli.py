"""The `molgan` command: argument parsing, logging, and turning errors into exit codes.

Each subcommand lives in `molgan/commands/<name>.py` with `add_arguments(parser)` and
`run(args) -> int`. Exit codes: 0 success, 1 runtime failure, 2 bad usage or input.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from molgan import __version__
from molgan.errors import MolganError, write_error

#: name -> one-line help; the module molgan.commands.<name> implements it.
COMMANDS = {
    "train": "train a GAN on molecules (qm9, moses or a SMILES file) or images (mnist, a folder)",
    "sample": "sample molecules from a trained generator into a SMILES CSV (or SDF)",
    "evaluate": "score a SMILES file: validity, uniqueness, novelty, FCD and the MOSES/GuacaMol metrics",
    "dock": "dock molecules against a protein target (AutoDock Vina): scores, poses, an on-disk cache",
    "report": "turn a samples file into one HTML page: metrics, histograms, filters, a molecule grid",
    "data": "inspect and prepare molecule datasets (QM9 or your own SMILES file)",
}

log = logging.getLogger("molgan")

#: Distributions whose versions matter for results; printed by --version and in CI.
DEPENDENCIES = ("torch", "torch_geometric", "rdkit", "numpy", "pandas", "scipy", "fcd_torch", "tqdm")


def versions() -> dict[str, str]:
    """Installed versions (read from package metadata: nothing is imported)."""
    from importlib import metadata

    found = {"molgan": __version__, "python": sys.version.split()[0]}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


class _Versions(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        sys.stdout.write("".join(f"{name} {version}\n" for name, version in versions().items()))
        raise SystemExit(0)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"molgan: {record.levelname.lower()}: {message}"
        return message


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="molgan", description="GAN-based molecule generation (MolGAN-style) "
                     "on a shared adversarial core that also trains image GANs.")
    parser.add_argument("--version", action=_Versions, nargs=0, help="show the versions of molgan and its dependencies")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=_Parser, required=True)
    for name, summary in COMMANDS.items():
        module = importlib.import_module(f"molgan.commands.{name}")
        sub = subparsers.add_parser(name, help=summary, description=module.__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def _setup_logging(quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.setLevel(logging.WARNING if quiet else logging.INFO)
    log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (also used by tests)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    _setup_logging(args.quiet)
    try:
        return int(args._run(args) or 0)
    except MolganError as exc:
        if args.debug:
            log.exception("error")
        sys.stderr.write(f"molgan: {exc.prefix}{exc}\n")
        return exc.exit_code
    except OSError as exc:  # a write that failed deep inside (checkpoint, log, cache)
        if args.debug:
            log.exception("error")
        from_atomic_write = isinstance(exc.__cause__, OSError)  # atomic_write names its target
        error = write_error(exc.filename or "a file", exc, atomic=from_atomic_write)
        sys.stderr.write(f"molgan: error: {error}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("molgan: interrupted\n")
        return 130
    except Exception as exc:  # a bug: say so in one line, traceback on request
        if args.debug:
            raise
        sys.stderr.write(f"molgan: internal error: {type(exc).__name__}: {exc} "
                         "(run with --debug for the traceback)\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
