"""Rough-cut capacity: for each resource, the fewest days it alone would need to empty the base.

No simulation: each bound assumes every other resource is unlimited, no waiting,
no disruption, and that the last trip need not come back. Each is therefore a
lower bound on days to base empty for the scenario it is computed on; the binding
resource is the one with the largest bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model.route import Leg
from sim.scenario.draws import resolve
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Bound:
    """The fewest days one resource would need, and what the figure rests on."""

    resource: str
    days: float
    basis: str
    applies_to: str = "base empty"


def _repeat_days(trips: int, per_slot: int, hours_each: float) -> float:
    """Days until the last of ``trips`` can start, ``per_slot`` at a time, each slot ``hours_each`` long."""
    if trips <= 0:
        return 0.0
    if per_slot <= 0:
        return math.inf
    return (math.ceil(trips / per_slot) - 1) * hours_each / 24.0


def capacity_bounds(scenario: Scenario) -> list[Bound]:
    """Bounds for a scenario; distributions are taken at their medians (use a resolved scenario for exact ones)."""
    s = resolve(scenario, {}, set())
    classes = {name: (int(c.loads) - round(int(c.loads) * c.handed_over_fraction), set(c.carriers)) for name, c in s.cargo.classes.items()}
    total = sum(n for n, _ in classes.values())
    road_only = {name: n for name, (n, carriers) in classes.items() if "air" not in carriers}
    air_only = sum(n for n, carriers in classes.values() if carriers == {"air"})
    vehicles = int(s.vehicles.count)
    syria, iraq = Leg.of(s.route.syria), Leg.of(s.route.iraq)
    cross = s.crossing.main

    out: list[Bound] = []
    unstaged = max(0.0, total * (1 - s.cargo.staged_at_start))
    out.append(Bound("pack-out", unstaged / s.cargo.packout_loads_per_day, f"{unstaged:.0f} loads to pack at {s.cargo.packout_loads_per_day:.3g} a day"))

    road_loads = sum(road_only.values())
    teams = int(s.loading.teams)
    out.append(
        Bound(
            "loading teams",
            math.inf if teams == 0 and road_loads else road_loads * s.loading.hours_per_truck / max(teams, 1) / 24.0,
            f"{road_loads} road-only loads at {s.loading.hours_per_truck:.3g} h a truck, {teams} teams",
        )
    )

    # A truck's round trip without any wait: the last trip need not come back.
    def cycle_hours(speed_cap: float | None) -> float:
        drive = syria.driving_hours(speed_cap) + iraq.driving_hours(speed_cap)
        return 2 * drive + cross.fixed_hours * 1.5 + s.destination.unload_hours_per_truck

    for kind in ("civilian", "military", "het"):
        may_take = [name for name, (_, carriers) in classes.items() if kind in carriers]
        only_kind = sum(n for name, (n, carriers) in classes.items() if carriers - {"air"} == {kind} and "air" not in carriers)
        count = int(getattr(s.fleet, kind).count)
        if not may_take or only_kind == 0:
            continue
        hours = cycle_hours(getattr(s.fleet, kind).speed_kmh)
        out.append(
            Bound(f"{kind} trucks", _repeat_days(only_kind, count, hours), f"{only_kind} loads only they carry, {count} trucks, {hours:.1f} h round trip")
        )
    trucks = sum(int(getattr(s.fleet, k).count) for k in ("civilian", "military", "het"))
    out.append(Bound("all trucks", _repeat_days(road_loads, trucks, cycle_hours(None)), f"{road_loads} road-only loads on {trucks} trucks"))

    size_max = max(1, int(s.convoys.size_max))
    convoys = math.ceil((road_loads + vehicles) / size_max) + (1 if s.people.last_element_by == "convoy" else 0)
    per_day = int(s.convoys.max_per_day)
    out.append(Bound("departure slots", _repeat_days(convoys, per_day, 24.0), f"at least {convoys} convoys of <= {size_max} vehicles, {per_day} a day"))

    mission = 2 * syria.driving_hours() + s.escort.rest_hours
    escort_teams = int(s.escort.teams)
    out.append(Bound("escort teams", _repeat_days(convoys, escort_teams, mission), f"{convoys} convoys, {escort_teams} teams, {mission:.1f} h a mission"))

    lanes = int(cross.lanes) + (int(s.crossing.alternate.lanes) if s.crossing.alternate else 0)
    open_share = (cross.open_hours[1] - cross.open_hours[0]) / 24.0
    lane_hours = (road_loads + vehicles) * cross.minutes_per_vehicle / 60.0
    out.append(
        Bound(
            "crossing lanes",
            math.inf if lanes == 0 else lane_hours / lanes / open_share / 24.0,
            f"{road_loads + vehicles} vehicles at {cross.minutes_per_vehicle:.3g} min each, {lanes} lanes",
            "force closure",
        )
    )

    if air_only:
        aircraft = [a for a in (s.airlift.c17, s.airlift.c130j) if a.allowed and a.runway_m <= s.airlift.runway_m]
        per_sortie = math.floor(aircraft[0].pallets / s.cargo.pallets_per_load) if aircraft else 0
        sorties = math.ceil(air_only / per_sortie) if per_sortie else math.inf
        out.append(Bound("airlift", (sorties - 1) / s.airlift.sorties_per_day if sorties != math.inf else math.inf, f"{air_only} air-only loads"))
    return out


def binding(bounds: list[Bound]) -> Bound:
    """The resource that alone would take longest (to base empty or to force closure)."""
    return max(bounds, key=lambda b: b.days)


def base_empty_bound(bounds: list[Bound]) -> float:
    """The largest bound on days to base empty (a replication can never be quicker)."""
    return max((b.days for b in bounds if b.applies_to == "base empty"), default=0.0)
