"""Independent jobs of one stage on the machine's cores (forked processes), results in job order.

Used where a stage repeats the same deterministic computation on inputs that do not depend on
each other (stage 05's stability scenarios), and (`start`) where one long job can run beside the
rest of a stage (stage 05's centrality beside the groups and the dismantling). Each job seeds
itself, so which process runs it, and in what order the jobs finish, cannot change a result: the
answers are byte-identical to a serial run (tests/unit/test_workers.py; the run test's recorded answers).

The number of processes is the cores this process may use, capped by the number of jobs; the
environment variable ``CSE_NETWORK_WORKERS`` overrides it (``1`` runs everything in this process,
e.g. to profile). Processes are forked (POSIX), so the jobs and their inputs are never pickled;
only each job's result travels back. Where fork is not available the jobs run here, one by one.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any

ENV = "CSE_NETWORK_WORKERS"

# The jobs of the map in progress, read by the forked processes (set just before forking).
_JOBS: Sequence[Callable[[], Any]] = ()
# True inside a worker process: a job that itself asks for workers runs its jobs there, one by one
# (the cores are already busy with its siblings).
_IN_WORKER = False


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def workers(n_jobs: int) -> int:
    """How many processes to use for `n_jobs` jobs (``CSE_NETWORK_WORKERS`` or the cores)."""
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            want = int(raw)
        except ValueError:
            raise ValueError(f"{ENV}={raw!r} is not a whole number: set it to the number of processes "
                             f"to use (1 = no parallel work), or unset it to use every core.") from None
        if want < 1:
            raise ValueError(f"{ENV}={raw!r}: set it to 1 or more (1 = no parallel work), or unset it.")
    else:
        want = cores()
    return 1 if _IN_WORKER else max(1, min(want, n_jobs))


def _mark_worker() -> None:
    global _IN_WORKER
    _IN_WORKER = True


def _run(i: int) -> Any:
    return _JOBS[i]()


def run_all(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Every job's result, in the order of `jobs`, computed on up to `workers(len(jobs))` processes."""
    global _JOBS
    n = workers(len(jobs))
    if n == 1 or "fork" not in mp.get_all_start_methods():
        return [job() for job in jobs]
    _JOBS = jobs
    try:  # a process that dies (e.g. out of memory) raises BrokenProcessPool here instead of hanging
        with ProcessPoolExecutor(n, mp_context=mp.get_context("fork"), initializer=_mark_worker) as pool:
            return list(pool.map(_run, range(len(jobs))))
    finally:
        _JOBS = ()


class Pending:
    """A job started by `start`: `result()` waits for it and returns its result (or raises its error).

    `stop()` (or leaving a `with` block) ends the job if its result was never asked for (e.g. the
    stage failed first), so a failed run does not wait for it.
    """

    def __init__(self, job: Callable[[], Any]) -> None:
        self._job = job
        self._proc: Any = None
        self._recv: Any = None
        if workers(2) > 1 and "fork" in mp.get_all_start_methods():
            ctx = mp.get_context("fork")
            self._recv, send = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_background, args=(job, send), daemon=True)
            self._proc.start()  # forked: the job and its inputs are shared, never pickled
            send.close()

    def result(self) -> Any:
        if self._proc is None:  # one process (CSE_NETWORK_WORKERS=1, inside a worker, no fork)
            return self._job()
        try:
            ok, value = self._recv.recv()
        except EOFError:
            raise RuntimeError("a background job of this stage died before it finished (out of memory?): "
                               f"run again with {ENV}=1 to run it in the notebook's process") from None
        finally:
            self._recv.close()
            self._proc.join()
            self._proc = None
            self._job = _gone
        if not ok:
            raise value
        return value

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the job if its result was never taken (nothing to do once it was)."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.join()
            self._recv.close()
            self._proc = None
            self._job = _gone


def _gone() -> Any:
    raise RuntimeError("Pending.result() was already taken")


def _background(job: Callable[[], Any], send: Any) -> None:
    _mark_worker()
    try:
        out = (True, job())
    except BaseException as e:  # noqa: BLE001 - handed to the parent, which raises it
        out = (False, e)
    send.send(out)
    send.close()


def start(job: Callable[[], Any]) -> Pending:
    """Start `job` now on another core (a forked process) and return at once; `.result()` collects it.

    With one process to use (``CSE_NETWORK_WORKERS=1``, or inside a worker, or without fork) the job
    runs when its result is asked for, in this process. Either way the result is the same.
    """
    return Pending(job)
