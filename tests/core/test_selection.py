import pytest

from molgan.core.selection import BestTracker
from molgan.core.train_config import TrainConfig, parse_requirement


def test_an_evaluation_that_misses_the_requirement_is_never_best_but_uses_patience():
    tracker = BestTracker("fcd", "min", patience=3, requires=parse_requirement("uniqueness>=0.99"))
    evaluations = [(250, 3.3, 0.92), (500, 2.4, 0.983), (750, 2.6, 0.996), (1000, 2.7, 0.999), (1250, 2.5, 0.998)]
    best = [tracker.observe({"fcd": fcd, "uniqueness": u}, step) for step, fcd, u in evaluations]
    assert best == [False, False, True, False, True]  # 2.4 had 98.3 % unique molecules: not eligible
    assert (tracker.best, tracker.best_step, tracker.evals_since_best) == (2.5, 1250, 0)
    assert not tracker.observe({"fcd": 1.0}, 1500)  # the required metric missing: not eligible either
    assert not tracker.observe({"fcd": 1.0, "uniqueness": float("nan")}, 1750)
    assert not tracker.observe({"fcd": 1.0, "uniqueness": 0.5}, 2000)
    assert tracker.stop_reason() is not None


def test_patience_waits_for_a_first_eligible_evaluation():
    tracker = BestTracker("fcd", "min", patience=2, requires=parse_requirement("uniqueness>=0.99"))
    for step in (1, 2, 3, 4):  # low FCD, too few distinct molecules: no best.pt yet, no stop either
        assert not tracker.observe({"fcd": 1.0, "uniqueness": 0.9}, step)
    assert tracker.stop_reason() is None and tracker.best is None
    assert tracker.observe({"fcd": 3.0, "uniqueness": 0.995}, 5)
    tracker.observe({"fcd": 1.0, "uniqueness": 0.9}, 6)
    tracker.observe({"fcd": 4.0, "uniqueness": 0.999}, 7)
    assert "no better fcd in 2 evaluations (best 3 at step 5" in tracker.stop_reason()


def test_requirements_parse_both_directions_and_refuse_anything_else():
    assert parse_requirement("") is None
    assert parse_requirement("uniqueness>=0.99") == ("uniqueness", ">=", 0.99)
    assert parse_requirement(" d/gp <= 1e-2") == ("d/gp", "<=", 0.01)
    tracker = BestTracker("fcd", requires=parse_requirement("gap<=0.1"))
    assert not tracker.observe({"fcd": 2.0, "gap": 0.2}, 1) and tracker.observe({"fcd": 3.0, "gap": 0.05}, 2)
    for bad in ("uniqueness", "uniqueness>0.9", ">=0.9", "uniqueness>=high"):
        with pytest.raises(ValueError, match="best_requires must look like"):
            TrainConfig(best_requires=bad)
