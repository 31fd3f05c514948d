"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

Work is cut into batches. A batch is a call ``fn(shared, *args)`` of a module-level
function: ``shared`` (the prepared scenario or the design points) is shipped to each
worker once, ``args`` are a few numbers naming the batch (replication indices). A
replication's numbers depend only on the seed and its index, so the rows are the same
bits whichever executor runs them and however the work is cut.

Every executor yields results as batches finish (in any order) and keeps only a
bounded number of batches in flight, so the parent's memory does not grow with the
size of the study. A batch that raises, or whose worker dies, is run again up to
``retries`` times before the study stops; batches already handed back are kept by
the caller.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import multiprocessing
import os
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from distributed.security import Security

from sim.extras import need

R = TypeVar("R")
Task = tuple[Any, ...]
BatchFn = Callable[..., R]

DEFAULT_RETRIES = 3
"""How many times a batch is run again after it failed or its worker died."""

IN_FLIGHT_PER_WORKER = 3
"""Batches queued per worker: enough to keep every worker busy, few enough to bound memory."""


class ExecutorError(Exception):
    """A problem with the workers a user can act on: cannot reach a scheduler, versions differ, a batch keeps failing."""


def default_jobs() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


class Executor(ABC):
    """Runs batches somewhere and yields their results as they finish."""

    retries: int = DEFAULT_RETRIES

    @property
    @abstractmethod
    def workers(self) -> int:
        """Batches that can run at the same time (processes, or Dask worker threads)."""

    @property
    @abstractmethod
    def description(self) -> str:
        """Where the work runs, for manifests and messages: ``local pool of 8``, ``dask tcp://...``."""

    @abstractmethod
    def map_unordered(self, fn: BatchFn, shared: Any, tasks: Iterable[Task]) -> Iterator[Any]:
        """``fn(shared, *task)`` for every task, yielded as each finishes (any order)."""

    def close(self) -> None:  # noqa: B027 - executors without resources need not override it
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Executor):
    """Every batch in this process, one after the other (``--jobs 1``)."""

    @property
    def workers(self) -> int:
        return 1

    @property
    def description(self) -> str:
        return "in process"

    def map_unordered(self, fn: BatchFn, shared: Any, tasks: Iterable[Task]) -> Iterator[Any]:
        for task in tasks:
            yield fn(shared, *task)


_SHARED: Any = None

