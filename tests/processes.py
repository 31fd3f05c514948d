"""Processes left behind: what the stopping tests look for after a command ends."""

from __future__ import annotations

from pathlib import Path


def processes_with(word: str) -> list[int]:
    """Processes whose command line holds ``word`` (a results folder's path, a seed only one command was given): a
    command's pool workers carry its argv."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if word in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
