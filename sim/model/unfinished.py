"""Why a base the horizon cut off did not empty, in words (the ``never_finishes`` column): what is still at the
base, and what held it there and since when."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.names import AT_HORIZON

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation


def reason_at_horizon(base: Evacuation) -> str:
    """Why a base that never became empty is not, in words: what is still at the base at the horizon, and
    what held it there and since when (the gate's causes for the queued convoys, the next convoy's wait to
    form, convoys on the road, loads for the strip, a hub's feeders, a start that never came)."""
    p, queued = base.people, base.gate.queue
    people = base.garrison.at_base + sum(c.people for c in queued)  # those in a queued convoy have not left either
    vehicles = p.vehicles_at_base + sum(c.vehicles for c in queued if c.last_element)
    left = [f"{n:,} {what}" for n, what in ((base.cargo_at_base, "loads"), (vehicles, "vehicles"), (people, "people")) if n]
    left = [w.replace("1 loads", "1 load").replace("1 vehicles", "1 vehicle").replace("1 people", "1 person") if w.split()[0] == "1" else w for w in left]
    head = f"{AT_HORIZON} (day {base.horizon_hours / 24:g}) {_words(left) or 'nothing'} still at the base"
    return f"{head}: {'; '.join(_holds_at_horizon(base))}"


def _holds_at_horizon(base: Evacuation) -> list[str]:
    """What held the base at the horizon, one phrase a cause."""
    if base.started_at is None:
        after = base.spec.after
        return [f"it never started (it starts when {after} is empty)" if after else f"it never started (start day {base.spec.start_day:g})"]
    out = []
    by_cause: dict[str, list[float]] = {}
    for convoy in base.gate.queue:
        cause = base.gate.held.get(convoy.number) or "nothing yet (it had just formed)"
        by_cause.setdefault(cause, []).append(base.gate.held_since.get(convoy.number, convoy.legs.get("queued", base.env.now)))
    for cause, since in by_cause.items():
        out.append(f"{len(since)} convoy{'s' if len(since) > 1 else ''} held at the gate by {cause} since day {min(since) / 24:.1f}")
    if base.forming_wait is not None:
        cause, since = base.forming_wait
        out.append(f"the next convoy waiting to form for {cause} since day {since / 24:.1f}")
    if base.in_transit:
        out.append(f"{base.in_transit} convoy{'s' if base.in_transit > 1 else ''} still on the road")
    air = base.inventory.air_remaining()
    if air:
        flown = f"{base.airlift.sorties} sorties flown" if base.airlift.flies else "no aircraft flies"
        out.append(f"{air} load{'s' if air > 1 else ''} for the airlift ({flown})")
    if base.feeders and base.waiting_for_feeders():
        out.append(f"waiting for the bases that send to it ({_words([f.name for f in base.feeders])})")
    if not out and base.road_done and not base._cargo_departed.triggered:
        out.append("the last element waiting for the last cargo, vehicles and troops to leave")
    return out or ["no convoy, sortie or wait was under way (a model bug: please report it)"]


def _words(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


__all__ = ["reason_at_horizon"]
