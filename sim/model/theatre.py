"""The theatre: several bases emptying at once on one road network, for one replication.

:class:`Theatre` builds once what the bases share (the road network and its threat
closures, the crossings, the pools of trucks, escort teams and Apaches, the weather,
the pause, breakdowns), draws which bases are left at all (``leaves``), and hands the
shared parts to one :class:`~sim.model.evacuation.Evacuation` per base. Bases start at
their ``start_day`` or when the base named in ``after`` is empty; a base sending to a
hub delivers there; trucks a base no longer needs drive empty to a base that does.
A one-base scenario is a theatre of one base (the one-base shorthand).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.model.at_rest import RestBoard
from sim.model.calendar import Closures
from sim.model.convoy import CONTRACTED, KINDS, Convoy
from sim.model.convoys import dispatch_convoys, form_convoys
from sim.model.counting import CountingEnvironment
from sim.model.deadline import close_at_deadline
from sim.model.evacuation import Evacuation
from sim.model.network import Network
from sim.model.outcome import Outcome, TheatreOutcome
from sim.model.shared import Shared
from sim.model.streams import Streams
from sim.scenario.schema import Scenario

_ONE = {kind: frozenset({kind}) for kind in KINDS}
"""Each truck type alone, as the cargo's questions take it."""


class Theatre:
    """Everything the bases of one replication share (:attr:`shared`), and the bases themselves; it answers
    what a base asks about the others (:class:`~sim.model.shared.Neighbours`)."""

    def __init__(self, env: simpy.Environment, s: Scenario, streams: Streams, trace: bool = False, build: bool = True) -> None:
        self.env = env
        self.scenario = s
        self.shared = Shared.draw(env, s, streams, trace, self)
        self.horizon_hours = self.shared.horizon_hours
        self.network: Network = self.shared.network
        self.leaves = self.shared.leaves
        self.truck_pools = self.shared.truck_pools
        self.bases: dict[str, Evacuation] = {}
        self._sharers: dict[str, list[Evacuation]] = {}
        self._board: RestBoard | None = None  # the waits for trucks to come to rest (bases that share a pool)
        self._collecting: dict[str, float] = {}  # a finished base's next look at its trucks out of repair: when
        self._needed_by: dict[str, tuple[object, list[str]]] = {}  # each base's stamp and the truck types it needed then
        self._loose: dict[tuple[str, str], tuple[tuple[object, ...], tuple[str, ...]]] = {}  # (base, pool): its stamp, the types idle it did not keep then
        self._users: dict[str, list[Evacuation]] = {}
        self._short_by: dict[str, tuple[list[str], list[tuple[str, str]]]] = {}  # each base: its needed types, (pool, type)s
        self._rank = {name: i for i, name in enumerate(self.network.bases)}  # file order
        if build:
            self._build_bases()

    @property
    def threats(self) -> list[Closures]:
        """Each road's threat closures (by road index)."""
        return self.shared.threats

    # --- pools --------------------------------------------------------------------------
    def trucks_come_to_rest(self, base: str, may_come: Callable[[], int] | None = None) -> simpy.Event:
        """Fires when something happens that can change what ``base``, short of trucks, may get (the rule of
        :mod:`sim.model.at_rest`): trucks come to rest at it; trucks of a type it is short of stand idle at a base of
        its pools that does not keep them; or no truck may come to it any more (``may_come``, how many may)."""
        evac = self.bases[base]
        if self._board is None or not self._sharing(evac):
            return evac.fleet.returned()
        fleet = evac.fleet
        return self._board.wait(self.env, base, may_come, fleet.waiting_since if fleet.waiting else self.env.now)

    def short_of(self, base: str) -> list[tuple[str, str]]:
        """(pool, truck type) of each type ``base`` needs (:meth:`_needs`), in each of its pools: what it waits for."""
        evac = self.bases[base]
        needed = self._needed(evac)
        hit = self._short_by.get(base)
        if hit is None or hit[0] is not needed:  # the list _needed keeps while the base's state is the same
            hit = self._short_by[base] = (needed, [(pool, kind) for pool in evac.spec.pools for kind in needed])
        return hit[1]

    def loose_at(self, base: str) -> list[tuple[str, str]]:
        """(pool, truck type) of the trucks idle at ``base`` that it does not keep (:meth:`_idle_not_kept`)."""
        evac = self.bases[base]
        out: list[tuple[str, str]] = []
        for pool in evac.spec.pools:
            if base in self.truck_pools[pool].idle_at:
                out.extend((pool, kind) for kind in self._idle_not_kept(base, pool))
        return out

    def _sharing(self, evac: Evacuation) -> list[Evacuation]:
        """The other bases sharing one of ``evac``'s pools, in file order (worked out once)."""
        others = self._sharers.get(evac.name)
        if others is None:
            pools = set(evac.spec.pools)
            others = self._sharers[evac.name] = [b for b in self.bases.values() if b is not evac and pools & set(b.spec.pools)]
        return others

    def _pool_users(self, pool: str) -> list[Evacuation]:
        """The bases that list ``pool``, in file order (worked out once)."""
        users = self._users.get(pool)
        if users is None:
            users = self._users[pool] = [b for b in self.bases.values() if pool in b.spec.pools]
        return users

    def standing_elsewhere(self, base: str, kinds: frozenset[str], only_waiting: bool = False) -> int:
        """Trucks of ``kinds`` of ``base``'s pools standing at the other bases (not on the road, not in repair);
        ``only_waiting``: at those that are themselves waiting for trucks, which keep theirs. Counted by the pools."""
        return self.bases[base].fleet.standing_elsewhere(kinds, only_waiting)

    def _needs(self, evac: Evacuation, kind: str) -> bool:
        """Whether a base still needs trucks of ``kind``: cargo they can take, a hub's feeders still to come, or cab seats."""
        if evac.road_done or not self.leaves[evac.name] or evac.stuck:
            return False
        if evac.inventory.road_remaining(_ONE[kind]) > 0 or evac.waiting_for_feeders():
            return True
        return kind in evac.fleet.cab_seats

    def _keeps(self, evac: Evacuation, kind: str) -> bool:
        """Whether a base keeps its idle trucks of ``kind``: it has cargo for them now, or may need their cab seats
        (not a hub with nothing to send until its feeders deliver)."""
        if evac.road_done or not self.leaves[evac.name] or evac.stuck or evac.started_at is None:  # not started: idle
            return False
        if evac.inventory.road_remaining(_ONE[kind]) > 0:
            return True
        return kind in evac.fleet.cab_seats and not evac.waiting_for_feeders()

    def call_trucks(self, base: str) -> None:
        """``base`` waits for trucks: idle ones of its pools at other bases that do not keep them drive over (the
        bases in file order, each one's types in their order)."""
        if len(self.bases) < 2:
            return
        evac = self.bases[base]
        needed: list[str] | None = None  # asked once (nothing below changes what this base needs)
        for pool in evac.spec.pools:
            idle_at = self.truck_pools[pool].idle_at
            if not idle_at or (len(idle_at) == 1 and base in idle_at):
                continue
            if needed is None:
                needed = self._needed(evac)
            if not needed:
                return
            wanted = set(needed)
            giving: list[tuple[Evacuation, tuple[str, ...]]] = []
            known, bases, stamp = self._loose, self.bases, self._stamp
            for name in idle_at:  # the bases of the pool with idle trucks now
                if name == base:
                    continue
                other, hit = bases[name], known.get((name, pool))
                loose = hit[1] if hit is not None and hit[0] == stamp(other) else self._idle_not_kept(name, pool)
                if loose and not wanted.isdisjoint(loose):
                    giving.append((other, loose))
            if len(giving) > 1:
                rank = self._rank
                giving.sort(key=lambda given: rank[given[0].name])
            for other, loose in giving:  # in file order
                for kind in loose:
                    if kind in needed:
                        self._reposition(other, evac, pool, kind, other.fleet.take_idle(pool, kind))
                        evac.fleet.waiting_since = self.env.now  # served: among bases short of trucks, it goes to the back

    def _idle_not_kept(self, name: str, pool: str) -> tuple[str, ...]:
        """The truck types of ``pool`` idle at the base ``name`` that it does not keep (:meth:`_keeps`), in their
        order: those another base of the pool may call over. Asked again only when the base's state changed."""
        other = self.bases[name]
        stamp = self._stamp(other)
        hit = self._loose.get((name, pool))
        if hit is None or hit[0] != stamp:
            standing = other.fleet.standing
            hit = self._loose[name, pool] = (stamp, tuple(kind for kind in KINDS if standing(pool, kind) > 0 and not self._keeps(other, kind)))
        return hit[1]

    def _needed(self, evac: Evacuation) -> list[str]:
        """The truck types ``evac`` needs (:meth:`_needs`), asked again only when its state changed."""
        stamp = self._stamp(evac)
        hit = self._needed_by.get(evac.name)
        if hit is None or hit[0] != stamp:
            hit = self._needed_by[evac.name] = (stamp, [kind for kind in KINDS if self._needs(evac, kind)])
        return hit[1]

    @staticmethod
    def _stamp(evac: Evacuation) -> tuple[object, ...]:
        """Everything whether a base needs trucks, or keeps its idle ones, depends on that can change (its trucks
        standing, its loads left, whether it started, finished or is stuck, whether its feeders still send): with the
        same stamp, the same answers."""
        return (evac.fleet.changes, evac.inventory.changes, evac.road_done, evac.stuck, evac.started_at is None, evac.waiting_for_feeders())

    def trucks_arrived(self, base: str) -> None:
        """Trucks are idle at ``base``: those of kinds it does not keep drive empty to the first base (file order)
        of their pool that needs them. Repairs still under way at a finished base are forwarded when done."""
        if len(self.bases) < 2:
            return
        evac = self.bases[base]
        for pool_name in evac.spec.pools:
            users = self._pool_users(pool_name)
            if len(users) < 2:
                continue
            for kind in [k for k, n in evac.fleet.idle(pool_name).items() if n > 0]:
                if self._keeps(evac, kind):
                    continue
                target = next((b for b in users if b is not evac and kind in self._needed(b)), None)
                if target is None:
                    continue
                self._reposition(evac, target, pool_name, kind, evac.fleet.take_idle(pool_name, kind))
        t = evac.fleet.next_repair()
        if evac.road_done and t is not None:
            hours = max(0.0, t - self.env.now)
            at = self.env.now + hours
            if self._collecting.get(base) == at:  # already to be collected then: one look is enough
                return

            def collect(_event: simpy.Event, evac: Evacuation = evac, at: float = at) -> None:
                if self._collecting.get(evac.name) == at:
                    del self._collecting[evac.name]
                evac.fleet.collect_repaired()
                self.trucks_arrived(evac.name)

            self._collecting[base] = at
            self.env.timeout(hours).callbacks.append(collect)

    def _reposition(self, source: Evacuation, target: Evacuation, pool: str, kind: str, n: int) -> None:
        """``n`` empty trucks drive from one base to another on the quickest road inside the country, under the
        nights and closures of their kind's convoys."""
        route = self.network.route_inside(source.name, target.name, source.fleet.speed_kmh.get(kind))
        convoy_kind = "contracted" if kind in CONTRACTED else "military"
        t = self.env.now
        if route is not None:
            for road, _ in route.inside:
                _, closed = self.shared.calendars(road, convoy_kind)
                t = closed.finish(t, road.leg.driving_hours(source.fleet.speed_kmh.get(kind)))
                self.shared.on_road(road, 0.0)
        hours = t - self.env.now
        self.truck_pools[pool].busy(kind, n * hours)

        def arrive(_event: simpy.Event) -> None:
            target.fleet.give_back({kind: n}, pool)
            if target.road_done:
                self.trucks_arrived(target.name)

        self.env.timeout(hours).callbacks.append(arrive)

    # --- what a base asks about the others --------------------------------------------
    def deliver(self, hub: str, convoy: Convoy) -> int:
        """A convoy unloads at ``hub``; returns the hub's loading teams (who unload it)."""
        base = self.bases[hub]
        base.deliver(convoy)
        return base.loading.teams

    def feeder_news(self, hub: str) -> None:
        self.bases[hub].feeder_news()

    def done_feeding(self, base: str) -> bool:
        return self.bases[base].done_feeding

    # --- bases --------------------------------------------------------------------------
    def _build_bases(self) -> None:
        for spec in self.network.bases.values():
            self.bases[spec.name] = Evacuation(self.shared, spec)
        watches = {name: {name, *(b.name for b in self._sharing(evac))} for name, evac in self.bases.items() if self._sharing(evac)}
        if watches:
            rule = None if RestBoard.every_return else self
            self._board = RestBoard(watches, rule, {name: tuple(self.bases[name].spec.pools) for name in watches})
            for name in watches:
                self.bases[name].fleet.watched_on(self._board)

    def start(self) -> None:
        """Start every base that is left: now, at its start day, or when the base it follows is empty."""
        for name, evac in self.bases.items():
            if not self.leaves[name]:
                evac.stays()
                continue
            spec = evac.spec
            follows = self.bases.get(spec.after) if spec.after else None
            if follows is not None and self.leaves[follows.name]:
                self.env.process(self._start_after(evac, follows))
            elif spec.start_day > 0:
                self.env.process(self._start_later(evac, 24.0 * spec.start_day))
            else:
                self._start_base(evac)
            if evac.deadline.given:
                self.env.process(close_at_deadline(evac))
        for name in self.bases:
            if not self.leaves[name]:
                self.trucks_arrived(name)
        main = self.bases[self.network.main_base]
        if main.pause.brings_inflow and self.leaves[main.name]:
            self.env.process(main.reinforcements_arrive())

    def _start_later(self, evac: Evacuation, hour: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(hour)
        self._start_base(evac)

    def _start_after(self, evac: Evacuation, follows: Evacuation) -> Generator[simpy.Event, Any, None]:
        yield follows.emptied
        self._start_base(evac)

    def _start_base(self, evac: Evacuation) -> None:
        evac.begin(self.env.now)
        self.env.process(form_convoys(self.env, evac))
        dispatch_convoys(self.env, evac)
        for part in evac.parts:  # the base's own trucks, its strips' sorties, its helicopters, ...
            part.begins(evac)

    def done(self) -> simpy.Event:
        """Fires when every base that is left has closed (everything it sent has arrived)."""
        closing = [evac.force_closed for name, evac in self.bases.items() if self.leaves[name]]
        if len(closing) == 1:
            return closing[0]
        return simpy.AllOf(self.env, closing)

    def outcome(self) -> TheatreOutcome:
        outcomes = {name: evac.outcome() for name, evac in self.bases.items()}
        leaving = [name for name in self.bases if self.leaves[name]]
        finished = all(outcomes[n].finished for n in leaving)
        last_out = self.shared.last_out if finished else self.horizon_hours
        span = max(last_out, 1e-9)
        utilisation = {}
        for name, pool in self.truck_pools.items():
            trucks = sum(pool.total.values())
            utilisation[name] = float(min(1.0, pool.truck_hours_busy / (trucks * span))) if trucks else math.nan  # a pool of escorts or Apaches only
        covers = [*self.shared.air_covers.values(), self.shared.no_cover]  # every detachment, and none (for bases without one)
        return TheatreOutcome(
            bases=outcomes,
            leaves=dict(self.leaves),
            hours_to_last_out=last_out,
            leg_convoys=dict(self.shared.leg_convoys),
            leg_wait_hours=dict(self.shared.leg_wait_hours),
            pool_utilisation=utilisation,
            finished=finished,
            main=self.network.main_base,
            same_place={name: self.shared.same_place.get(name, "") for name, spec in self.network.bases.items() if spec.same_place_as is not None},
            apache_sorties=sum(c.sorties_flown for c in covers),
            convoys_uncovered=sum(c.convoys_uncovered for c in covers),
            air_cover_hours_short=sum(c.hours_short for c in covers),
        )


def simulate_theatre(scenario: Scenario, streams: Streams, trace: bool = False) -> tuple[TheatreOutcome, int]:
    """Run one replication of a resolved scenario (a theatre, or a one-base file as its one-base network)."""
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams, trace)
    theatre.start()
    env.run(until=simpy.AnyOf(env, [theatre.done(), env.timeout(theatre.horizon_hours)]))
    return theatre.outcome(), env.scheduled


def simulate(scenario: Scenario, streams: Streams, trace: bool = False) -> tuple[Outcome, int]:
    """Run one replication of a resolved scenario; returns the main base's outcome (with the theatre's, for a
    theatre scenario, in ``outcome.theatre``) and the SimPy events it took."""
    theatre, events = simulate_theatre(scenario, streams, trace)
    outcome = theatre.bases[theatre.main]
    if scenario.is_theatre:
        outcome.theatre = theatre
    return outcome, events


def one_base(env: simpy.Environment, scenario: Scenario, streams: Streams, trace: bool = False) -> Evacuation:
    """The main base of a resolved scenario, built (not started) with its theatre's shared parts drawn from ``streams``."""
    theatre = Theatre(env, scenario, streams, trace)
    return theatre.bases[theatre.network.main_base]


__all__ = ["Theatre", "TheatreOutcome", "one_base", "simulate", "simulate_theatre"]
