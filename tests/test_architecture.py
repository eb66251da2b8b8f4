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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_two_modules_import_each_other():
    """Each folder reads bottom-up: no cycle among the package's modules, counting every
    import (function-level and type-checking ones too)."""
    modules = {_module_name(p): p for p in _modules()}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in _imports(path):
            # `from molgan.a import b` names module molgan.a.b when there is one, else molgan.a
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(imported + "."):
                targets.add(imported)
        graph[name] = targets
    cycles = []
    for start in graph:  # a path from a module's imports back to it
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join(path + [start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
    assert not cycles, cycles[:5]


def test_the_cycle_check_sees_a_cycle(tmp_path, monkeypatch):
    """The check above can fail: two modules that import each other are a cycle."""
    import importlib

    folder = tmp_path / "molgan"
    folder.mkdir()
    (folder / "a.py").write_text("from molgan import b\n")
    (folder / "b.py").write_text("def f():\n    from molgan.a import g\n")
    module = importlib.import_module(__name__)
    monkeypatch.setattr(module, "PACKAGE", folder)
    monkeypatch.setattr(module, "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="molgan.a -> molgan.b -> molgan.a"):
        test_no_two_modules_import_each_other()
