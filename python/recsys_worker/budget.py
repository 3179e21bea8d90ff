"""A seconds budget for a training loop, as lib/training/budget.ts: honoured between epochs, an
epoch that has started always finishes, and one is not started when, judged by the last epoch's
duration (its validation included), it would end past the budget. At least one epoch is trained
per attempt, so the model is never the untrained one. Seconds already spent by an earlier
attempt of the same stage (carried in its heartbeats as `trainingSeconds`) count too, so a retry
does not get a fresh budget."""

import math
import time
from collections.abc import Callable

from .state_io import BadArtifact


class TrainingBudget:
    def __init__(self, budget_seconds: float, already_spent: float = 0.0,
                 now: Callable[[], float] = time.monotonic):
        if not (isinstance(budget_seconds, (int, float)) and budget_seconds > 0):
            raise ValueError(f"budgetSeconds must be > 0, got {budget_seconds!r}")
        self.budget_seconds = float(budget_seconds)
        self._now = now
        self._start = now() - already_spent
        self._last_end = now()
        self._last_epoch: float | None = None
        self.stopped = False
        """True when should_stop ended training (the budget, not patience or the epoch limit)."""

    def should_stop(self) -> bool:
        """Asked before each epoch: True once the next one would not fit in the budget."""
        if self._last_epoch is not None and self._now() - self._start + self._last_epoch > self.budget_seconds:
            self.stopped = True
        return self.stopped

    def epoch_done(self) -> None:
        """An epoch (and its validation) has finished."""
        t = self._now()
        self._last_epoch = t - self._last_end
        self._last_end = t

    def spent_seconds(self) -> float:
        """Seconds spent so far, earlier attempts included."""
        return self._now() - self._start


def spent_by_earlier_attempt(previous_heartbeat: dict | None) -> float:
    """Seconds an earlier attempt reported as spent in its last heartbeat (`trainingSeconds`)."""
    s = (previous_heartbeat or {}).get("trainingSeconds")
    if isinstance(s, bool) or not isinstance(s, (int, float)):
        return 0.0
    return float(s) if math.isfinite(s) and s > 0 else 0.0


def budget_of(section: dict, previous_heartbeat: dict | None, resumed: bool) -> TrainingBudget | None:
    """The budget a stage config section asks for (`budgetSeconds`), None without one. Only a
    resumed attempt inherits the seconds spent: one that starts over trains anew."""
    seconds = section.get("budgetSeconds")
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise BadArtifact(f"budgetSeconds {seconds!r}: expected a number of seconds > 0")
    return TrainingBudget(seconds, spent_by_earlier_attempt(previous_heartbeat) if resumed else 0.0)
