"""``evacsim serve`` stops as the README and docs/COMMANDS.md say every command does: 130 after Ctrl-C, 143 after
SIGTERM, leaving no process and no file; without a scenario it says where the default is read from."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import processes_with

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"


def _serve(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def defaults() -> None:  # as a terminal starts it, whatever the test runner ignores
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "sim", "serve", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=defaults
    )


def _answering(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                if sock.recv(12).startswith(b"HTTP/"):
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the page never answered")


@pytest.mark.parametrize(("sig", "status", "said"), [(signal.SIGINT, 130, "stopped."), (signal.SIGTERM, 143, "stopped by SIGTERM.")])
def test_serve_stopped_by_a_signal_exits_as_documented_and_leaves_nothing(tmp_path, sig, status, said):
    seed = str(900_000 + sig)  # a word only this server's processes (and its workers') carry
    server = _serve(tmp_path, str(BASELINE), "-n", "40", "--jobs", "2", "--seed", seed)
    assert server.stdout is not None
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl-C stops it." in line:
            break
    assert any("Ctrl-C stops it." in line for line in lines), (lines, server.stderr.read() if server.poll() is not None else "")
    address = re.search(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))
    assert address, lines
    _answering(int(address.group(1)))  # the server is up (its signal handlers with it), as a user who opened the page
    server.send_signal(sig)
    out, err = server.communicate(timeout=60)
    assert server.returncode == status, err
    assert said in out and "Traceback" not in err
    time.sleep(0.5)
    assert processes_with(f"--seed {seed}") == []
    assert list(tmp_path.iterdir()) == []


def test_serve_without_a_scenario_outside_the_evacsim_folder_says_where_the_default_is_read(tmp_path):
    server = _serve(tmp_path)
    _, err = server.communicate(timeout=120)
    assert server.returncode == 3
    said = " ".join(err.split())
    assert "no scenario given, and the default, scenarios/qasrak_baseline.toml, is read relative to the current folder" in said
    assert str(tmp_path) in said and "evacsim serve path/to/scenario.toml" in said and "check the path" not in said
