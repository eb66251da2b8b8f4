"""Run logging: a CSV of metrics (rewritten atomically), and TensorBoard when installed."""
from __future__ import annotations

import csv
import io
import logging
import math
from pathlib import Path

from molgan.core.atomic import atomic_write

log = logging.getLogger(__name__)


class MetricsLog:
    """Rows of {step, metric: value}; `metrics.csv` gains columns as new metrics appear.

    The whole file is rewritten atomically on each flush (it stays small: one row per log
    interval), so a crash never leaves a half-written row. On resume, rows after the
    resumed step are dropped: they belong to a future that is being recomputed.
    """

    def __init__(self, run_dir: str | Path, enabled: bool = True, tensorboard: bool = True,
                 resume_step: int | None = None):
        self.path = Path(run_dir) / "metrics.csv"
        self.enabled = enabled
        self.rows: list[dict] = []
        self._dirty = False  # rows logged since the last flush
        if enabled and resume_step is not None and self.path.is_file():
            with open(self.path, newline="", encoding="utf-8") as handle:
                self.rows = [{k: _number(v) for k, v in row.items() if v != ""}
                             for row in csv.DictReader(handle) if int(row["step"]) <= resume_step]
        self.writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                log.info("tensorboard not installed: metrics go to metrics.csv only "
                         "(pip install tensorboard for event files)")
            else:
                self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"))

    def log(self, step: int, metrics: dict[str, float]) -> None:
        if not self.enabled:
            return
        self._dirty = True
        if self.rows and self.rows[-1]["step"] == step:
            self.rows[-1].update(metrics)
        else:
            self.rows.append({"step": step, **metrics})
        if self.writer is not None:
            for name, value in metrics.items():
                self.writer.add_scalar(name, value, step)

    def flush(self) -> None:
        if not self.enabled or not self._dirty:
            return
        self._dirty = False
        columns = ["step"] + sorted({k for row in self.rows for k in row} - {"step"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows(self.rows)
        with atomic_write(self.path, newline="", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


def _number(text: str):
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


class Milestones:
    """The first evaluation at which each named set of thresholds was met, e.g.
    {"validity>=0.9,uniqueness>=0.9": {"validity": 0.9, "uniqueness": 0.9}}: time-to-quality."""

    def __init__(self, targets: dict[str, dict[str, float]]):
        self.targets = targets
        self.reached: dict[str, dict[str, float]] = {}

    def update(self, metrics: dict[str, float], step: int, minutes: float) -> list[str]:
        """Record and return the names first met by `metrics`."""
        new = [name for name, thresholds in self.targets.items() if name not in self.reached
               and all(metrics.get(key, float("-inf")) >= value for key, value in thresholds.items())]
        for name in new:
            self.reached[name] = {"step": step, "minutes": round(minutes, 2)}
        return new

    def summary(self) -> dict[str, dict[str, float] | None]:
        return {name: self.reached.get(name) for name in self.targets}


def finite_or_none(value):
    """`value` with every NaN or infinity (also inside dicts and lists) replaced by None:
    JSON has no NaN, and an undefined metric is null."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_or_none(v) for v in value]
    return None if isinstance(value, float) and not math.isfinite(value) else value
