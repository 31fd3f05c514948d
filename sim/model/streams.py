"""A replication's random streams: one ``numpy.random.Generator`` per random purpose inside the model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAMS = ("threats", "crossing", "weather", "breakdowns", "cover", "pause", "phasing")
"""Random purposes inside a replication, one ``numpy.random.Generator`` each."""


@dataclass(frozen=True)
class Streams:
    """One random stream per purpose, so changing one disruption leaves the others' draws alone."""

    threats: np.random.Generator
    crossing: np.random.Generator
    weather: np.random.Generator
    breakdowns: np.random.Generator
    cover: np.random.Generator
    pause: np.random.Generator
    phasing: np.random.Generator | None = None  # whether each base of a theatre is left (its ``leaves``)
