"""People at the base: who leaves how, the seats they ride in, and the security force that leaves last."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model.parts import BaseSetup, Column, Part


@dataclass
class Garrison:
    """Troops still at the base, split into those free to leave and the security force.

    Vehicle crews and convoy passengers leave by road, others by air; the security
    force stays until the last cargo has gone and leaves as the last element.
    """

    free_to_leave: int
    security_force: int
    at_start: int
    inflow: int = 0
    by_road: int = 0
    by_air: int = 0

    @property
    def at_base(self) -> int:
        return self.free_to_leave + self.security_force

    def leave_by_road(self, wanted: int) -> int:
        n = min(wanted, self.free_to_leave)
        self.free_to_leave -= n
        self.by_road += n
        return n

    def leave_by_air(self, wanted: int) -> int:
        n = min(wanted, self.free_to_leave)
        self.free_to_leave -= n
        self.by_air += n
        return n

    def last_element_leaves(self, by: str) -> int:
        """Everyone still at the base leaves together; returns how many."""
        n = self.at_base
        if by == "convoy":
            self.by_road += n
        else:
            self.by_air += n
        self.free_to_leave = self.security_force = 0
        return n

    def security_leaves_by_air(self, n: int) -> None:
        """``n`` of the security force fly out before the last element (seats a sortie had left over)."""
        self.security_force -= n
        self.by_air += n

    def reinforce(self, troops: int) -> None:
        self.free_to_leave += troops
        self.inflow += troops


class PeopleAndSeats(Part):
    """The base's troops and self-driving vehicles, and the seats they leave in.

    Vehicles the troops can crew drive out in convoys (``vehicles.crew`` each), the rest are carried
    as cargo (``vehicles_carried``); passengers ride in vehicles' spare seats, truck cabs and a convoy's
    own seats; the security force keeps its vehicles (or seats on a sortie) to leave last.
    """

    def __init__(
        self,
        troops: int,
        security: int,
        vehicles: int,
        crew: int,
        seats: int | None,
        share_places: int,
        last_element_by: str = "convoy",
        security_vehicles: int | None = None,
        seats_per_convoy: int = 0,
    ) -> None:
        self.crew = crew
        self.vehicles_at_start = vehicles
        self.vehicles_carried = max(0, vehicles - (troops - security) // crew)
        self.vehicles_left = vehicles - self.vehicles_carried  # not yet in a convoy
        self.vehicles_at_base = self.vehicles_left  # not yet gone
        self.vehicles_inflow = 0
        self.vehicles_left_behind = 0  # not needed as seats at a deadline: destroyed or handed over
        self.seats = seats if seats is not None else crew
        self.vehicle_share_places = share_places
        self.garrison = Garrison(troops - security, security, troops)
        self.last_element_by = last_element_by
        self.seats_per_convoy = seats_per_convoy
        self.shuttle_trips = 0  # trips of the base's own vehicles back for troops without a seat
        self.people_by_shuttle = 0
        self.security_vehicles = 0  # vehicles the security force keeps and leaves in: as given, or as many as its people need
        self.moves = True  # False for a base that stays in this replication (:meth:`stays`): nothing of it is carried
        if last_element_by == "convoy":
            self.security_vehicles = security_vehicles if security_vehicles is not None else math.ceil(security / self.seats)

    @classmethod
    def for_base(cls, setup: BaseSetup) -> PeopleAndSeats:
        spec = setup.spec
        troops = int(spec.people.troops)
        security = min(int(spec.people.security_force), troops)
        v = spec.vehicles
        seats = int(v.seats) if v.seats is not None else None
        given = spec.people.security_vehicles
        return cls(
            troops,
            security,
            int(v.count),
            int(v.crew),
            seats,
            int(v.share_of_convoy * int(setup.scenario.convoys.size_max)),
            last_element_by=spec.people.last_element_by,
            security_vehicles=int(given) if given is not None else None,
            seats_per_convoy=int(spec.people.seats_per_convoy),
        )

    def troops_not_driving(self) -> int:
        """Troops free to leave beyond the crews the vehicles still at the base need (may be negative when crews are short)."""
        return self.garrison.free_to_leave - self.vehicles_left * self.crew

    def last_element_spare_seats(self) -> int:
        """Seats in the security force's vehicles beyond the security force itself."""
        if self.last_element_by != "convoy":
            return 0
        return max(0, self.security_vehicles * self.seats - self.garrison.security_force)

    def troops_without_seats(self) -> int:
        """Troops (not the security force) who must still leave by road before the last element, beyond its spare seats."""
        if self.last_element_by != "convoy":
            return 0
        return max(0, self.troops_not_driving() - self.last_element_spare_seats())

    def free_to_fly(self, seats_per_sortie: int) -> int:
        """Troops who may fly now: not the security force, not drivers still needed for vehicles (none if aircraft have no seat)."""
        if seats_per_sortie == 0:
            return 0
        return max(0, self.troops_not_driving())

    def board_road_convoy(self, vehicles: int, cab_seats: int) -> int:
        """Troops who leave in a convoy of ``vehicles`` (taken from those not yet in a convoy) with ``cab_seats``
        in its trucks: its vehicles' crews, then passengers in the spare seats (vehicles, truck cabs, the
        convoy's own seats), keeping drivers for the vehicles still at the base."""
        self.vehicles_left -= vehicles
        crews = self.garrison.leave_by_road(vehicles * self.crew)
        spare = vehicles * (self.seats - self.crew) + cab_seats + self.seats_per_convoy
        free = self.troops_not_driving()
        return crews + self.garrison.leave_by_road(max(0, min(spare, free)))

    def vehicles_driving_out(self) -> int:
        """The base's self-driving vehicles that have joined a convoy out (not carried, not left behind at a deadline):
        those a shuttle may bring back."""
        return self.vehicles_at_start + self.vehicles_inflow - self.vehicles_carried - self.vehicles_left - self.vehicles_left_behind

    def shuttle_seats(self, vehicles: int) -> int:
        """Troops a shuttle of ``vehicles`` carries: their seats beyond their crews (who drive them back and out
        again, already counted as gone), and the convoy's own seats."""
        return vehicles * (self.seats - self.crew) + self.seats_per_convoy

    def board_shuttle(self, vehicles: int) -> int:
        """Troops without a seat board a shuttle of ``vehicles``; returns how many."""
        n = self.garrison.leave_by_road(min(self.troops_without_seats(), self.shuttle_seats(vehicles)))
        self.shuttle_trips += 1
        self.people_by_shuttle += n
        return n

    def stays(self) -> None:
        """The base is not left in this replication: its vehicles the troops could not crew are not carried out either."""
        self.moves = False

    def vehicles_depart(self, n: int) -> None:
        self.vehicles_at_base -= n

    def leave_vehicles_behind(self) -> int:
        """A deadline has passed: the vehicles not yet in a convoy beyond those the troops still to leave need as seats
        (the security force apart, in its own) stay at the base for good; returns how many."""
        needed = math.ceil(self.garrison.free_to_leave / self.seats)
        left = max(0, self.vehicles_left - needed)
        self.vehicles_left -= left
        self.vehicles_at_base -= left
        self.vehicles_left_behind += left
        return left

    def arrive(self, vehicles: int, people: int) -> None:
        """A feeder's convoy brings ``vehicles`` and ``people`` to this hub: they must leave again."""
        self.vehicles_left += vehicles
        self.vehicles_at_base += vehicles
        self.vehicles_inflow += vehicles
        self.garrison.reinforce(people)

    def columns(self, span: float) -> dict[str, Column]:
        g = self.garrison
        return {
            "vehicles_at_start": self.vehicles_at_start,
            "vehicles_by_road": self.vehicles_at_start + self.vehicles_inflow - self.vehicles_carried - self.vehicles_at_base - self.vehicles_left_behind,
            "vehicles_carried": self.vehicles_carried if self.moves else 0,  # a base that stays carries nothing
            "people_at_start": g.at_start,
            "people_inflow": g.inflow,
            "people_by_road": g.by_road,
            "people_by_air": g.by_air,
            "people_by_shuttle": self.people_by_shuttle,
            "shuttle_trips": self.shuttle_trips,
        }
