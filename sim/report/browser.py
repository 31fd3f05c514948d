"""Whether a written report fits a 1,280 px browser window, read from the report's own layout flag.

The page's script marks, after load, every element that reaches past the window or any table wider than
its column (``data-overflowing`` on ``#render-check``). ``evacsim report`` opens the page it wrote in a
headless Chromium, when one is installed, and warns when the flag fires: the report is written and readable
(a table that scrolls sideways loses nothing), so it is a warning and exit status 0, not a failure that would
make a script treat a good report as missing. Without Chromium nothing is checked and nothing is said;
``EVACSIM_LAYOUT_CHECK=0`` skips the check (the test suite sets it: a headless browser costs each report
1-4 s, and the browser tests check the layout themselves).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WINDOW_PX = 1280
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
_CHECK = re.compile(r'<div id="render-check"[^>]*?data-scroll-width="(\d+)" data-viewport="(\d+)" data-overflowing="([^"]*)"')


@dataclass(frozen=True)
class Layout:
    """What the page's flag said at a window ``viewport`` px wide: its scroll width and the elements past the edge."""

    scroll_width: int
    viewport: int
    overflowing: str

    @property
    def fits(self) -> bool:
        return not self.overflowing and self.scroll_width <= self.viewport

    def warning(self, page: Path) -> str:
        return (
            f"{page} does not fit a {self.viewport} px window: the page is {self.scroll_width} px wide"
            + (f" and these elements reach past it or past their column: {self.overflowing}" if self.overflowing else "")
            + "; it is written and complete, but a reader will scroll sideways"
        )


def browser() -> str | None:
    """The headless browser the check uses, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def check_layout(page: Path, width: int = WINDOW_PX, timeout: float = 60.0) -> Layout | None:
    """Open ``page`` in a headless Chromium ``width`` px wide and read its layout flag; None when no browser is
    installed or the page could not be read (the check is a courtesy, never a reason to lose a report)."""
    found = browser()
    if found is None or os.environ.get("EVACSIM_LAYOUT_CHECK") == "0":
        return None
    with tempfile.TemporaryDirectory(prefix="evacsim-layout-") as profile:
        window = [f"--user-data-dir={profile}", f"--window-size={width},900", "--virtual-time-budget=5000"]
        command = [found, *FLAGS, *window, "--dump-dom", page.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
    flag = _CHECK.search(done.stdout)
    if flag is None:
        return None
    return Layout(int(flag.group(1)), int(flag.group(2)), flag.group(3))
