"""Truck fleets: contracted civilian trucks and lowboys, military PLS/FMTV, heavy equipment transporters.

Trucks are counted by type, not simulated one by one: a convoy takes so many of
each type from the base and gives them back when it returns. A truck that broke
down on the way is recovered with the convoy and comes back into service after
its repair.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence

import numpy as np
import simpy

from sim.model.at_rest import RestBoard
from sim.model.convoy import CONTRACTED, KINDS, Convoy
from sim.model.parts import BaseSetup, Column, Part, share
from sim.scenario.distributions import draw_one
from sim.scenario.schema import EventHours, TruckType


class TruckPool:
    """A pool of trucks with a home (``[pools.*]``): how many of each type in all, and the truck-hours they were busy
    (on a trip, driving empty to another base, or under repair), wherever they are."""

    def __init__(self, name: str, counts: dict[str, int]) -> None:
        self.name = name
        self.total = dict(counts)
        self.hours_busy = dict.fromkeys(counts, 0.0)
        self.idle_at: set[str] = set()  # the bases where trucks of this pool stand idle now (kept by their fleets)
        self.standing = dict.fromkeys(KINDS, 0)  # its trucks standing idle at its bases, by type (kept by their fleets)
        self.standing_waiting = dict.fromkeys(KINDS, 0)  # of which at bases waiting for trucks themselves

    @property
    def truck_hours_busy(self) -> float:
        return sum(self.hours_busy.values())

    def busy(self, kind: str, hours: float) -> None:
        """Trucks of ``kind`` were busy for ``hours`` truck-hours (a trip, a drive to another base, a repair)."""
        self.hours_busy[kind] += hours


class Fleet(Part):
    """Trucks of each type at one base, out on the road, or under repair.

    The trucks belong to pools (a one-base scenario has one, all at its base); the
    base takes trucks at hand from its pools in order of preference, and counts as
    its own every truck of those pools (``total``), wherever it is. Convoys that wait
    to form for trucks are charged to "trucks" and to the type they are short of.
    """

    causes = ("trucks",)

    def __init__(
        self,
        env: simpy.Environment,
        counts: dict[str, int],
        speed_kmh: dict[str, float | None],
        breakdowns_per_1000_km: float,
        cab_seats: dict[str, int] | None = None,
        pools: list[TruckPool] | None = None,
        here: dict[str, dict[str, int]] | None = None,
        base: str = "",
    ) -> None:
        self.env = env
        self.base = base
        if pools is None:
            pools = [TruckPool("base", counts)]
            here = {"base": dict(counts)}
        self.pools = pools
        self._pools = {p.name: p for p in pools}
        self.here = {p.name: dict.fromkeys(KINDS, 0) | dict((here or {}).get(p.name, {})) for p in pools}
        self.total = {k: sum(p.total.get(k, 0) for p in pools) for k in counts}
        self.at_base = {k: sum(h.get(k, 0) for h in self.here.values()) for k in counts}
        self.speed_kmh = speed_kmh
        self.cab_seats = {k: n for k, n in (cab_seats or {}).items() if n > 0 and self.total.get(k, 0) > 0}
        self.breakdowns_per_1000_km = breakdowns_per_1000_km
        self.truck_hours_busy = 0.0
        self.hours_busy = dict.fromkeys(counts, 0.0)  # truck-hours away from the base (on a trip or in repair), by type
        self.breakdowns = 0
        self.waits_by_kind = dict.fromkeys(KINDS, 0.0)  # hours convoys waited to form, by the type they were short of
        self._returned = env.event()
        self._board: RestBoard | None = None  # the theatre's waits for trucks to come to rest, if other bases watch this one
        self._repaired: list[tuple[float, str, str]] = []
        self.waiting = False  # a convoy of the base waits to form for trucks to come
        self.waiting_since = 0.0  # hours: when that wait began, or it last called idle trucks over (looks that changed nothing included)
        self.changes = 0  # how many times the trucks standing here changed
        self._told = {p.name: dict.fromkeys(KINDS, 0) for p in pools}  # the trucks standing here each pool counts
        for pool in pools:
            self._note_idle(pool.name)

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Fleet:
        """A base's trucks: those of its pools, at hand where their pool's home is."""
        shared, spec, s = setup.shared, setup.spec, setup.scenario
        pools = [shared.truck_pools[p] for p in spec.pools]
        counts = {k: sum(p.total[k] for p in pools) for k in KINDS}
        kinds: dict[str, TruckType] = {k: getattr(s.fleet, k) for k in KINDS}
        return cls(
            setup.env,
            counts,
            {k: kinds[k].speed_kmh for k in KINDS},
            s.fleet.breakdowns_per_1000_km,
            {k: int(kinds[k].cab_seats) for k in KINDS},
            pools,
            {p.name: shared.trucks_start_at(p.name, spec.name) for p in pools},
            spec.name,
        )

    def watched_on(self, board: RestBoard) -> None:
        """Bases sharing a pool with this one wait on ``board`` for trucks to come to rest here."""
        self._board = board

    def _trucks_at_rest(self, came: int) -> None:
        """``came`` trucks came to rest at the base: wake whoever waits for it, and wait on a new return."""
        if self._board is not None:
            self._board.before_firing(self.base, self._returned, came)
        ev, self._returned = self._returned, self.env.event()
        ev.succeed()

    def _note_idle(self, pool: str) -> None:
        """Tell ``pool`` whether and how many trucks of it stand idle here, so that a base short of trucks looks only
        at the bases that have some (not at every base sharing the pool), and counts them without looking."""
        owner, here, told = self._pools[pool], self.here[pool], self._told[pool]
        self.changes += 1
        for kind, n in here.items():
            change = n - told[kind]
            if change:
                owner.standing[kind] += change
                if self.waiting:
                    owner.standing_waiting[kind] += change
                told[kind] = n
        if any(here.values()):
            owner.idle_at.add(self.base)
        else:
            owner.idle_at.discard(self.base)

    def wait_for_trucks(self, waiting: bool) -> None:
        """A convoy of the base begins (``True``) or ends a wait for trucks to come: its pools count the trucks it
        keeps standing meanwhile."""
        if waiting == self.waiting:
            return
        self.waiting = waiting
        if waiting:
            self.waiting_since = self.env.now
        sign = 1 if waiting else -1
        standing = 0
        for pool, told in self._told.items():
            counts = self._pools[pool].standing_waiting
            for kind, n in told.items():
                counts[kind] += sign * n
                standing += n
        if waiting and standing and self._board is not None:
            self._board.began_waiting(standing)  # bases that may leave without them no longer count on them

    def waited_for(self, kinds: Sequence[str], hours: float) -> None:
        """Convoys waited ``hours`` to form, short of trucks of ``kinds`` (one type for each convoy group that waits,
        each type once): each type is charged an equal share; none known, no type is."""
        if hours > 0:
            for kind in kinds:
                self.waits_by_kind[kind] += hours / len(kinds)

    def columns(self, span: float) -> dict[str, Column]:
        cols: dict[str, Column] = {"breakdowns": self.breakdowns}
        cols.update({f"wait_hours.trucks ({kind})": hours for kind, hours in self.waits_by_kind.items()})
        cols["utilisation.trucks"] = share(self.truck_hours_busy, sum(self.total.values()) * span)
        cols.update({f"utilisation.trucks ({k})": share(self.hours_busy[k], n * span) for k, n in self.total.items()})
        return cols

    def repair(self, kind: str, hours: float, pool: str | None = None) -> None:
        """A broken truck goes to the workshop and rejoins the fleet after ``hours``."""
        pool = pool or self.pools[0].name
        heapq.heappush(self._repaired, (self.env.now + hours, kind, pool))
        self.truck_hours_busy += hours
        self.hours_busy[kind] += hours
        self._pools[pool].busy(kind, hours)

    def broke_down(self, n: int) -> None:
        """``n`` trucks of this base broke down on the road."""
        self.breakdowns += n

    def trip_done(self, trucks: dict[str, int], trip: float) -> None:
        """Trucks sent from this base are back after ``trip`` hours: their truck-hours, in all and by type."""
        self.truck_hours_busy += sum(trucks.values()) * trip
        for kind, n in trucks.items():
            self.hours_busy[kind] += n * trip

    def pool_trip_done(self, pool: str, trucks: dict[str, int], trip: float) -> None:
        """Trucks of ``pool`` are back after ``trip`` hours: the pool's truck-hours by type."""
        owner = self._pools[pool]
        for kind, n in trucks.items():
            owner.busy(kind, n * trip)

    def convoy_back(self, convoy: Convoy, now: float, repair_hours: Callable[[], float]) -> None:
        """A convoy's trucks are back at the base: their trip's truck-hours, each pool's trucks back to that pool,
        broken ones to the workshop (each for a draw of ``repair_hours``, in the order they broke down)."""
        broken = convoy.legs.get("broken", {})
        trip = now - convoy.formed_at
        self.trip_done(convoy.trucks, trip)
        by_pool = convoy.truck_pools or {self.pools[0].name: convoy.trucks}
        if len(by_pool) == 1:  # the usual case: one pool, as in a one-base scenario
            ((pool, counts),) = by_pool.items()
            self.pool_trip_done(pool, counts, trip)
            self.give_back({k: n - broken.get(k, 0) for k, n in counts.items()} if broken else counts, pool)
            for kind, n in broken.items():
                for _ in range(n):
                    self.repair(kind, repair_hours(), pool)
            return
        pools = {p: dict(c) for p, c in by_pool.items()}  # several pools: broken trucks count against them in order of preference
        broken_pools: dict[str, list[str]] = {}  # the pool of each broken truck, by type
        for kind, n in broken.items():
            for pool, counts in pools.items():
                b = min(n, counts.get(kind, 0))
                counts[kind] = counts.get(kind, 0) - b
                broken_pools.setdefault(kind, []).extend([pool] * b)
                n -= b
        for pool, counts in by_pool.items():
            self.pool_trip_done(pool, counts, trip)
        for pool, healthy in pools.items():
            self.give_back(healthy, pool)
        for kind, n in broken.items():
            for pool in broken_pools.get(kind, [])[:n]:
                self.repair(kind, repair_hours(), pool)

    def idle(self, pool: str) -> dict[str, int]:
        """Trucks of ``pool`` standing at the base, by type (a copy: read it, do not change it)."""
        return dict(self.here.get(pool, {}))

    def standing(self, pool: str, kind: str) -> int:
        """Trucks of ``pool`` and ``kind`` standing at the base."""
        return self.here.get(pool, {}).get(kind, 0)

    def standing_elsewhere(self, kinds: frozenset[str], only_waiting: bool = False) -> int:
        """Trucks of ``kinds`` of the base's pools standing idle at the pools' other bases (``only_waiting``: at those
        waiting for trucks themselves), from the pools' counts."""
        total = 0
        for pool in self.pools:
            counts = pool.standing_waiting if only_waiting else pool.standing
            here = self.here[pool.name] if self.waiting or not only_waiting else None
            for kind in kinds:
                total += counts[kind] - (here[kind] if here is not None else 0)
        return total

    def collect_repaired(self) -> None:
        """Trucks whose repair is done by now are back at the base."""
        now = self.env.now
        back = 0
        while self._repaired and self._repaired[0][0] <= now:
            _, kind, pool = heapq.heappop(self._repaired)
            self.at_base[kind] += 1
            self.here[pool][kind] += 1
            self._note_idle(pool)
            back += 1
        if back and (self._returned.callbacks or (self._board is not None and self._board.watched(self.base))):
            self._trucks_at_rest(back)  # another base waiting for trucks to come to rest counted these (issue 23: it waited for ever)

    def next_repair(self) -> float | None:
        """When the next truck under repair is ready, if any."""
        return self._repaired[0][0] if self._repaired else None

    @property
    def out(self) -> int:
        """Trucks away from the base (on the road, under repair, or at another base)."""
        return sum(self.total.values()) - sum(self.at_base.values())

    def away(self, kinds: frozenset[str]) -> int:
        """Trucks of ``kinds`` away from the base (on the road, under repair, or at another base of their pool)."""
        return sum(self.total[k] - self.at_base[k] for k in kinds if k in self.total)

    def returned(self) -> simpy.Event:
        """An event that fires the next time trucks come back to the base (to wait on at once)."""
        if self._board is not None:
            self._board.before_subscribing(self.base, self._returned)
        return self._returned

    def send(self, used: dict[str, int]) -> dict[str, dict[str, int]]:
        """Trucks leave with a convoy, taken from the pools in order of preference; returns how many of each pool."""
        split: dict[str, dict[str, int]] = {}
        for kind, n in used.items():
            self.at_base[kind] -= n
            for pool, counts in self.here.items():
                take = min(n, counts.get(kind, 0))
                if take > 0:
                    counts[kind] -= take
                    split.setdefault(pool, {})[kind] = take
                    n -= take
                if n == 0:
                    break
        for pool in split:
            self._note_idle(pool)
        self.cargo_taken()
        return split

    def cargo_taken(self) -> None:
        """Cargo of the base was loaded on a convoy of its pools, or the base can never empty: if that was the last
        cargo some idle trucks here could take, or the base no longer keeps them, a base short of them may call them
        over now (:meth:`~sim.model.at_rest.RestBoard.stopped_keeping`)."""
        if self._board is not None and self.here_idle():
            self._board.stopped_keeping(self.base)

    def cargo_taken_by_others(self) -> None:
        """Staged cargo of the base left on a sortie, a helicopter or the base's own trucks, not on a convoy of its
        pools: a convoy of the base waiting for trucks looks again (the cargo it waited for trucks for may be gone,
        or what is left may now fit the trucks at hand), and a base short of idle trucks here that the base no
        longer keeps may call them over (:meth:`~sim.model.at_rest.RestBoard.cargo_taken_by_others`)."""
        if self._board is not None:
            self._board.cargo_taken_by_others(self.base)

    def here_idle(self) -> bool:
        """Whether trucks of the base's pools stand idle at the base."""
        return any(any(counts.values()) for counts in self.here.values())

    def give_back(self, kind_counts: dict[str, int], pool: str | None = None) -> None:
        """Trucks (of ``pool``, or the first) are at the base and ready for another load."""
        pool = pool or self.pools[0].name
        counts = self.here[pool]
        for kind, n in kind_counts.items():
            self.at_base[kind] += n
            counts[kind] = counts.get(kind, 0) + n
        self._note_idle(pool)
        self._trucks_at_rest(sum(kind_counts.values()))

    def take_idle(self, pool: str, kind: str) -> int:
        """Every truck of ``pool`` and ``kind`` idle at the base leaves it (to drive empty to another base); how many."""
        counts = self.here[pool]
        n = counts[kind]
        counts[kind] = 0
        self.at_base[kind] -= n
        self._note_idle(pool)
        return n

    def seats_in_cabs(self, used: dict[str, int]) -> int:
        """Troops of the base the trucks of a convoy can take in their cabs."""
        return sum(n * self.cab_seats.get(k, 0) for k, n in used.items())

    def speed_cap(self, used: dict[str, int]) -> float | None:
        """The slowest loaded top speed among the truck types in a convoy (km/h), if any."""
        caps = [cap for k, n in used.items() if n and (cap := self.speed_kmh.get(k))]
        return min(caps) if caps else None


