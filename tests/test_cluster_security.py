"""A Dask cluster no stranger can use (issue 22): TLS through distributed's own ``Security``, with
certificates given as options; a warning for plain TCP outside loopback; a handshake deadline, so
that a port that answers but is not Dask is one line and exit status 5, never a hang or a crash.

The TLS cluster is started here as docs/CLUSTER.md starts one (``dask scheduler`` and ``dask worker``
with ``--tls-*``), on loopback, with certificates the test makes with the ``openssl`` program."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiment import executors
from sim.experiment.executors import DaskExecutor, ExecutorError, plain_tcp_risk

DASK = Path(sys.executable).with_name("dask")

_LEAF = """basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _authority_and_leaf(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A certificate authority ``name-ca.pem`` and a certificate for 127.0.0.1 it signed (``name.pem``, ``name.key``)."""
    ca, ca_key = folder / f"{name}-ca.pem", folder / f"{name}-ca.key"
    cert, key, request, extensions = folder / f"{name}.pem", folder / f"{name}.key", folder / f"{name}.csr", folder / "leaf.cnf"
    extensions.write_text(_LEAF)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", f"/CN={name} test authority")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1")
    _openssl("x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", extensions)
    return ca, cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl program to make test certificates")
    folder = tmp_path_factory.mktemp("certificates")
    ca, cert, key = _authority_and_leaf(folder, "cluster")
    _, stranger_cert, stranger_key = _authority_and_leaf(folder, "stranger")
    return {"ca": ca, "cert": cert, "key": key, "stranger_cert": stranger_cert, "stranger_key": stranger_key}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def tls_scheduler(certificates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tls://127.0.0.1:PORT``: a scheduler and two single-threaded workers, all requiring the cluster's certificates."""
    if not DASK.exists():
        pytest.skip("needs the dask command of this environment")
    tls = ["--tls-ca-file", str(certificates["ca"]), "--tls-cert", str(certificates["cert"]), "--tls-key", str(certificates["key"])]
    address = f"tls://127.0.0.1:{_free_port()}"
    logs = tmp_path_factory.mktemp("cluster")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [DASK, "scheduler", "--host", address.rsplit(":", 1)[0], "--port", address.rsplit(":", 1)[1], "--no-dashboard", *tls],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "scheduler.log").open("wb"),
                env=env,
            )
        )
        started.append(
            subprocess.Popen(
                [DASK, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard", *tls],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "workers.log").open("wb"),
                env=env,
            )
        )
        from distributed import Client
        from distributed.security import Security

        pem = {"tls_ca_file": str(certificates["ca"]), "tls_client_cert": str(certificates["cert"]), "tls_client_key": str(certificates["key"])}
        security = Security(**pem, require_encryption=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, security=security, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _evacsim(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_run_on_a_tls_cluster_gives_the_same_bits_as_the_local_pool(tls_scheduler, certificates, baseline_path, tmp_path):
    on_cluster = _evacsim(
        "run", "--no-figures", baseline_path, "-n", 30, "--seed", 5, "--out", tmp_path / "tls",
        "--scheduler", tls_scheduler, "--tls-ca-file", certificates["ca"], "--tls-cert", certificates["cert"], "--tls-key", certificates["key"],
    )  # fmt: skip
    assert on_cluster.exit_code == 0, on_cluster.output
    assert "plain TCP" not in on_cluster.output  # TLS: nothing to warn about
    pool = _evacsim("run", "--no-figures", baseline_path, "-n", 30, "--seed", 5, "--jobs", 2, "--out", tmp_path / "pool")
    assert pool.exit_code == 0, pool.output
    cluster_rows = pd.read_parquet(tmp_path / "tls" / "replications.parquet").sort_values("replication", ignore_index=True)
    pool_rows = pd.read_parquet(tmp_path / "pool" / "replications.parquet").sort_values("replication", ignore_index=True)
    assert len(cluster_rows) == 30
    pd.testing.assert_frame_equal(cluster_rows, pool_rows)


def test_a_tls_cluster_refuses_a_client_whose_certificate_it_did_not_sign(tls_scheduler, certificates, baseline_path, tmp_path):
    start = time.monotonic()
    result = _evacsim(
        "run", baseline_path, "-n", 10, "--out", tmp_path / "stranger",
        "--scheduler", tls_scheduler, "--tls-ca-file", certificates["ca"],
        "--tls-cert", certificates["stranger_cert"], "--tls-key", certificates["stranger_key"],
    )  # fmt: skip
    assert result.exit_code == 5, result.output
    assert "refused this client's certificate" in result.output and "Traceback" not in result.output
    assert time.monotonic() - start < 30
    assert not (tmp_path / "stranger" / "replications.parquet").exists()


def test_a_tls_address_without_certificates_is_refused_before_connecting(tls_scheduler, baseline_path, tmp_path):
    result = _evacsim("run", baseline_path, "-n", 10, "--out", tmp_path / "bare", "--scheduler", tls_scheduler)
    assert result.exit_code == 5, result.output
    assert "TLS expects" not in result.output and "Traceback" not in result.output
    assert "no certificate" in result.output and "--tls-ca-file" in result.output


def test_tls_certificates_can_come_from_a_dask_config_file(tls_scheduler, certificates):
    import dask.config

    settings = {
        "distributed.comm.tls.ca-file": str(certificates["ca"]),
        "distributed.comm.tls.client.cert": str(certificates["cert"]),
        "distributed.comm.tls.client.key": str(certificates["key"]),
    }
    with dask.config.set(settings), DaskExecutor(address=tls_scheduler) as executor:
        assert executor.workers == 2
        assert sorted(executor.map_unordered(pow, 2, [(x,) for x in range(6)])) == [2**x for x in range(6)]


def test_a_tls_option_naming_no_file_is_a_usage_error(baseline_path, tmp_path):
    result = _evacsim("run", baseline_path, "-n", 10, "--scheduler", "tls://127.0.0.1:8786", "--tls-ca-file", tmp_path / "missing.pem")
    assert result.exit_code == 2
    assert "--tls-ca-file" in result.output and "does not exist" in result.output


@pytest.mark.parametrize(
    ("address", "warned"),
    [
        ("tcp://10.0.0.5:8786", True),
        ("10.0.0.5:8786", True),
        ("tcp://scheduler.example:8786", True),
        ("tcp://[2001:db8::1]:8786", True),
        ("tcp://127.0.0.1:8786", False),
        ("tcp://localhost:8786", False),
        ("tcp://[::1]:8786", False),
        ("tls://10.0.0.5:8786", False),
    ],
)
def test_plain_tcp_outside_loopback_is_named_as_a_risk(address, warned):
    risk = plain_tcp_risk(address)
    assert (risk is not None) == warned
    if risk:
        assert "anyone who can reach it can run code on every worker" in risk and "pickles" in risk and "tls://" in risk


def test_the_command_line_prints_the_plain_tcp_warning(baseline_path, tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    result = _evacsim("run", baseline_path, "-n", 5, "--out", tmp_path / "o", "--scheduler", "tcp://192.0.2.1:8786")  # TEST-NET: nobody answers
    assert "warning:" in result.output and "plain TCP" in result.output and "run code on every worker" in result.output


class _WebPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def junk_server() -> Iterator[str]:
    """A port that sends bytes Dask reads as an absurd frame length, then keeps the connection open."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        held = []
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.sendall(b"\xff" * 64 + b"SSH-2.0-not-dask\r\n")
            held.append(connection)
        for connection in held:
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_a_web_server_as_scheduler_is_a_clear_error_within_the_timeout(web_server, baseline_path, tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "2s")
    start = time.monotonic()
    result = _evacsim("run", baseline_path, "-n", 5, "--out", tmp_path / "o", "--scheduler", web_server)
    assert time.monotonic() - start < 15
    assert result.exit_code == 5, result.output
    assert "did not answer Dask's handshake within 2 s" in result.output and "not a Dask scheduler" in result.output
    assert "Traceback" not in result.output


def test_a_port_that_sends_junk_is_a_clear_error_not_a_crash(junk_server):
    start = time.monotonic()
    with pytest.raises(ExecutorError, match="not a Dask scheduler"):
        DaskExecutor(address=junk_server, timeout="2s")
    assert time.monotonic() - start < 10


def test_a_configuration_that_requires_encryption_refuses_a_plain_tcp_address():
    import dask.config

    with dask.config.set({"distributed.comm.require-encryption": True}), pytest.raises(ExecutorError, match=r"requires encryption .* plain TCP"):
        DaskExecutor(address="tcp://127.0.0.1:9", timeout="1s")
