"""Roads and threats as one base's convoys meet them: the route a convoy takes, driving it under the nights
and closures of its kind (with breakdowns on the way out), the empty return through the open crossing, and
the gate closed while threats close every first road out.

Hours a convoy halts at night are charged to "daylight", in a closure to "route closed", and the
detour to another crossing to "crossing"; each road's halts also go on the theatre's tally of that road.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.model.calendar import NEVER, Closures
from sim.model.convoy import Convoy
from sim.model.crossing import CrossingsAtBase, cross_empty
from sim.model.fleet import Fleet
from sim.model.network import BaseSpec, Road, Route
from sim.model.parts import BaseSetup, Hold, Part, Waits
from sim.model.shared import Shared

Steps = Sequence[tuple[Road, str]]
"""Roads in order, each with the site it is entered from."""


def route_out(shared: Shared, spec: BaseSpec, speed_cap: float | None, t: float | None = None) -> Route:
    """The route a loaded convoy from ``spec`` takes: to its hub, or the quickest way out of the country; from ``t``,
    the quickest whose first road is open (a threat closure re-routes convoys not yet on their way)."""
    net = shared.network
    if spec.send_to is not None:
        to_hub = net.route_inside(spec.name, spec.send_to, speed_cap)
        assert to_hub is not None, "a base reaches its hub (checked when the scenario is read)"
        return to_hub
    routes = net.routes_out(spec.name, speed_cap)
    if t is None or len(routes) == 1:
        return routes[0]
    return next(iter(_open_routes(shared, routes, t)), routes[0])


def _open_routes(shared: Shared, routes: Sequence[Route], t: float) -> list[Route]:
    """The routes whose first road no threat closes at ``t``, in their order."""
    return [route for route in routes if not route.inside or shared.threats[route.inside[0][0].index].is_open(t)]


def around_known_closures(shared: Shared, spec: BaseSpec, quickest: Route, convoy: Convoy, t: float, speed_cap: float | None) -> Route:
    """The route ``convoy`` leaving ``spec`` at ``t`` takes: ``quickest`` (:func:`route_out`), unless a scheduled
    closure of its crossing delays the convoy there; then, of the routes out whose first road is open, the one with
    the earliest expected arrival at its destination (:func:`expected_arrival`; the first of those that tie).

    A scheduled closure is known when convoys are routed, so the hours it would keep a convoy at the crossing count
    like hours on the road; random closures are met on arrival, not foreseen, and count for nothing here."""
    if quickest.crossing is None:
        return quickest
    point = shared.crossings[quickest.crossing]
    if len(point.scheduled) == 0:
        return quickest
    at = _drive_known(shared, quickest.inside, convoy.kind, t, speed_cap)
    work = point.processing_hours(convoy.size)
    if point.known.finish(at, work) == point.hours.finish(at, work):
        return quickest  # its scheduled closures do not touch this convoy's passage
    routes = [r for r in _open_routes(shared, shared.network.routes_out(spec.name, speed_cap), t) if shared.crossings[str(r.crossing)].lanes_count > 0]
    return min(routes or [quickest], key=lambda route: expected_arrival(shared, route, convoy, t, speed_cap))


def expected_arrival(shared: Shared, route: Route, convoy: Convoy, t: float, speed_cap: float | None) -> float:
    """When ``convoy`` leaving at ``t`` by ``route`` would reach its destination by what is known at ``t``: the roads'
    driving hours and nights for its kind, the crossing's opening hours and scheduled closures and its processing;
    not threats, random closures, breakdowns or a queue for a lane."""
    point = shared.crossings[str(route.crossing)]
    through = point.known.finish(_drive_known(shared, route.inside, convoy.kind, t, speed_cap), point.processing_hours(convoy.size))
    return _drive_known(shared, route.outside, convoy.kind, through, speed_cap)


def _drive_known(shared: Shared, steps: Steps, kind: str, t: float, speed_cap: float | None) -> float:
    """When a convoy of ``kind`` driving ``steps`` from ``t`` ends them, halting only for the known nights."""
    for road, _ in steps:
        t = shared.nights(road, kind).finish(t, road.leg.driving_hours(speed_cap))
    return t


def first_road(shared: Shared, spec: BaseSpec) -> Road | None:
    """The first road of the base's quickest route out (``None``: the base is at a crossing)."""
    route = route_out(shared, spec, None)
    return route.inside[0][0] if route is not None and route.inside else None


