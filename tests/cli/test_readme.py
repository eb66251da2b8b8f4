"""The README's set-up commands are the ones CI runs: they cannot drift apart."""

from helpers import ROOT


def _commands(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command():
    readme = _commands((ROOT / "README.md").read_text())
    ci = _commands((ROOT / ".ci" / "run").read_text())
    assert len(readme) == 2, "README must start with exactly two set-up commands"
    assert readme[0].endswith("molgan train --dataset qm9")
    assert ci == [readme[1]]
