"""Loading teams putting staged cargo on a convoy's trucks, and unloading at the destination."""

from __future__ import annotations

import math


def loading_hours(trucks: int, teams: int, hours_per_truck: float) -> float:
    """Hours for ``teams`` working side by side to load ``trucks`` (one load each)."""
    if trucks == 0:
        return 0.0
    return math.ceil(trucks / max(1, teams)) * hours_per_truck
