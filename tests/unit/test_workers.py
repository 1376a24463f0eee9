"""helpers.workers: independent jobs on several processes give the results a serial run gives, in job order."""
from __future__ import annotations

import os
import time

import pytest

from helpers import workers


def _jobs(n):
    return [lambda i=i: (i, i * i, os.getpid()) for i in range(n)]


def test_results_come_back_in_job_order_from_other_processes(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")
    got = workers.run_all(_jobs(7))
    assert [(i, sq) for i, sq, _ in got] == [(i, i * i) for i in range(7)]
    assert all(pid != os.getpid() for _, _, pid in got)  # forked, not run here


def test_one_worker_runs_every_job_here(monkeypatch):
    monkeypatch.setenv(workers.ENV, "1")
    got = workers.run_all(_jobs(3))
    assert got == [(0, 0, os.getpid()), (1, 1, os.getpid()), (2, 4, os.getpid())]


def test_the_number_of_processes_is_capped_by_the_jobs_and_defaults_to_the_cores(monkeypatch):
    monkeypatch.setenv(workers.ENV, "8")
    assert workers.workers(3) == 3
    assert workers.workers(0) == 1
    monkeypatch.delenv(workers.ENV)
    assert workers.workers(100) == workers.cores()


@pytest.mark.parametrize("value", ["two", "0", "-1"])
def test_a_bad_setting_says_what_to_set(monkeypatch, value):
    monkeypatch.setenv(workers.ENV, value)
    with pytest.raises(ValueError, match="CSE_NETWORK_WORKERS.*(unset|1 or more)"):
        workers.workers(4)


def test_a_job_that_fails_fails_the_run_with_its_own_error(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")

    def bad():
        raise KeyError("no such column")
    with pytest.raises(KeyError, match="no such column"):
        workers.run_all([lambda: 1, bad, lambda: 3])


def test_jobs_that_ask_for_workers_inside_a_worker_run_there_one_by_one(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")

    def nested():
        return workers.workers(5), [pid == os.getpid() for _, _, pid in workers.run_all(_jobs(3))]
    got = workers.run_all([nested, nested])
    assert got == [(1, [True, True, True])] * 2


def test_a_started_job_runs_in_another_process_and_gives_its_result(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")
    job = workers.start(lambda: (6 * 7, os.getpid()))
    value, pid = job.result()
    assert value == 42 and pid != os.getpid()


def test_a_started_job_runs_here_with_one_worker_or_inside_a_worker(monkeypatch):
    monkeypatch.setenv(workers.ENV, "1")
    assert workers.start(os.getpid).result() == os.getpid()
    monkeypatch.setenv(workers.ENV, "2")

    def nested():
        return os.getpid(), workers.start(os.getpid).result()
    for outer, inner in workers.run_all([nested, nested]):
        assert outer == inner != os.getpid()


def test_a_started_job_that_fails_raises_its_own_error(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")

    def bad():
        raise KeyError("no such column")
    with pytest.raises(KeyError, match="no such column"):
        workers.start(bad).result()


def test_a_started_job_that_dies_says_what_to_do(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")
    with pytest.raises(RuntimeError, match="died.*CSE_NETWORK_WORKERS=1"):
        workers.start(lambda: os._exit(9)).result()


def test_stopping_a_started_job_does_not_wait_for_it(monkeypatch):
    monkeypatch.setenv(workers.ENV, "2")
    t = time.monotonic()
    with workers.start(lambda: time.sleep(60)):
        pass  # e.g. the stage failed before it asked for the result
    assert time.monotonic() - t < 10
