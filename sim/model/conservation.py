"""The conservation check run on every replication: nothing a base held is lost or made up."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation


def check_nothing_lost(base: Evacuation, finished: bool) -> None:
    """Every load, vehicle and person at the start (or flowing in) has left, or is still at the base.

    A programmer's check, run on every replication: a violation is a model bug.
    """
    inv, p = base.inventory, base.people
    moved = sum(c.by_road + c.by_air for c in inv.classes)
    still = sum(c.remaining for c in inv.classes)
    g = base.garrison
    people_left = g.by_road + g.by_air
    vehicles = p.vehicles_at_start - p.vehicles_carried + p.vehicles_inflow
    ok = moved + still == inv.to_move and people_left + g.at_base == g.at_start + g.inflow and p.vehicles_at_base >= 0
    if finished:
        ok = ok and still == 0 and g.at_base == 0 and p.vehicles_at_base == 0 and base.cargo_at_base == 0
    if not ok:
        raise AssertionError(
            f"conservation broken: loads {inv.to_move} to move, {moved} moved, {still} left; people {g.at_start}+{g.inflow}, "
            f"{people_left} left, {g.at_base} at the base; vehicles {vehicles}, {p.vehicles_at_base} at the base"
        )


__all__ = ["check_nothing_lost"]
