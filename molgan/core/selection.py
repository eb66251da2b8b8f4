"""Which evaluation was the best so far, and when to stop waiting for a better one."""
from __future__ import annotations

import math


class BestTracker:
    """Follows `metric` over evaluations ("min" or "max" is better): the best value and its
    step (for best.pt), and evaluations since then (for `train.patience`).

    An evaluation without the metric (turned off, e.g. `fcd = false`) never counts; one that
    misses `requires` (metric, ">=" or "<=", threshold) cannot be the best, and counts towards
    the patience only once some evaluation has been the best (a run is not stopped before
    it has a best.pt).
    """

    def __init__(self, metric: str, mode: str = "min", patience: int = 0,
                 requires: tuple[str, str, float] | None = None):
        self.metric, self.mode, self.patience, self.requires = metric, mode, patience, requires
        self.best: float | None = None
        self.best_step = 0
        self.evals_since_best = 0

    def observe(self, metrics: dict[str, float], step: int) -> bool:
        """Record one evaluation; True if it is the best so far."""
        value = metrics.get(self.metric) if self.metric else None
        if value is None:
            return False
        is_best = math.isfinite(value) and self._eligible(metrics) and (
            self.best is None or (value < self.best if self.mode == "min" else value > self.best))
        if is_best:
            self.best, self.best_step = value, step
        if is_best or self.best is not None or self.requires is None:
            self.evals_since_best = 0 if is_best else self.evals_since_best + 1
        return is_best

    def _eligible(self, metrics: dict[str, float]) -> bool:
        if self.requires is None:
            return True
        name, operator, threshold = self.requires
        value = metrics.get(name)
        if value is None or not math.isfinite(value):
            return False
        return value >= threshold if operator == ">=" else value <= threshold

    def stop_reason(self) -> str | None:
        """Why patience says stop now, or None."""
        if not self.patience or self.evals_since_best < self.patience:
            return None
        best = f"best {self.best:.4g} at step {self.best_step}" if self.best is not None else "no finite value yet"
        return f"no better {self.metric} in {self.evals_since_best} evaluations ({best}; train.patience)"

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step, "evals_since_best": self.evals_since_best}

    def load_state_dict(self, state: dict) -> None:
        self.best = state["best"]
        self.best_step, self.evals_since_best = state.get("best_step", 0), state.get("evals_since_best", 0)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.metric!r}, {self.mode}, best={self.best}, "
                f"best_step={self.best_step}, patience={self.evals_since_best}/{self.patience})")
