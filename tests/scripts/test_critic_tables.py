"""scripts/critic_tables.py: the critic benchmark's section reads each seed's change of FCD."""
import sys

import pytest
from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import critic_tables  # noqa: E402


def _result():
    seeds = [{"seed": 0, "likelihood": {"fcd": 2.0}, "critic": {"fcd": 1.5}},
             {"seed": 1, "likelihood": {"fcd": 1.0}, "critic": {"fcd": 1.1}}]
    arm = {"minutes": {"mean": 28.0, "worst": 28.1}, "steps": {"mean": 8123.0, "worst": 8000},
           "fcd": {"mean": 1.3, "worst": 1.5}, "validity_uncorrected": {"mean": 0.95, "worst": 0.9}}
    return {"benchmark": "critic_qm9", "seeds": seeds, "summary": {"likelihood": arm, "critic": arm},
            "samples": 10000, "critic_settings": ["policy_critic_weight=1"], "command": "python scripts/x.py",
            "date": "2026-12-06", "commit": "abc", "machine": "m", "threads": 1, "torch": "2", "_file": "x.json"}


def test_fcd_changes_are_relative_to_the_likelihood_arm_of_the_same_seed():
    assert critic_tables.fcd_changes(_result()) == pytest.approx([-0.25, 0.1])


def test_section_states_each_seed_and_the_missing_columns():
    text = "\n".join(critic_tables.critic_section(_result()))
    assert "-25.0%, +10.0%" in text
    assert "| likelihood | 28.0 | 8,123 | – | 95.0% (worst 90.0%) | – | – | 1.30 (worst 1.50) |" in text
