"""Ground escort: security teams (at least 3 gun trucks each) that take a convoy out on the
Syrian leg, come back, rest, and are ready for the next mission."""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from sim.model.convoy import Convoy
from sim.model.parts import BaseSetup, Column, Hold, Part, share


class EscortTeams:
    """The pool of ground escort teams at the base: how many are ready now."""

    def __init__(self, teams: int, vehicles_per_team: int, rest_hours: float) -> None:
        self.teams = teams
        self.ready = teams
        self.vehicles_per_team = max(1, vehicles_per_team)
        self.rest_hours = rest_hours
        self.team_hours_busy = 0.0
        self.missions = 0
        self.listeners: list[Callable[[bool], None]] = []  # bases told when teams are ready again (whether told last)

    def needed(self, vehicles: int) -> int:
        """Teams a convoy of this many vehicles needs (all teams at most)."""
        return min(self.teams, max(1, math.ceil(vehicles / self.vehicles_per_team)))

    def take(self, teams: int) -> None:
        """Teams leave with a convoy."""
        self.ready -= teams

    def back_at_bases(self) -> None:
        """Teams are ready again: every base that calls on this pool may dispatch a convoy waiting for them (the
        last told is told so: nothing follows in this step, and its dispatcher may look at once)."""
        last = len(self.listeners) - 1
        for i, listener in enumerate(self.listeners):
            listener(i == last)


def escort_mission(
    env: simpy.Environment,
    escort: EscortTeams,
    teams: int,
    out_hours: float,
    back_hours: float,
    back_at_base: Callable[[], None],
    for_base: EscortView | None = None,
) -> None:
    """From the border, where they hand the convoy over: teams drive back, rest, and are ready again.

    ``out_hours`` (base to border with the convoy) is already behind them; it counts
    in their busy time, the pool's and that of ``for_base``, the base whose convoy they took out.
    ``back_at_base`` is told when they are ready, so a convoy waiting for them may leave.
    (A timer with a callback, not a process: one event a mission.)
    """

    def ready_again(_event: simpy.Event) -> None:
        hours = teams * (out_hours + back_hours + escort.rest_hours)
        escort.team_hours_busy += hours
        if for_base is not None:
            for_base.charge(escort, hours)
        escort.missions += 1
        escort.ready += teams
        back_at_base()

    env.timeout(back_hours + escort.rest_hours).callbacks.append(ready_again)


class EscortView(Part):
    """The escort teams one base may call on: its pools' teams, in order of preference.

    With one pool (a one-base scenario) it is that pool; with several, a convoy takes
    teams from the first pool with teams ready, then the next. A convoy waits at the
    gate until the teams it needs are ready. The team-hours of the missions that took
    this base's convoys out are charged to it (:attr:`team_hours_busy`): a pool shared
    by several bases splits its busy hours between them, the base whose convoy it was.
    """

    causes = ("escort",)

    @classmethod
    def for_base(cls, setup: BaseSetup) -> EscortView:
        s = setup.scenario
        return cls([setup.shared.escort_pools[p] for p in setup.spec.pools], int(s.escort.vehicles_per_team), s.escort.rest_hours)

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        return ("escort", math.inf) if self.ready < convoy.escort_teams else None

    def departs(self, convoy: Convoy, now: float) -> None:
        convoy.escort_from = self.take(convoy.escort_teams)

    def columns(self, span: float) -> dict[str, Column]:
        return {"utilisation.escort teams": share(self.team_hours_busy, self.teams * span)}

    def __init__(self, pools: list[EscortTeams], vehicles_per_team: int, rest_hours: float) -> None:
        self.pools = pools
        self.teams = sum(p.teams for p in pools)
        self.vehicles_per_team = max(1, vehicles_per_team)
        self.rest_hours = rest_hours
        self.hours_from = [0.0] * len(pools)  # team-hours of each pool's missions with this base's convoys

    @property
    def ready(self) -> int:
        return sum(p.ready for p in self.pools)

    @property
    def team_hours_busy(self) -> float:
        """Team-hours (out with the convoy, back, rest) of the missions that took this base's convoys out, of all its pools."""
        return sum(self.hours_from)

    def charge(self, pool: EscortTeams, hours: float) -> None:
        """A mission of ``pool``'s teams with one of this base's convoys is over: its ``hours`` are this base's."""
        i = next(i for i, p in enumerate(self.pools) if p is pool)
        self.hours_from[i] += hours

    def needed(self, vehicles: int) -> int:
        """Teams a convoy of this many vehicles needs (all teams at most)."""
        return min(self.teams, max(1, math.ceil(vehicles / self.vehicles_per_team)))

    def take(self, teams: int) -> list[tuple[EscortTeams, int]]:
        """Teams leave with a convoy; returns how many from each pool."""
        out = []
        for pool in self.pools:
            n = min(teams, pool.ready)
            if n > 0:
                pool.take(n)
                out.append((pool, n))
                teams -= n
            if teams == 0:
                break
        return out