PARENT_CHECK_SECONDS = 0.5
"""How often a pool worker checks that the process that started it is still alive."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _exit_with_parent(owner: int) -> None:
    """Make this pool worker exit when ``owner`` (the process running the pool) dies, even killed
    with ``kill -9``, when the pool is never shut down: without it a worker blocked on its task
    pipe would wait forever, holding its memory.

    A daemon thread checks every :data:`PARENT_CHECK_SECONDS` that the worker was not re-parented
    (``os.getppid()`` changed) and, when a fork server started it, that ``owner`` still runs.
    (Not ``PR_SET_PDEATHSIG``: Linux sends it when the *thread* that forked the worker ends,
    which may be long before the pool does.)
    """
    parent = os.getppid()
    if not _alive(owner) or (parent == 1 and owner != 1):
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent or (owner != parent and not _alive(owner)):
                os._exit(1)

    threading.Thread(target=watch, name="evacsim-parent-watch", daemon=True).start()


def _init_worker(shared: Any, parent: int | None = None) -> None:
    global _SHARED
    if parent is not None:
        _exit_with_parent(parent)
    _SHARED = shared


def _call_in_worker(fn: BatchFn, *task: Any) -> Any:
    return fn(_SHARED, *task)


class LocalPool(Executor):
    """A pool of ``jobs`` processes on this machine; a worker that dies costs its batches a retry."""

    def __init__(self, jobs: int | None = None, retries: int = DEFAULT_RETRIES):
        self.jobs = max(1, jobs or default_jobs())
        self.retries = retries

    @property
    def workers(self) -> int:
        return self.jobs

    @property
    def description(self) -> str:
        return f"local pool of {self.jobs} processes"

    def map_unordered(self, fn: BatchFn, shared: Any, tasks: Iterable[Task]) -> Iterator[Any]:
        source = iter(tasks)
        retry: deque[Task] = deque()
        attempts: dict[Task, int] = {}
        window = self.jobs * IN_FLIGHT_PER_WORKER
        while True:
            before = set(multiprocessing.active_children())
            pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_init_worker, initargs=(shared, os.getpid()))
            pending: dict[Future, Task] = {}
            try:
                while True:
                    while len(pending) < window:
                        task = retry.popleft() if retry else next(source, None)
                        if task is None:
                            break
                        pending[pool.submit(_call_in_worker, fn, *task)] = task
                    if not pending:
                        return
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = pending.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            pending[future] = task
                            raise
                        except Exception as exc:
                            self._count_attempt(attempts, task, exc)
                            retry.append(task)
                            continue
                        yield result
            except BrokenProcessPool as exc:
                # A worker died (killed, out of memory): every batch it may have held runs again on a new pool.
                for task in pending.values():
                    self._count_attempt(attempts, task, exc)
                    retry.append(task)
                continue
            finally:
                _stop_pool(pool, pending, before)

    def _count_attempt(self, attempts: dict[Task, int], task: Task, exc: BaseException) -> None:
        attempts[task] = attempts.get(task, 0) + 1
        if attempts[task] > self.retries:
            raise ExecutorError(f"batch {task} failed {attempts[task]} times; last error: {exc!r}") from exc


def _stop_pool(pool: ProcessPoolExecutor, pending: dict[Future, Task], before: set[multiprocessing.process.BaseProcess]) -> None:
    """Shut a pool down without waiting for batches nobody will read (Ctrl-C, an error, a broken pool).

    Its futures are not cancelled one by one: once the workers are gone the pool's manager thread marks every
    future it holds broken, and a future cancelled beforehand makes it fail with InvalidStateError (a traceback
    on the console); ``shutdown(cancel_futures=True)`` cancels what is still queued."""
    if pending:
        # The pool's workers are the children this process started after ``before`` (multiprocessing's public list).
        workers = [p for p in multiprocessing.active_children() if p not in before and p.is_alive()]
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=5)
        # A worker ended while it wrote a result leaves half a message in the result pipe, and the pool's manager
        # thread then waits in recv() for the rest for ever (so would shutdown and interpreter exit, which join it).
        # With every worker gone, closing this process's end of that pipe turns the wait into an end of file, which
        # the manager treats as a broken pool and stops. (CPython's ProcessPoolExecutor keeps no public handle on it.)
        writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
        if writer is not None and not any(p.is_alive() for p in workers):
            writer.close()
    pool.shutdown(wait=True, cancel_futures=True)


def _worker_versions() -> dict[str, str]:
    """Versions that decide the bits of a replication, as seen by a worker."""
    from sim.experiment.manifest import package_versions

    found = package_versions()
    return {k: found[k] for k in ("python", "evacsim", "simpy", "numpy", "scipy", "pydantic") if k in found}


CONNECT_TIMEOUT = "20s"
"""How long evacsim waits for a Dask scheduler to accept the connection and answer Dask's handshake."""

_TLS_HELP = (
    "give the cluster's certificates with --tls-ca-file CA.pem --tls-cert CLIENT.pem --tls-key CLIENT.key, or as "
    "distributed.comm.tls.ca-file, distributed.comm.tls.client.cert and distributed.comm.tls.client.key in a Dask "
    "config file (docs/CLUSTER.md)"
)


def _scheme_and_host(address: str) -> tuple[str, str]:
    """``("tcp", "10.0.0.5")`` for ``tcp://10.0.0.5:8786`` (an address without a scheme is TCP, as in Dask)."""
    scheme, _, rest = address.rpartition("://")
    host = rest.rsplit(":", 1)[0] if ":" in rest else rest
    return (scheme or "tcp"), host.strip("[]")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost: it may be anywhere
        return False


def plain_tcp_risk(address: str) -> str | None:
    """The warning for a scheduler reached over plain TCP from outside this machine, or None (TLS, or loopback).

    Dask does not authenticate or encrypt plain TCP: anyone who can reach the scheduler can submit
    code that every worker runs, and what crosses the network are pickles, which a rogue scheduler
    can use to run code on the client.
    """
    scheme, host = _scheme_and_host(address)
    if scheme != "tcp" or _is_loopback(host):
        return None
    return (
        f"the scheduler {address} is reached over plain TCP: anyone who can reach it can run code on every worker, "
        "and the client, scheduler and workers exchange pickles unencrypted and unauthenticated; "
        f"use a tls:// address and {_TLS_HELP.removeprefix('give ')}"
    )


