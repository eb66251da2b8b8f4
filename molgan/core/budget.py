"""A decaying learning-rate schedule fitted to the time budget the run actually gets.

A preset that asks for N cosine steps within M minutes was sized on one machine. On a slower
one (another processor, two runs per core) the budget ends the run part-way, with the rate
still high: an unfinished schedule. `SchedulePlan` reads the run's own pace (steps per
second so far, evaluations and checkpoints included) and, when the rest of the budget will
not reach the schedule's end, moves the end to the step the budget will reach. The end only
moves earlier; the run stops there (and, as at any stop, evaluates and checkpoints). A run
whose budget is ample is unchanged step for step.
"""
from __future__ import annotations

import logging

from molgan.core.train_config import TrainConfig

log = logging.getLogger("molgan")

#: The pace is not read in the first seconds of a run (start-up, first batches).
MIN_SECONDS = 30.0
#: A new end is announced when it moved by more than this share since the last announcement.
ANNOUNCE = 0.05


class SchedulePlan:
    """Where the learning-rate schedule of a time-budgeted run ends.

    Active for a decaying schedule (`lr_schedule` linear or cosine) under `max_minutes`,
    on one process (under distributed training each replica's clock would give another end),
    and not before policy steps (their phase starts at a fixed step).

    Args:
        config: the run's training settings.
        distributed: True under distributed training (planning is off).
    """

    def __init__(self, config: TrainConfig, distributed: bool = False):
        self.config = config
        self.active = (bool(config.max_minutes) and config.lr_schedule != "constant" and not distributed
                       and not config.phases().get("policy"))
        self.end: int | None = None  # None: the configured end (TrainConfig.policy_start)
        self._announced: int | None = None

    def schedule_end(self) -> int:
        """The step at which the learning-rate schedule ends."""
        planned = self.config.policy_start
        return planned if self.end is None else min(self.end, planned)

    def update(self, step: int, steps_here: int, seconds: float) -> None:
        """Re-plan at `step`, after `steps_here` steps in `seconds` of this process's budget."""
        cfg = self.config
        if not self.active or seconds < MIN_SECONDS or steps_here < 1 or step >= self.schedule_end():
            return
        remaining = max(0.0, 60 * cfg.max_minutes - seconds)
        reachable = step + int(steps_here / seconds * remaining)
        if reachable >= self.schedule_end():
            return
        self.end = max(reachable, step + 1)
        if self._announced is None or abs(self.end - self._announced) > ANNOUNCE * self._announced:
            log.info("time budget: at %.1f steps/min the %g-minute budget reaches step ~%d of %d: the learning-rate "
                     "schedule now ends there", 60 * steps_here / seconds, cfg.max_minutes, self.end,
                     cfg.policy_start)
            self._announced = self.end

    def complete(self, step: int) -> bool:
        """True once a moved end is reached (the run stops)."""
        return self.end is not None and step >= self.end

    def state_dict(self) -> dict:
        return {"end": self.end, "max_steps": self.config.max_steps}

    def load_state_dict(self, state: dict | None) -> None:
        # A resumed run asked for other steps plans afresh: its schedule is another one.
        if self.active and state and state.get("max_steps") == self.config.max_steps:
            self.end = state["end"]
            self._announced = self.end
