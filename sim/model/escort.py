"""Ground escort: security teams (at least 3 gun trucks each) that take a convoy out on the
Syrian leg, come back, rest, and are ready for the next mission."""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy


class EscortTeams:
    """The pool of ground escort teams at the base: how many are ready now."""

    def __init__(self, teams: int, vehicles_per_team: int, rest_hours: float) -> None:
        self.teams = teams
        self.ready = teams
        self.vehicles_per_team = max(1, vehicles_per_team)
        self.rest_hours = rest_hours
        self.team_hours_busy = 0.0
        self.missions = 0

    def needed(self, vehicles: int) -> int:
        """Teams a convoy of this many vehicles needs (all teams at most)."""
        return min(self.teams, max(1, math.ceil(vehicles / self.vehicles_per_team)))

    def take(self, teams: int) -> None:
        """Teams leave with a convoy."""
        self.ready -= teams


def escort_mission(env: simpy.Environment, escort: EscortTeams, teams: int, out_hours: float, back_hours: float, back_at_base: Callable[[], None]) -> None:
    """From the border, where they hand the convoy over: teams drive back, rest, and are ready again.

    ``out_hours`` (base to border with the convoy) is already behind them; it counts
    in their busy time. ``back_at_base`` is told when they are ready, so a convoy
    waiting for them may leave. (A timer with a callback, not a process: one event a mission.)
    """

    def ready_again(_event: simpy.Event) -> None:
        escort.team_hours_busy += teams * (out_hours + back_hours + escort.rest_hours)
        escort.missions += 1
        escort.ready += teams
        back_at_base()

    env.timeout(back_hours + escort.rest_hours).callbacks.append(ready_again)