def cluster_security(address: str) -> Security:
    """Dask's own :class:`~distributed.security.Security` for a client of ``address``, from Dask's configuration
    (``distributed.comm.tls.*``: a config file, ``DASK_DISTRIBUTED__COMM__TLS__...`` variables, or evacsim's
    ``--tls-*`` options). A ``tls://`` address without the client's certificate, or certificates that cannot be
    read, are an :class:`ExecutorError` before anything connects."""
    import ssl

    from distributed.security import Security

    security = Security()
    scheme, _ = _scheme_and_host(address)
    tls = security.get_tls_config_for_role("client")
    if scheme == "tls" and not (tls["ca_file"] and tls["cert"]):
        given = (("the certificate authority", tls["ca_file"]), ("this client's certificate", tls["cert"]))
        missing = ", ".join(name for name, value in given if not value)
        raise ExecutorError(f"{address} is a TLS address and evacsim has no certificate to show it (missing: {missing}); {_TLS_HELP}")
    if scheme == "tcp" and security.require_encryption:
        raise ExecutorError(
            f"the Dask configuration requires encryption (distributed.comm.require-encryption) and {address} is plain TCP; give the scheduler's tls:// address"
        )
    try:
        security.get_connection_args("client")
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ExecutorError(f"cannot use the TLS certificates for {address}: {exc}; {_TLS_HELP}") from None
    return security


def check_handshake(address: str, security: Security, timeout: str | float = CONNECT_TIMEOUT) -> None:
    """Connect to ``address`` and complete Dask's handshake within ``timeout``, or raise :class:`ExecutorError`.

    distributed's ``connect`` bounds the TCP (and TLS) connection by ``timeout`` but then waits for the
    peer's handshake without limit (``distributed.comm.timeouts.connect`` covers only the connection, and
    ``distributed.comm.timeouts.tcp`` only a peer that stopped answering), so a port that answers but is
    not Dask (a web server) made ``Client`` wait for ever, and junk read as a frame length made it try to
    allocate exabytes. Here the whole exchange has one deadline and any failure is one sentence.
    """
    import concurrent.futures

    from dask.utils import parse_timedelta
    from distributed.comm import CommClosedError, connect

    seconds = float(parse_timedelta(timeout, default="seconds") or 0)

    async def handshake() -> None:
        comm = await connect(address, timeout=seconds, **security.get_connection_args("client"))
        await comm.close()

    async def bounded() -> None:
        # ``connect`` gives up on a port nobody answers within ``seconds`` (an OSError: "cannot reach"); a second
        # more, and the connection was made but the handshake never came.
        await asyncio.wait_for(handshake(), seconds + 1)

    # A thread of its own, so that a caller already inside an event loop (a notebook) can use it too.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="evacsim-handshake") as thread:
        try:
            thread.submit(asyncio.run, bounded()).result()
        except TimeoutError:
            raise ExecutorError(
                f"{address} accepted the connection but did not answer Dask's handshake within {seconds:g} s: it is not a Dask scheduler"
            ) from None
        except CommClosedError as exc:
            scheme, _ = _scheme_and_host(address)
            cause = exc.__cause__ or exc
            if scheme == "tls":
                raise ExecutorError(
                    f"the scheduler at {address} closed the TLS connection ({cause}): it refused this client's certificate, "
                    f"or it does not speak TLS; {_TLS_HELP}"
                ) from None
            raise ExecutorError(
                f"{address} closed the connection during Dask's handshake ({cause}): it is not a Dask scheduler, or it expects TLS (a tls:// address)"
            ) from None
        except OSError:
            raise  # cannot reach: said by the caller with the commands that start a cluster
        except Exception as exc:  # junk read as Dask frames: a huge length (MemoryError), a bad header (ValueError)
            raise ExecutorError(
                f"{address} answered with something that is not Dask's protocol ({exc.__class__.__name__}: {exc}): it is not a Dask scheduler"
            ) from None


