"""The walls of the package, checked on every import statement (function-level ones too):
the core knows no domain, molecules and images do not know each other, the library never
imports the command line, and RDKit stays in the chemistry modules."""
import ast
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGE = ROOT / "molgan"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(ROOT)} imports {name}" for p in paths for name in sorted(_imports(p))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_the_walls_are_checked_on_real_imports():
    # The checker itself: a module that does import the CLI is caught.
    assert _offending([PACKAGE / "__main__.py"], ("molgan.cli",)) == ["molgan/__main__.py imports molgan.cli",
                                                                     "molgan/__main__.py imports molgan.cli.main"]


@pytest.mark.parametrize("folder, forbidden", [
    ("core", ("molgan.mol", "molgan.image", "molgan.commands", "molgan.cli", "molgan.api", "molgan.domains")),
    ("mol", ("molgan.image", "molgan.commands", "molgan.cli")),
    ("image", ("molgan.mol", "molgan.commands", "molgan.cli")),
])
def test_layers_import_only_what_they_may(folder, forbidden):
    assert _offending(_modules(folder), forbidden) == []


def test_the_library_never_imports_the_command_line():
    library = [p for p in _modules() if p.parent.name != "commands" and p.name not in ("cli.py", "__main__.py")]
    assert len(library) > 40
    assert _offending(library, ("molgan.commands", "molgan.cli")) == []


def test_rdkit_stays_in_the_chemistry_modules():
    outside = [p for p in _modules() if "mol" not in p.relative_to(PACKAGE).parts[:1]]
    assert _offending(outside, ("rdkit",)) == []
