"""A decaying schedule fitted to the time budget the run gets (molgan/core/budget.py)."""
import pytest
from helpers import make_trainer

from molgan.core import budget
from molgan.core.budget import SchedulePlan
from molgan.core.checkpoint import load_checkpoint
from molgan.core.train_config import TrainConfig, lr_factor


def _config(**settings):
    return TrainConfig(**{"max_steps": 1000, "max_minutes": 10.0, "lr_schedule": "cosine", **settings})


def test_a_budget_that_cannot_reach_the_end_moves_it_to_where_the_budget_ends():
    config = _config()
    plan = SchedulePlan(config)
    factor = lr_factor(config, plan.schedule_end)
    plan.update(step=200, steps_here=200, seconds=150.0)  # 80 steps/min; 450 s left: 600 more steps
    assert plan.end == 800 and plan.schedule_end() == 800
    assert factor(800) == pytest.approx(0.0) and factor(400) == pytest.approx(0.5)
    plan.update(step=300, steps_here=300, seconds=30.0)  # faster now: the end never moves later
    assert plan.end == 800 and not plan.complete(799) and plan.complete(800)


def test_an_ample_budget_changes_nothing():
    config = _config()
    plan = SchedulePlan(config)
    plan.update(step=100, steps_here=100, seconds=30.0)  # 200 steps/min reach step 1000 well within
    assert plan.end is None and plan.schedule_end() == 1000
    assert lr_factor(config, plan.schedule_end)(500) == lr_factor(config)(500)


@pytest.mark.parametrize("settings, distributed", [
    ({"lr_schedule": "constant"}, False), ({"max_minutes": 0.0}, False), ({}, True),
    ({"policy_steps": 100, "likelihood_steps": 900}, False)])
def test_no_plan_without_a_decaying_schedule_a_budget_or_one_process(settings, distributed):
    plan = SchedulePlan(_config(**settings), distributed=distributed)
    plan.update(step=100, steps_here=100, seconds=500.0)
    assert not plan.active and plan.end is None


def test_a_resumed_run_keeps_its_plan_unless_it_asks_for_other_steps():
    plan = SchedulePlan(_config())
    plan.update(step=200, steps_here=200, seconds=150.0)
    same, longer = SchedulePlan(_config()), SchedulePlan(_config(max_steps=2000))
    same.load_state_dict(plan.state_dict())
    longer.load_state_dict(plan.state_dict())
    assert same.end == 800 and longer.end is None


def test_a_run_on_a_short_budget_completes_its_schedule_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(budget, "MIN_SECONDS", 0.3)
    trainer = make_trainer(tmp_path, max_steps=1_000_000, max_minutes=0.03, lr_schedule="cosine", log_every=1,
                           checkpoint_every=1_000_000)
    trainer.fit()
    # the plan and the budget end together: whichever stops the run, the rate has run out
    assert trainer.stop_reason in ("the learning-rate schedule fitted to the 0.03-minute budget is complete",
                                   "time budget of 0.03 min reached")
    end = trainer.schedule_plan.end
    assert 0 < trainer.step <= end < 1_000_000
    assert trainer.g_update.optimizer.param_groups[0]["lr"] < 0.01 * trainer.config.lr_g
    saved = load_checkpoint(next((tmp_path / "checkpoints").iterdir()))
    assert saved["schedule_plan"] == {"end": end, "max_steps": 1_000_000}