class Roads(Part):
    """The roads as one base's convoys drive them."""

    causes = ("route closed",)

    def __init__(self, shared: Shared, spec: BaseSpec, waits: Waits, fleet: Fleet, crossings: CrossingsAtBase) -> None:
        self.shared = shared
        self.spec = spec
        self.waits = waits
        self.fleet = fleet
        self.crossings = crossings
        first = first_road(shared, spec)
        self.closed = NEVER if first is None else shared.first_roads_closed(spec.name, spec.send_to)
        self.may_hold = len(self.closed) > 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Roads:
        return cls(setup.shared, setup.spec, setup.waits, setup.get(Fleet), setup.get(CrossingsAtBase))

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        opens = self.closed.open_at(now)  # now, when open
        return None if opens == now else ("route closed", opens)

    def route_out(self, speed_cap: float | None, t: float | None = None) -> Route:
        return route_out(self.shared, self.spec, speed_cap, t)

    def route_for(self, convoy: Convoy, speed_cap: float | None, t: float) -> tuple[Route, float]:
        """The route ``convoy`` leaving at ``t`` takes, and the hours it drives beyond the quickest route's to go round
        a scheduled crossing closure (0: the quickest route, whose first road is open)."""
        quickest = self.route_out(speed_cap, t)
        route = around_known_closures(self.shared, self.spec, quickest, convoy, t, speed_cap)
        if route is quickest:
            return route, 0.0
        self.crossings.diverted()
        return route, max(0.0, route.inside_hours - quickest.inside_hours)

    @property
    def threats(self) -> Closures:
        """Threat closures of the first road of the base's quickest route (the Syrian leg of a one-base scenario)."""
        first = first_road(self.shared, self.spec)
        return NEVER if first is None else self.shared.threats[first.index]

    # --- on the road ------------------------------------------------------------------
    def breakdown_halts(self, convoy: Convoy, km: float) -> float:
        """Trucks that break down on a leg of ``km``; returns the convoy's recovery halts (hours)."""
        if not convoy.trucks:
            return 0.0
        broken, halts = self.shared.breakdowns.on_leg(convoy.trucks, km)
        if broken:
            self.fleet.broke_down(sum(broken.values()))
            b = convoy.legs.setdefault("broken", {})
            for k, n in broken.items():
                b[k] = b.get(k, 0) + n
        return halts

    def drive(self, convoy: Convoy, daylight: Closures | None, closed: Closures, t: float, hours: float, road: Road | None = None) -> float:
        """When ``hours`` of driving from ``t`` end: nights (``daylight``) and, on top, road closures
        (``closed`` includes the nights) halt the convoy; each halt is charged to its cause (and to ``road``)."""
        by_daylight = daylight.finish(t, hours) if daylight else t + hours
        end = by_daylight if closed is daylight else closed.finish(t, hours)
        if by_daylight > t + hours:
            self.waits.charge("daylight", by_daylight - t - hours, convoy)
        if end > by_daylight:
            self.waits.charge("route closed", end - by_daylight, convoy)
        if road is not None:
            self.shared.on_road(road, end - t - hours)
        convoy.work_hours += hours
        return end

    def drive_roads(self, convoy: Convoy, steps: Steps, t: float, speed_cap: float | None, breakdowns: bool = True) -> float:
        """Drive ``steps`` (roads in order) from ``t``: each road's driving hours, its breakdown halts (loaded),
        its nights and closures for the convoy's kind. Returns the arrival time."""
        kind = convoy.kind
        for road, _ in steps:
            hours = road.leg.driving_hours(speed_cap)
            if breakdowns:
                hours += self.breakdown_halts(convoy, road.km)
            nights, closed = self.shared.calendars(road, kind)
            t = self.drive(convoy, nights, closed, t, hours, road)
        return t

    def drive_detour(self, convoy: Convoy, daylight: Closures, closed: Closures, t: float, hours: float, road: Road | None = None) -> float:
        """The detour to another crossing: driven like the road it ends (halting at night and in closures), its
        driving hours charged to the crossing that sent the convoy round."""
        if hours <= 0:
            return t
        end = self.drive(convoy, daylight, closed, t, hours)
        convoy.work_hours -= hours
        self.waits.charge("crossing", hours, convoy)
        if road is not None:  # the detour and its halts are hours lost on the road it began from
            self.shared.on_road(road, end - t, passage=False)
        return end

    def return_trip(self, convoy: Convoy, t: float, speed_cap: float | None, at: str) -> float:
        """Empty trucks drive back from ``at`` (a destination or a hub) at ``t`` to the base: from a destination,
        to the crossing of the quickest way back, where they choose as loaded convoys do (another crossing if
        that one stays shut too long: the difference in driving hours is a detour, charged to the crossing),
        then the roads to the base. No breakdowns on the way back."""
        net = self.shared.network
        home = self.spec.name
        if at not in net.destinations:
            to_hub = net.route_inside(at, home, speed_cap)
            assert to_hub is not None, "a base reaches its hub (checked when the scenario is read)"
            return self.drive_roads(convoy, tuple(reversed(to_hub.inside)), t, speed_cap, breakdowns=False)
        back, outside, inside = net.way_back(home, at, speed_cap)
        back, outside, inside, round_closure = self._around_known_closures_back(convoy, at, t, speed_cap, back, outside, inside)
        assert back.crossing is not None, "a way back from a destination crosses the border"
        t = self.drive_roads(convoy, outside, t, speed_cap, breakdowns=False)
        chosen = self.crossings.choose(t, back.crossing)
        point = self.shared.crossings[chosen]
        through, work = cross_empty(point, t, convoy.truck_count or convoy.size)  # a shuttle: its vehicles
        self.waits.charge("crossing", through - t - work, convoy)
        self.shared.on_road(back.inside[-1][0], through - t - work, passage=False)
        convoy.work_hours += work
        convoy.legs["return crossing"] = point.name
        if chosen == back.crossing:
            detour = 0.0
        else:
            route = net.crossing_route(home, chosen, speed_cap)
            assert route is not None, "a convoy diverts only to a crossing of its base"
            detour = route.inside_hours - back.inside_hours
            inside = tuple(reversed(route.inside))
            self.crossings.diverted(empty=True)
        end = self.drive_roads(convoy, inside, through, speed_cap, breakdowns=False)
        if detour > 0:  # its driving hours are the crossing's doing, not work
            convoy.work_hours -= detour
            self.waits.charge("crossing", detour, convoy)
            self.shared.on_road(back.inside[-1][0], detour, passage=False)
        if round_closure > 0:  # the longer way round a scheduled closure, likewise
            convoy.work_hours -= round_closure
            self.waits.charge("crossing", round_closure, convoy)
        return end

    def _around_known_closures_back(
        self, convoy: Convoy, at: str, t: float, speed_cap: float | None, back: Route, outside: Steps, inside: Steps
    ) -> tuple[Route, Steps, Steps, float]:
        """The way back empty trucks leaving destination ``at`` at ``t`` take: the quickest (``back``, its roads
        ``outside`` and ``inside`` in the order driven), unless a scheduled closure of its crossing delays them there;
        then the way through the crossing with the earliest expected arrival at the base, as loaded convoys choose
        (:func:`around_known_closures`). Also returns its hours beyond the quickest way's (0 for the quickest)."""
        shared, net = self.shared, self.shared.network
        point = shared.crossings[str(back.crossing)]
        if len(point.scheduled) == 0:
            return back, outside, inside, 0.0
        kind, trucks = convoy.kind, convoy.truck_count
        at_crossing = _drive_known(shared, outside, kind, t, speed_cap)
        work = point.processing_hours(trucks) * 0.5
        if point.known.finish(at_crossing, work) == point.hours.finish(at_crossing, work):
            return back, outside, inside, 0.0
        quickest_hours = back.inside_hours + net.outside_path(str(back.crossing), at, speed_cap)[0]
        best, best_at = (back, outside, inside, quickest_hours), math.inf
        for route in [back, *(r for r in net.routes_out(self.spec.name, speed_cap) if r is not back)]:
            other = shared.crossings[str(route.crossing)]
            out_hours, out_steps = net.outside_path(str(route.crossing), at, speed_cap)
            if other.lanes_count == 0 or out_hours == math.inf:
                continue
            way_out, way_in = tuple(reversed(out_steps)), tuple(reversed(route.inside))
            through = other.known.finish(_drive_known(shared, way_out, kind, t, speed_cap), other.processing_hours(trucks) * 0.5)
            home = _drive_known(shared, way_in, kind, through, speed_cap)
            if home < best_at:
                best, best_at = (route, way_out, way_in, route.inside_hours + out_hours), home
        route, way_out, way_in, hours = best
        if route is back:
            return back, outside, inside, 0.0
        self.crossings.diverted(empty=True)
        return route, way_out, way_in, max(0.0, hours - quickest_hours)
