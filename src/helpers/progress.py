"""Progress from inside a notebook's kernel to the person running `cse-network run`.

papermill runs each stage in its own kernel, and a notebook cell's output is
part of the notebook (nbval compares it), so long stages cannot print their
progress there. Instead the runner names a file in the environment variable
`CSE_NETWORK_PROGRESS` before it starts a kernel; `say` appends one line per
step to it and the runner shows each new line on screen and in
OUT/logs/run.log while the notebook is still running (`Tail`). Outside a run
(a notebook opened by hand, a test) `say` does nothing. Lines carry counts and stage names only, never a person id.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

ENV = "CSE_NETWORK_PROGRESS"


def say(message: str) -> None:
    """One progress line to the runner (nothing when no run is listening)."""
    path = os.environ.get(ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(message.replace("\n", " ") + "\n")
    except OSError:
        pass  # progress must never stop a stage


class Tail:
    """Follow the progress file while a notebook runs; hand every complete new line to `show`."""

    def __init__(self, path: Path, show: Callable[[str], None], every: float = 0.5) -> None:
        self.path, self.show, self.every = path, show, every
        self.pos = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Tail:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("", encoding="utf-8")
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_flag.set()
        self.thread.join()
        self.poll()

    def _run(self) -> None:
        while not self.stop_flag.wait(self.every):
            self.poll()

    def poll(self) -> None:
        """Show the complete lines written since the last poll (a half-written line waits)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                fh.seek(self.pos)
                chunk = fh.read()
        except OSError:
            return
        end = chunk.rfind("\n") + 1
        if not end:
            return
        self.pos += len(chunk[:end].encode("utf-8"))
        for line in chunk[:end].splitlines():
            if line.strip():
                self.show(line)
