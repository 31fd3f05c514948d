"""The evacuation of a base: its parts assembled for one replication.

A base is the parts listed in :data:`PARTS` (trucks, loading teams, the pause, daylight, the departure window, roads
and threats, departure slots, escort, air cover, crossings, the airlift, cargo, people and seats, ...), each built from
the theatre's shared context (:class:`~sim.model.shared.Shared`) and the base's own groups. A loaded convoy leaves when
no part holds it, asked in the order listed; the base's columns of the replication table are its closure dates and its
parts' own columns. Hour 0 is 2026-02-23 00:00 local.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import simpy

from sim.model.air_cover import CoverAtBase
from sim.model.airlift import Airlift, Airstrips
from sim.model.cargo import Inventory
from sim.model.conservation import check_nothing_lost
from sim.model.convoy import Convoy
from sim.model.crossing import CrossingsAtBase
from sim.model.deadline import Deadline, leave_behind
from sim.model.escort import EscortView
from sim.model.events import FirstOf
from sim.model.fleet import Fleet
from sim.model.fuel import Fuel
from sim.model.gate import Daylight, DepartureSlots, DepartureWindow, Gate, Pause
from sim.model.helicopters import Helicopters
from sim.model.loading import Loading
from sim.model.network import BaseSpec
from sim.model.outcome import Outcome, at_each_midnight
from sim.model.own_transport import OwnTransport, trucks_home
from sim.model.parts import BaseSetup, Column, Part, Waits, departing
from sim.model.people import PeopleAndSeats
from sim.model.roads import Roads
from sim.model.shared import Shared
from sim.model.streams import STREAMS, Streams
from sim.model.unfinished import reason_at_horizon

PARTS: tuple[type[Part], ...] = (
    Fleet,
    Loading,
    Pause,
    Daylight,
    DepartureWindow,
    CrossingsAtBase,
    Roads,
    DepartureSlots,
    EscortView,
    CoverAtBase,
    Fuel,
    OwnTransport,
    Airstrips,
    Helicopters,
    PeopleAndSeats,
    Inventory,
    Deadline,
)
"""A base's parts, built in this order (a part may use those before it); a convoy at the gate asks those that may hold it in this order."""

WAIT_CAUSES: tuple[str, ...] = tuple(cause for part in PARTS for cause in part.causes)
"""Why convoys waited, in convoy-hours: the ``wait_hours.<cause>`` columns of every replication record."""

THEATRE_PART_COLUMNS: tuple[str, ...] = tuple(column for part in PARTS for column in part.theatre_columns)  # base.<name>.<column> in a theatre

RESOURCES = ("trucks", "loading teams", "escort teams", "apaches", "crossing lanes", "airlift")
"""Resources whose utilisation (busy share of the time to base empty) each replication reports; ``airlift``: the places
(working MOG) of the base's strips busy with aircraft on the ground."""


