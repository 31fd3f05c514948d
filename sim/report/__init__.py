"""The one-file HTML report of a results folder (:func:`render_report`)."""

from sim.report.render import render_report

__all__ = ["render_report"]
