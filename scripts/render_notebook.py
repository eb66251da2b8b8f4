"""Run a report notebook on your files and save a copy with its outputs, ready to read.

  python scripts/render_notebook.py notebooks/validity_novelty_report.ipynb report.ipynb \
      --set MOLGAN_SAMPLES=samples.csv --set MOLGAN_REFERENCE=qm9
  python scripts/render_notebook.py notebooks/training_curves.ipynb curves.ipynb --set MOLGAN_RUN=runs/qm9

The committed notebooks carry no outputs (reviewable diffs); the parameters cell of each
reads the MOLGAN_* environment variables given here with --set. Needs the notebook
extra: pip install -e '.[notebooks]'.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("output")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    try:
        import nbclient
        import nbformat
    except ImportError:
        sys.exit("this needs the notebook extra: pip install -e '.[notebooks]'")
    for item in args.sets:
        name, _, value = item.partition("=")
        os.environ[name] = value
    notebook = nbformat.read(args.notebook, as_version=4)
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": os.getcwd()}}).execute()
    nbformat.write(notebook, args.output)
    print(f"wrote {Path(args.output).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