class Breakdowns:
    """Truck breakdowns as a Poisson process over the truck-km the fleet drives.

    ``per_1000_km`` breakdowns per truck per 1000 km: the gaps between breakdowns,
    in truck-km, are exponential. A leg driven by a convoy consumes its trucks x km;
    each breakdown point in that stretch breaks one truck of the type whose share of
    the convoy it falls in, halts the convoy for a recovery and sends the truck to
    repair.
    """

    def __init__(self, rng: np.random.Generator, per_1000_km: float, recovery_hours: EventHours, repair_hours: EventHours) -> None:
        self.rng = rng
        self.mean_gap_km = 1000.0 / per_1000_km if per_1000_km > 0 else math.inf
        self.recovery_hours = recovery_hours
        self.repair_hours = repair_hours
        self.driven_km = 0.0
        self.next_at_km = self._gap()

    def _gap(self) -> float:
        return float(self.rng.exponential(self.mean_gap_km)) if math.isfinite(self.mean_gap_km) else math.inf

    def on_leg(self, trucks: dict[str, int], km: float) -> tuple[dict[str, int], float]:
        """Trucks broken by type on a leg of ``km``, and the convoy's recovery halts (hours)."""
        start = self.driven_km
        count = sum(trucks.values())
        self.driven_km = end = start + count * km
        broken: dict[str, int] = {}
        halts = 0.0
        while self.next_at_km < end:
            position = (self.next_at_km - start) / km  # which truck of the convoy, counted by type
            for kind, n in trucks.items():
                if position < n:
                    broken[kind] = broken.get(kind, 0) + 1
                    break
                position -= n
            halts += draw_one(self.recovery_hours, self.rng)
            self.next_at_km += self._gap()
        return broken, halts

    def repair_time(self) -> float:
        """Hours one broken truck spends in the workshop."""
        return draw_one(self.repair_hours, self.rng)


__all__ = ["CONTRACTED", "KINDS", "Breakdowns", "Fleet", "TruckPool"]
