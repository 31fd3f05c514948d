"""A convoy waiting to form for trucks: which trucks it may wait for, and when a base that looks again keeps its plans.

A base whose next convoy is short of trucks looks again each time trucks come to rest at any base of its pools
(:mod:`sim.model.at_rest`). Most looks find the same: its own cargo, trucks at hand and vehicles have not changed, so
its plans have not (a plan short of trucks is not short of staged cargo: packing more out changes none of it), and
only what other bases hold may have. These functions say what may come, and let such a look keep its plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import simpy

from sim.model.at_rest import TrucksAtRest
from sim.model.convoy import KINDS
from sim.model.events import FirstOf

if TYPE_CHECKING:
    from sim.model.convoys import ConvoyPlan
    from sim.model.evacuation import Evacuation

_ONE = {kind: frozenset({kind}) for kind in KINDS}
"""Each truck type alone, as the cargo's questions take it."""


def trucks_that_may_come(evac: Evacuation, kinds: frozenset[str], can_go_without: bool, own: tuple[int, frozenset[str]] | None = None) -> int:
    """Trucks of ``kinds`` away from the base that a convoy short of trucks may wait for: all those on the road or in
    repair, but not those standing at another base that cannot carry cargo left here (they would never be sent:
    military cargo left, HETs idle elsewhere), nor, when the convoy ``can_go_without`` them, those held by another
    base that waits for trucks itself (two bases waiting for each other's trucks would wait for ever). ``own``: the
    base's own part (:func:`away_and_useless`), if known."""
    coming, useless = own or away_and_useless(evac, kinds)
    if len(evac.shared.network.bases) == 1:  # no other base to stand at
        return coming
    neighbours = evac.neighbours
    coming -= neighbours.standing_elsewhere(evac.name, useless) if useless else 0
    if can_go_without and kinds - useless:
        coming -= neighbours.standing_elsewhere(evac.name, kinds - useless, only_waiting=True)
    return coming


def away_and_useless(evac: Evacuation, kinds: frozenset[str]) -> tuple[int, frozenset[str]]:
    """The trucks of ``kinds`` away from the base, and the types among ``kinds`` that cannot carry cargo left here:
    what of :func:`trucks_that_may_come` the base's own state decides."""
    return evac.fleet.away(kinds), frozenset(k for k in kinds if evac.inventory.road_remaining(_ONE[k]) == 0)


def waits_for_trucks(plans: list[ConvoyPlan]) -> bool:
    """Whether the base's next convoy, so planned, waits for trucks to come (no other base sees the difference while
    the base looks again: its own flag is read only while it sleeps)."""
    if not plans or plans[-1].ready:
        return False
    return next((plan.waiting_for for plan in plans if plan.waiting_for), None) == "trucks"


def planned_on(evac: Evacuation) -> tuple[object, ...]:
    """What the base's convoy plans read of its own state: its cargo, the trucks at hand, the vehicles left."""
    return (evac.inventory.state(), tuple(evac.fleet.at_base.values()), evac.people.vehicles_left, evac.people.vehicle_share_places)


def same_plans(evac: Evacuation, waited_on: tuple[tuple[object, ...], list[ConvoyPlan]] | None) -> list[ConvoyPlan] | None:
    """The plans of the last look, if planning again would give them: every one waited for trucks, the base's own
    state is the same, and trucks may still come for each. (A plan waiting for trucks is short of trucks, not of staged
    cargo: packing more out changes none of it.) ``None`` when the base must plan again."""
    if waited_on is None:
        return None
    state, plans = waited_on
    if state != planned_on(evac):
        return None
    for plan in plans:
        assert plan.kinds is not None, "a convoy waiting for trucks knows which types may join it"
        if plan.own is None:  # the base's own part, the same while its state is
            plan.own = away_and_useless(evac, plan.kinds)
        if trucks_that_may_come(evac, plan.kinds, any(plan.loads.values()), plan.own) <= 0:
            return None
    return plans


