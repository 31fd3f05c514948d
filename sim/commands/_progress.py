"""The progress bar that speaks where no bar shows: under nohup, CI or a pipe.

rich draws its bar only on a terminal; elsewhere a long study would be silent for minutes. This bar says the
size of the work first, then a plain line every few seconds (ten by default) with the work done, its rate and
the time left, and, on a terminal too, about how long work longer than a minute will take once its pace is
known. Imported by :func:`sim.commands._console.progress` when a command starts work, not by ``evacsim --help``.
"""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape
from rich.progress import Progress, TaskID


def clock_text(seconds: float) -> str:
    """``seconds`` as a person says a wait: ``40 s``, ``2 min 10 s``, ``1 h 05 min``, ``3.1 days``, ``52 years``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    days = seconds / 86400
    if days < 2 * 365.25:
        return f"{days:,.1f} days" if days < 10 else f"{days:,.0f} days"
    years = days / 365.25
    return f"{years:,.1f} years" if years < 10 else f"{years:,.0f} years"


SIZE_SAID_FROM = 10_000
"""Work of at least this many units says its size before it starts (a sweep of 500,000 replications); a run of 30
says nothing unless it lasts long enough for a line, which gives the total too."""


class _Pace:
    """What one task of the bar has said, and its pace since the first work came back (starting the workers and
    the work a resumed study kept are not its pace)."""

    def __init__(self, now: float, done: float) -> None:
        self.first: float | None = None
        self.done_then = done
        self.last_line = now
        self.said_size = False
        self.said_estimate = False

    def observe(self, done: float, now: float) -> float | None:
        """Units a second since the first work came back; None until a second lot is back."""
        if self.first is None:
            if done > self.done_then:
                self.first, self.done_then = now, done
            return None
        if now <= self.first or done <= self.done_then:
            return None
        return (done - self.done_then) / (now - self.first)


class SpeakingProgress(Progress):
    """rich's bar that also speaks (see the module). ``every``: seconds between plain lines off a terminal; the
    estimate is said, once, after a fifth of ``every`` of measured pace, for work that has over six ``every`` left
    (a minute by default). ``workers`` and ``unit`` (replications, steps) are said with the figures."""

    def __init__(self, *columns: Any, workers: int | None, unit: str, every: float, **kwargs: Any) -> None:
        super().__init__(*columns, **kwargs)
        self.workers = workers
        self.unit = unit
        self.every = every
        self.paces: dict[TaskID, _Pace] = {}
        self._started: dict[TaskID, float] = {}

    def add_task(self, description: str, start: bool = True, total: float | None = 100.0, completed: int = 0, visible: bool = True, **fields: Any) -> TaskID:
        task_id = super().add_task(description, start, total, completed, visible, **fields)
        self.paces[task_id] = _Pace(time.monotonic(), completed)
        self._started[task_id] = time.monotonic()
        self._say_size(task_id)
        return task_id

    def update(self, task_id: TaskID, **kwargs: Any) -> None:
        super().update(task_id, **kwargs)
        now = time.monotonic()
        task = self._tasks[task_id]
        pace = self.paces.setdefault(task_id, _Pace(now, task.completed))
        self._started.setdefault(task_id, now)
        self._say_size(task_id)
        rate = pace.observe(task.completed, now)
        left = max(0.0, task.total - task.completed) / rate if rate and task.total else None
        if left is not None and not pace.said_estimate and pace.first is not None and now - pace.first >= self.every / 5:
            pace.said_estimate = True
            if left > 6 * self.every:
                self._say(
                    f"estimated duration: about {clock_text(left)} more for {task.total:,.0f} {self.unit} at ~{rate:,.0f}/s"
                    f"{self._on_workers()}; Ctrl-C stops it"
                )
        if self._speaking and now - pace.last_line >= self.every:
            pace.last_line = now
            of = f" of {task.total:,.0f}" if task.total else ""
            share = f" ({100 * task.completed / task.total:.0f}%)" if task.total else ""
            speed = f", {rate:,.0f}/s" if rate else ""
            time_left = f", about {clock_text(left)} left" if left is not None else ""
            if not task.total:
                time_left = f", {clock_text(now - self._started[task_id])} so far (its total is not known ahead)"
            self._say(f"{task.description}: {task.completed:,.0f}{of} {self.unit} done{share}{speed}{time_left}")

    @property
    def _speaking(self) -> bool:
        return not self.console.is_terminal

    def _say_size(self, task_id: TaskID) -> None:
        """Large work says its size before it starts; smaller work says it in its first line, if it lasts that long."""
        task, pace = self._tasks[task_id], self.paces[task_id]
        if task.total and task.total >= SIZE_SAID_FROM and not pace.said_size and self._speaking:
            pace.said_size = True
            self._say(f"{task.description}: {task.total:,.0f} {self.unit} to run{self._on_workers()}")

    def _on_workers(self) -> str:
        return f" on {self.workers} worker{'s' if self.workers != 1 else ''}" if self.workers else ""

    def _say(self, line: str) -> None:
        self.console.print(escape(line), highlight=False, soft_wrap=True)
