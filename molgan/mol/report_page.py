"""The HTML report: the validity/novelty notebook run on a samples file and exported as one
self-contained page (figures and molecule drawings inline, no script or style from the
network), so that the page and the notebook are the same code.

Needs the report extra's nbclient, nbconvert and ipykernel (`pip install -e '.[notebooks]'`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from molgan.errors import InputError, RunFailure

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "validity_novelty_report.ipynb"
#: Scripts and style links that fetch from the network: nbconvert's template loads MathJax,
#: and Mermaid (for diagrams) from CDNs; the report has no formula or diagram to render.
_REMOTE = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>"
                     r"|<script[^>]*>(?:(?!</script>).)*?import\(\"https?://.*?</script>"
                     r"|<script type=\"text/x-mathjax-config\">.*?</script>"
                     r"|<link[^>]*\bhref=\"https?://[^>]*>", re.IGNORECASE | re.DOTALL)


def render_report(samples: str | Path, run: str | Path | None = None, reference: str = "qm9",
                  data_dir: str | Path | None = None, grid: int = 200, timeout: int = 3600,
                  screen: str | Path | None = None) -> str:
    """The report page of `samples` (a samples CSV) as HTML text; `run`: a run directory
    whose training curves it shows; `screen`: a `molgan dock` output its docking scores are
    compared with."""
    try:
        import nbclient
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:
        raise InputError("molgan report needs the notebook extra: pip install -e '.[notebooks]'") from None
    if not NOTEBOOK.is_file():
        raise RunFailure(f"the report notebook {NOTEBOOK} is missing from this installation")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = {**os.environ, "MOLGAN_SAMPLES": str(Path(samples).resolve()), "MOLGAN_REFERENCE": reference,
           "MOLGAN_RUN": str(Path(run).resolve()) if run else "", "MOLGAN_GRID": str(grid),
           "MOLGAN_SCREEN": str(Path(screen).resolve()) if screen else "",
           "TQDM_DISABLE": "1"}  # progress bars are for terminals, not for the page
    if data_dir:
        env["MOLGAN_DATA_DIR"] = str(Path(data_dir).resolve())
    client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": os.getcwd()}})
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as exc:
        raise RunFailure(f"the report notebook failed: {exc.ename}: {exc.evalue}") from None
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    page, _ = exporter.from_notebook_node(notebook)
    return _REMOTE.sub("", page)
