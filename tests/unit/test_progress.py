"""Progress lines written inside a kernel reach the runner's screen; outside a run they go nowhere."""
from __future__ import annotations

from helpers import progress


def test_say_without_a_listening_run_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    progress.say("extraction: read crimes (10 rows)")
    assert list(tmp_path.iterdir()) == []


def test_tail_shows_each_line_once_in_order(tmp_path, monkeypatch):
    path = tmp_path / "progress.log"
    monkeypatch.setenv(progress.ENV, str(path))
    shown: list[str] = []
    with progress.Tail(path, shown.append, every=60):   # no timed poll: only the explicit ones below
        progress.say("step one")
        progress.say("step two\nwith a newline")
    assert shown == ["step one", "step two with a newline"]


def test_tail_holds_back_a_half_written_line(tmp_path):
    path = tmp_path / "progress.log"
    shown: list[str] = []
    tail = progress.Tail(path, shown.append)
    path.write_text("done 1\nhalf", encoding="utf-8")
    tail.poll()
    assert shown == ["done 1"]
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(" written\n")
    tail.poll()
    assert shown == ["done 1", "half written"]