class TrucksWait:
    """The base's next convoy waiting to form for trucks, from its first look to the look that changes something.

    Each time trucks come to rest where it watches, the base looks again. A look that finds the same plans
    (:func:`same_plans`) and no truck out of repair only charges the hours waited so far, calls idle trucks over as
    any look does (:meth:`~sim.model.shared.Neighbours.call_trucks`) and waits again: :meth:`look_again` makes that
    look where the base would wake, without resuming its process; only a look that would change something resumes
    it. ``short_of`` (the truck type the first convoy in line waits for, if known), ``short`` (the types the waiting
    convoys are short of, one for each convoy group that waits for trucks, each type once) and ``since`` (hours) are
    those of the wait under way.

    A convoy of another group may wait meanwhile for cargo to be packed (the military convoy short of military
    trucks, the contracted one short of staged cargo): at a base sharing pools the wait also ends when that cargo is
    staged, since no return at another base wakes it any more (:mod:`sim.model.at_rest`; issue 24, fourth session);
    at a base alone its own returns wake it, as before.

    The hours are charged to ``short`` in equal shares: when the military convoys wait for military trucks and the
    contracted convoys for contracted trucks, the base waits for both, and half its hours are each's (charged to the
    first in line alone, the contracted trucks showed no wait however busy they were).
    """

    def __init__(
        self, evac: Evacuation, plan: ConvoyPlan, waited_on: tuple[tuple[object, ...], list[ConvoyPlan]] | None, waiting: Sequence[ConvoyPlan] = ()
    ) -> None:
        assert plan.kinds is not None, "a convoy waiting for trucks knows which types may join it"
        self.evac, self.plan, self.kinds, self.waited_on = evac, plan, plan.kinds, waited_on
        self.waiting = [p for p in waiting if p.waiting_for == "trucks" and p.kinds is not None] or [plan]
        self.packing = [p for p in waiting if p.waiting_for == "loading"]  # convoys of other groups waiting for cargo to be packed
        self.short_of: str | None = None
        self.short: tuple[str, ...] = ()
        self.since = 0.0
        self._cause = "trucks"  # what it waits for, in words

    def begin(self, t: float) -> simpy.Event:
        """The wait begins at ``t`` (now): what the base waits for, idle trucks called over, and the event to wait on
        (trucks come to rest where it watches, or the next truck out of repair)."""
        inventory = self.evac.inventory
        self.short_of = short_of = inventory.first_carrier_short(self.plan.loads, self.kinds)  # what it waits for as the wait begins
        found = (inventory.first_carrier_short(p.loads, p.kinds) for p in self.waiting if p.kinds is not None)
        self.short = tuple(dict.fromkeys(kind for kind in found if kind is not None))
        self._cause = f"trucks ({short_of})" if short_of else "trucks"
        return self._again(t)

    def _again(self, t: float) -> simpy.Event:
        """The wait begins (again) at ``t`` (now), short of the same trucks: :meth:`begin` but what it waits for."""
        evac = self.evac
        env, fleet = evac.env, evac.fleet
        evac.neighbours.call_trucks(evac.name)
        repaired = fleet.next_repair()
        rest = evac.neighbours.trucks_come_to_rest(evac.name, self.may_come)
        fleet.wait_for_trucks(True)
        self.since = t
        evac.forming_wait = (self._cause, t)
        if self.packing and isinstance(rest, TrucksAtRest):  # a base of a pool: nothing else wakes it when cargo is packed
            inventory = evac.inventory
            packed = t + min(inventory.hours_until_staged(t, inventory.staged(t) + p.more_cargo_wanted) for p in self.packing)
            repaired = packed if repaired is None else min(repaired, packed)
        if repaired is not None:
            return FirstOf(env, rest, timer := env.timeout(repaired - t), timer=timer)
        if self.waited_on is not None and isinstance(rest, TrucksAtRest):
            rest.look_again = self.look_again
        return rest

    def may_come(self) -> int:
        """How many trucks may still come to the waiting convoy, at the least for any of the base's plans that wait
        for trucks (:func:`trucks_that_may_come`, from the state now); none: it may leave with what it has."""
        evac = self.evac
        if self.waited_on is None or self.waited_on[0] != planned_on(evac):  # its own state changed: asked afresh
            plans = self.waited_on[1] if self.waited_on is not None else [self.plan]
            return min(trucks_that_may_come(evac, plan.kinds, any(plan.loads.values())) for plan in plans if plan.kinds is not None)
        least = None
        for plan in self.waited_on[1]:
            assert plan.kinds is not None, "a convoy waiting for trucks knows which types may join it"
            if plan.own is None:  # the base's own part, the same while its state is (as in same_plans)
                plan.own = away_and_useless(evac, plan.kinds)
            coming = trucks_that_may_come(evac, plan.kinds, any(plan.loads.values()), plan.own)
            least = coming if least is None else min(least, coming)
        return 0 if least is None else least

    def ends(self) -> None:
        """The base woke to look again: the hours since the wait began are charged to the trucks it is short of."""
        evac = self.evac
        evac.forming_wait = None
        evac.wait_for_trucks(self.short, evac.env.now - self.since)

    def look_again(self) -> TrucksAtRest | None:
        """Trucks came to rest where the base watches, and it would wake now: when its look would find the same plans
        and nothing out of repair, make that look here (the hours charged, idle trucks called, the same wait begun
        anew, in the order its process would) and return the new wait; ``None`` when the process must wake."""
        evac = self.evac
        if evac.fleet.next_repair() is not None or same_plans(evac, self.waited_on) is None:
            return None  # a truck out of repair by now, or plans to make again: its process looks
        self.ends()
        rest = self._again(evac.env.now)  # the same cargo left: short of the same trucks
        assert isinstance(rest, TrucksAtRest), "no truck in repair, so no timer: it waits on the board again"
        return rest


__all__ = ["TrucksWait", "away_and_useless", "planned_on", "same_plans", "trucks_that_may_come", "waits_for_trucks"]
