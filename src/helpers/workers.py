"""Independent jobs of one stage on the machine's cores (forked processes), results in job order.

Used where a stage repeats the same deterministic computation on inputs that do not depend on
each other (stage 05's stability scenarios). Each job seeds itself, so which process runs it,
and in what order the jobs finish, cannot change a result: the answers are byte-identical to a
serial run (tests/unit/test_workers.py; the run test's recorded answers).

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
