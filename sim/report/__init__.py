"""The one-file HTML report of a results folder (:func:`render_report`).

``render_report`` is imported on first use, so that the words of the report (:mod:`sim.report.readable`), which
``evacsim validate`` prints, come without the report's figures, statistics and templates (about 1.9 s of imports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.report.render import render_report

__all__ = ["render_report"]


def __getattr__(name: str) -> Any:
    if name == "render_report":
        from sim.report.render import render_report

        return render_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
