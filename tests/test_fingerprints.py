"""A change that moves what a default run computes fails here, naming the benchmark to re-run.

The fingerprints (scripts/fingerprints.py) are the networks' parameters after a few steps of
each preset, seed 0, one thread, recorded in docs/results/fingerprints.json with the
processor and torch build they were computed on: other processors round differently, so the
comparison runs only on the recorded kind of machine.
"""
import json
import sys

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import fingerprints  # noqa: E402

RECORD = json.loads(fingerprints.RECORD.read_text())


@pytest.mark.parametrize("preset", list(fingerprints.PRESETS))
def test_default_runs_compute_what_their_benchmarks_measured(preset, qm9_cache):
    here = fingerprints.machine()
    if RECORD["machine"] != here:
        pytest.skip(f"fingerprints were recorded on {RECORD['machine']}, this is {here}")
    recorded = RECORD["presets"][preset]
    assert fingerprints.fingerprint(preset, qm9_cache) == recorded["sha256"], (
        f"the {preset} preset now trains differently: re-run its benchmark ({recorded['rerun']}; "
        f"{recorded['benchmark']}), then record the new fingerprint: python scripts/fingerprints.py --write")


def test_a_changed_setting_changes_the_fingerprint(qm9_cache, monkeypatch):
    """The fingerprint sees a change of what the run computes (here a learning rate)."""
    settings, benchmark, command = fingerprints.PRESETS["qm9"]
    monkeypatch.setitem(fingerprints.PRESETS, "qm9", (["--set", "lr_g=6e-5"], benchmark, command))
    changed = fingerprints.fingerprint("qm9", qm9_cache)
    monkeypatch.setitem(fingerprints.PRESETS, "qm9", (settings, benchmark, command))
    assert changed != fingerprints.fingerprint("qm9", qm9_cache)