class DaskExecutor(Executor):
    """Batches on a Dask distributed cluster: an existing scheduler (``tls://host:8786``, or ``tcp://`` on loopback)
    or a LocalCluster.

    An existing scheduler is reached with distributed's own :class:`~distributed.security.Security`
    (:func:`cluster_security`: certificates from Dask's configuration) after :func:`check_handshake` has
    shown, within ``timeout`` (default :data:`CONNECT_TIMEOUT`), that it speaks Dask.

    The shared object is scattered to every worker once; batches are submitted with
    ``retries`` and streamed back with ``as_completed``. When a worker dies the
    scheduler reruns its batches elsewhere. Workers should have one thread each (the
    model is pure Python and holds the GIL): ``dask worker ADDRESS --nthreads 1``.
    """

    def __init__(
        self,
        address: str | None = None,
        local_workers: int | None = None,
        retries: int = DEFAULT_RETRIES,
        processes: bool = True,
        timeout: str | float | None = None,
    ):
        need("dask")  # one line and exit status 6 when dask[distributed] is not installed
        from distributed import Client, LocalCluster

        timeout = CONNECT_TIMEOUT if timeout is None else timeout
        self.retries = retries
        self.cluster = None
        self.address = address
        try:
            if address is None:
                self.cluster = LocalCluster(
                    n_workers=max(1, local_workers or default_jobs()),
                    threads_per_worker=1,
                    processes=processes,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self.client = Client(self.cluster)
            else:
                security = cluster_security(address)
                check_handshake(address, security, timeout)
                self.client = Client(address, security=security, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {address}: {exc}; start one with `dask scheduler` and workers with "
                f"`dask worker {address} --nthreads 1`, or use --dask-local N for a cluster on this machine"
            ) from None
        except ExecutorError:
            self.close()
            raise
        self._check_versions()

    def _check_versions(self) -> None:
        mine = _worker_versions()
        theirs = self.client.run(_worker_versions)
        for worker, versions in theirs.items():
            differ = {k: (v, mine.get(k)) for k, v in versions.items() if mine.get(k) != v}
            if differ:
                text = ", ".join(f"{k} {v[0]} (here {v[1]})" for k, v in differ.items())
                self.close()
                raise ExecutorError(f"Dask worker {worker} runs {text}; results would not be the same bits; install the same versions on every worker")

    @property
    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    @property
    def description(self) -> str:
        scheduler = self.client.scheduler  # None only before the Client has connected, which __init__ waits for
        where = self.address or f"LocalCluster {scheduler.address if scheduler is not None else '(not connected)'}"
        return f"dask {where} ({self.workers} worker threads)"

    def map_unordered(self, fn: BatchFn, shared: Any, tasks: Iterable[Task]) -> Iterator[Any]:
        from distributed import as_completed

        source = iter(tasks)
        iter_tasks: Iterator[Task | None] = source
        shared_future = self.client.scatter(shared, broadcast=True, hash=False)
        # with_results: each result is fetched from its worker in the client's event loop as soon as the batch
        # finishes, while this thread writes the previous one, instead of one blocking round trip per batch here.
        stream = as_completed(with_results=True)
        pending: set = set()

        def submit(task: Task) -> None:
            future = self.client.submit(fn, shared_future, *task, retries=self.retries, pure=False)
            pending.add(future)
            stream.add(future)

        for task in islice(source, self.workers * IN_FLIGHT_PER_WORKER):
            submit(task)
        try:
            while True:
                try:
                    future, result = next(stream)
                except StopIteration:
                    return
                except Exception as exc:  # the batch's own error, raised again by as_completed
                    raise ExecutorError(f"a batch failed on the Dask cluster after {self.retries} retries: {exc!r}") from exc
                pending.discard(future)
                if future.status != "finished":
                    raise ExecutorError(f"a batch was lost on the Dask cluster ({future.status}: {result!r})")
                future.release()
                following = next(iter_tasks, None)
                if following is not None:
                    submit(following)
                yield result
        finally:
            if pending:
                self.client.cancel(list(pending))
            self.client.cancel([shared_future])

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(jobs: int | None = None, scheduler: str | None = None, dask_local: int | None = None, retries: int = DEFAULT_RETRIES) -> Executor:
    """The executor the command line asks for: ``--scheduler``, ``--dask-local N``, or ``--jobs`` (default all cores)."""
    if scheduler and dask_local:
        raise ExecutorError("give either --scheduler or --dask-local, not both")
    if scheduler:
        return DaskExecutor(address=scheduler, retries=retries)
    if dask_local:
        return DaskExecutor(local_workers=dask_local, retries=retries)
    jobs = jobs or default_jobs()
    return InProcess() if jobs <= 1 else LocalPool(jobs, retries)