class Evacuation:
    """One base and everything that empties it, for one replication: its parts, the convoys queued at its
    gate, and the two closure dates (base empty, force closure)."""

    def __init__(self, shared: Shared, spec: BaseSpec) -> None:
        self.shared = shared
        self.env = env = shared.env
        self.scenario = s = shared.scenario
        self.spec = spec
        self.name = spec.name
        self.neighbours = shared.neighbours
        self.trace = shared.trace
        self.horizon_hours = shared.horizon_hours
        self.waits = Waits(WAIT_CAUSES)
        setup = BaseSetup(shared, spec, self.waits)
        for kind in PARTS:
            setup.built.append(kind.for_base(setup))
        self.parts: tuple[Part, ...] = (self.waits, *setup.built)
        self.fleet, self.loading, self.pause = setup.get(Fleet), setup.get(Loading), setup.get(Pause)
        self.roads, self.crossings, self.slots = setup.get(Roads), setup.get(CrossingsAtBase), setup.get(DepartureSlots)
        self.escort, self.cover, self.airlift = setup.get(EscortView), setup.get(CoverAtBase), setup.get(Airstrips)
        self.people, self.inventory, self.deadline = setup.get(PeopleAndSeats), setup.get(Inventory), setup.get(Deadline)
        self.own = setup.get(OwnTransport)
        self.garrison = self.people.garrison
        self.gate = Gate(env, self.parts, self.waits)
        self.taking = departing(self.parts)
        self.feeders = [b for b in shared.network.bases.values() if b.send_to == spec.name]
        self.cargo_at_base = self.inventory.remaining
        self.convoy_size_min, self.convoy_size_max = s.convoys.size_min, int(s.convoys.size_max)
        for pool in self.escort.pools:
            pool.listeners.append(self.gate.teams_back)

        self.convoys_formed = 0
        self.stuck, self.stuck_reason = False, ""
        self.forming_wait: tuple[str, float] | None = None  # what the next convoy waits for to form, and since when (hours)
        self.road_done = False
        self._cargo_departed, self._air_wake, self._delivered, self.force_closed = env.event(), env.event(), env.event(), env.event()
        self.shuttle_back = env.event()  # fires when the troops' shuttle is back at the base
        self.vehicles_in = env.event()  # fires when a convoy brings self-driving vehicles to its destination
        self.vehicles_arrived = 0
        self.emptied = env.event()
        self.in_transit = self.sorties_on_ground = 0  # convoys on the road; sorties on the ground loading cargo and people
        self.base_empty_at: float | None = None
        self.started_at: float | None = None
        self.last_arrival = 0.0
        self.log_t, self.log_cargo, self.log_people = [0.0], [self.cargo_at_base], [self.garrison.at_base]
        self.timeline: list[dict[str, Any]] = []
        self.inflow_hour: float | None = None

    # --- waiting ----------------------------------------------------------------------
    def wait(self, cause: str, hours: float, convoy: Convoy | None = None) -> None:
        """Charge convoy-hours of waiting to a cause (and to the convoy's own ledger, if it is formed)."""
        self.waits.charge(cause, hours, convoy)

    def wait_for_trucks(self, kinds: Sequence[str], hours: float) -> None:
        """Convoys wait to form for trucks to come back: charged to "trucks" and to the types ``kinds`` they are short of."""
        self.waits.charge("trucks", hours)
        self.fleet.waited_for(kinds, hours)

    # --- departures -------------------------------------------------------------------
    def new_convoy(
        self, trucks: dict[str, int], loads: dict[str, int], vehicles: int, people: int, t: float, last_element: bool = False, own_trucks: int = 0
    ) -> Convoy:
        """A convoy formed at ``t``, with the escort teams it needs (``own_trucks``: the base's own organic trucks in it)."""
        self.convoys_formed += 1
        convoy = Convoy(self.convoys_formed, trucks, loads, vehicles, people, t, last_element=last_element, own_trucks=own_trucks)
        convoy.escort_teams = self.escort.needed(convoy.size)
        return convoy

    def queue_convoy(self, convoy: Convoy) -> None:
        """A loaded convoy joins the departure queue (whether it needs air cover is drawn now)."""
        self.cover.mark(convoy, self.roads.route_out(self.fleet.speed_cap(convoy.trucks)).inside_hours)
        self.gate.join(convoy)

    def _fired(self, ev: simpy.Event) -> simpy.Event:
        """Fire ``ev`` for whoever waits on it (if it has not fired yet); the fresh event the next waiter will wait on."""
        if not ev.triggered:
            ev.succeed()
        return self.env.event()

    def convoy_departs(self, convoy: Convoy) -> None:
        t = self.env.now
        for part in self.taking:
            part.departs(convoy, t)
        convoy.legs["departed"] = t
        self.cargo_at_base -= convoy.load_count
        if not convoy.last_element and not convoy.shuttle:  # the security force's and the shuttle's vehicles have left already or are not counted
            self.people.vehicles_depart(convoy.vehicles)
        self._log(t)
        if self.trace:
            convoy.record = {
                "kind": "convoy",
                "number": convoy.number,
                "convoy_kind": convoy.kind,
                "last_element": convoy.last_element,
                "vehicles": convoy.size,
                "loads": convoy.load_count,
                "people": convoy.people,
                "legs": convoy.legs,
                "waits": convoy.waits,
                "formed": convoy.formed_at,
            }
            self.timeline.append(convoy.record)
        self.in_transit += 1
        if convoy.last_element:
            self.mark_empty(t)
        self._check_cargo_departed()

    # --- coming back --------------------------------------------------------------------
    def trip_ends(self, convoy: Convoy) -> None:
        """The convoy is done (its trucks are back, or it had none): its hours of work go on its record."""
        if convoy.record is not None:
            convoy.record["work_hours"] = convoy.work_hours

    def convoy_arrives(self, convoy: Convoy) -> None:
        self.last_arrival = max(self.last_arrival, self.env.now)
        self.in_transit -= 1
        if convoy.vehicles and not convoy.last_element and not convoy.shuttle:
            self.vehicles_arrived += convoy.vehicles
            if self.vehicles_in.callbacks:  # only a shuttle waits on it (an event fired for nobody still costs one)
                self.vehicles_in = self._fired(self.vehicles_in)
        self._check_force_closed()
        if self.stuck and self.in_transit == 0:
            self._tell_hub()  # a stuck feeder's last convoy on the road has reached the hub

    def _check_force_closed(self) -> None:
        """Force closure: the base is empty and nothing is still on the road."""
        if self.base_empty_at is not None and self.in_transit == 0 and not self.force_closed.triggered:
            self.force_closed.succeed()
            self._tell_hub()

    def _tell_hub(self) -> None:
        """A base sending to a hub is done (closed, or stuck): the hub need not wait for it any more."""
        if self.spec.send_to is not None:
            self.neighbours.feeder_news(self.spec.send_to)

    def shuttle_returns(self) -> None:
        """The troops' shuttle is back at the base for the next troops without a seat."""
        self.shuttle_back = self._fired(self.shuttle_back)

    def trucks_return(self, convoy: Convoy) -> None:
        """The convoy's trucks are back: broken ones go to the workshop, each pool's trucks back to that pool, the base's own to it."""
        trucks_home(self, convoy)
        self.fleet.convoy_back(convoy, self.env.now, self.shared.breakdowns.repair_time)
        if self.road_done:
            self.neighbours.trucks_arrived(self.name)

    # --- airlift ----------------------------------------------------------------------
    def air_grounded_until(self, t: float) -> float:
        """When aircraft may next fly: after a dust day or a political pause."""
        while True:
            t2 = self.pause.closures.open_at(t)
            day = int(t2 // 24)
            if day in self.shared.dust_days:
                t2 = 24.0 * (day + 1)
            if t2 == t:
                return t
            t = t2

    def people_free_for_air(self, lift: Airlift) -> int:
        return self.people.free_to_fly(lift.seats_per_sortie)  # none if its aircraft have no seat

    def base_emptied_without_last_element(self) -> None:
        """Nobody was left for the last element: the base emptied when the last cargo, vehicle and person left."""
        self.mark_empty(self.env.now)
        self._check_force_closed()

    def mark_empty(self, t: float) -> None:
        """The base is empty at ``t``: bases that start after it may start."""
        self.base_empty_at = t
        if not self.emptied.triggered and self.emptied.callbacks:  # only a base that starts after this one waits on it
            self.emptied.succeed()

    def last_element_ready(self) -> bool:
        return self._cargo_departed.triggered

    def air_wakeup(self, t: float) -> simpy.Event | None:
        """What the strip waits for when it has nothing to fly, or None when it is done."""
        inv = self.inventory
        if inv.air_remaining() > 0 and inv.staged(t) < inv.air_remaining() and inv.staged(t) == 0:
            return FirstOf(self.env, timer := self.env.timeout(inv.hours_until_staged(t, 1)), self._air_wake, timer=timer)
        if self.people.last_element_by == "sortie":
            return FirstOf(self.env, self._cargo_departed, self._air_wake)
        if inv.air_remaining() > 0:
            return self._air_wake
        return None if self.road_done else self._air_wake

    def sortie_boards(self) -> None:
        self.sorties_on_ground += 1

    def sortie_departs(self, lift: Airlift, loads: int, people: int, last: bool = False) -> None:
        self.sorties_on_ground -= 1
        lift.sortie_flown()
        self.flown_out(loads, people, lift.flight_hours, self.airlift.sorties, last)

    def flown_out(self, loads: int, people: int, flight_hours: float, number: int, last: bool = False) -> None:
        """The ``number``-th aircraft of its kind takes off with ``loads`` and ``people`` (taken already), out ``flight_hours`` later."""
        t = self.env.now
        self.cargo_at_base -= loads
        self._log(t)
        arrival = t + flight_hours
        self.last_arrival = max(self.last_arrival, arrival)
        self.shared.out_of_country(t)
        if self.trace:
            self.timeline.append({"kind": "sortie", "number": number, "loads": loads, "people": people, "legs": {"departed": t, "arrived": arrival}})
        if last:
            self.mark_empty(t)
        self._check_cargo_departed()
        self._check_force_closed()

    # --- the end ----------------------------------------------------------------------
    def begin(self, t: float) -> None:
        """The base starts to empty at ``t``: pack-out starts."""
        self.started_at = t
        self.inventory.start(t)

    def stays(self) -> None:
        """The base is not left in this replication: nothing will go by road, and nothing of it is carried."""
        self.road_done = True
        self.people.stays()

    def road_dispatch_done(self) -> None:
        self.road_done = True
        self._wake_air()
        self._check_cargo_departed()
        self.neighbours.trucks_arrived(self.name)

    # --- a hub --------------------------------------------------------------------------
    def waiting_for_feeders(self) -> bool:
        """A hub whose feeders (bases sending to it) still have cargo, vehicles or people to send."""
        return bool(self.feeders) and any(not self.neighbours.done_feeding(f.name) for f in self.feeders)  # most have none

    @property
    def done_feeding(self) -> bool:
        """A base that stays, is stuck, or whose convoys have all arrived (at its hub, or out)."""
        return not self.shared.leaves[self.name] or self.force_closed.triggered or (self.stuck and self.in_transit == 0)

    def deliveries(self) -> simpy.Event:
        """Fires when a convoy from a feeder has unloaded at this hub, or a feeder is done."""
        return self._delivered

    def deliver(self, convoy: Convoy) -> None:
        """A feeder's convoy unloaded here: its loads join staging (by class), its vehicles and people the base."""
        self.inventory.receive(convoy.loads)
        self.cargo_at_base += convoy.load_count
        self.people.arrive(0 if convoy.shuttle else convoy.vehicles, convoy.people)  # a shuttle's vehicles go back for more
        self._log(self.env.now)
        if self.deadline.passed:
            leave_behind(self)
        self._wake_air()
        self.feeder_news()

    def feeder_news(self) -> None:
        self._delivered = self._fired(self._delivered)

    def cargo_departed(self) -> simpy.Event:
        """Fires once every load and vehicle has left the base: the last element may go."""
        return self._cargo_departed

    def _check_cargo_departed(self) -> None:
        if (
            self.road_done
            and self.cargo_at_base == 0
            and self.people.vehicles_at_base == 0
            and self.inventory.remaining == 0
            and not self.sorties_on_ground
            and self.people.troops_without_seats() == 0
            and not self._cargo_departed.triggered
        ):
            self._cargo_departed.succeed()
            self._wake_air()

    def _wake_air(self) -> None:
        self._air_wake = self._fired(self._air_wake)

    def _log(self, t: float) -> None:
        self.log_t.append(t)
        self.log_cargo.append(self.cargo_at_base)
        self.log_people.append(self.garrison.at_base)

    def reinforcements_arrive(self) -> Generator[simpy.Event, Any, None]:
        """A political pause: reinforcements and their equipment flow into the base, and in a reversal loads that had
        left are brought back; none of it comes once the road is done (the base is not re-opened)."""
        pause = self.pause.pause
        assert pause is not None, "started only in a replication that has a pause"
        yield self.env.timeout(pause.start_hour)
        if self.road_done:
            return
        self.inflow_hour = self.env.now
        self.inventory.add_inflow(pause.inflow_loads)
        returned = self.inventory.bring_back(pause.returned_fraction)
        self.cargo_at_base += pause.inflow_loads + returned
        self.garrison.reinforce(pause.inflow_troops)
        self._log(self.env.now)
        if self.deadline.passed:
            leave_behind(self)
        self._wake_air()

    # --- results ----------------------------------------------------------------------
    def never_finishes(self, reason: str) -> None:
        """The base can never empty in this replication, for ``reason``: it runs to the horizon and says why."""
        self.stuck = True
        self.stuck_reason = reason
        self.fleet.cargo_taken()  # it keeps no truck now: a base short of those idle here may call them over
        self._tell_hub()

    def outcome(self) -> Outcome:
        """The base's outcome: its closure dates, then every part's columns in the order of :data:`PARTS`."""
        self.gate.charge_to_now()
        finished = self.base_empty_at is not None and not self.stuck
        check_nothing_lost(self, finished)
        empty = self.base_empty_at if finished and self.base_empty_at is not None else self.horizon_hours
        closure = max(self.last_arrival, empty) if finished else self.horizon_hours
        span = max(empty, 1e-9)
        columns: dict[str, Column] = {"days_to_base_empty": empty / 24.0, "days_to_force_closure": closure / 24.0, "finished": finished}
        for part in self.parts:
            columns.update(part.columns(span))
        columns["never_finishes"] = self.stuck_reason or ("" if finished or not self.shared.leaves[self.name] else reason_at_horizon(self))
        return Outcome(
            hours_to_base_empty=empty,
            hours_to_force_closure=closure,
            columns=columns,
            burndown_cargo=at_each_midnight(self.log_t, self.log_cargo, self.horizon_hours),
            burndown_people=at_each_midnight(self.log_t, self.log_people, self.horizon_hours),
            inflow_hour=self.inflow_hour,
            timeline=self.timeline,
        )


__all__ = ["PARTS", "RESOURCES", "STREAMS", "THEATRE_PART_COLUMNS", "WAIT_CAUSES", "Evacuation", "Outcome", "Streams"]
