"""The intelligence pack in a real browser: headless Chromium over the DevTools protocol (pipe).

Chromium is started with `--remote-debugging-pipe` (no port, no websocket library needed): we
enable the Network domain, open the pack from file://, *type* a known id into the nominals
search box (Input.insertText), and read the table back. Every request the page makes is
recorded; anything other than file:, data:, blob: or about: fails the test. The network is
also cut (`--host-resolver-rules`, a dead proxy) so a regression cannot reach the internet.
In CI (CI=true) a missing Chromium fails; locally the test skips with the install command.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from helpers.config import SMALL_DB, load_params
from helpers.runner import run

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")


def chromium() -> str:
    for b in BROWSERS:
        path = shutil.which(b)
        if path:
            return path
    msg = "Chromium not found: run scripts/install-chromium.sh (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


class Browser:
    """A tiny DevTools-protocol client over Chromium's pipe (fd 3 = commands in, fd 4 = replies out)."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.cmd_r, self.cmd_w = os.pipe()
        self.out_r, self.out_w = os.pipe()
        args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "about:blank"]

        def fds() -> None:  # Chromium reads commands on fd 3 and writes replies on fd 4
            a, b = os.dup(self.cmd_r), os.dup(self.out_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(args, preexec_fn=fds, pass_fds=(3, 4), close_fds=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(self.cmd_r)
        os.close(self.out_w)
        os.set_blocking(self.out_r, False)
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _read(self, timeout: float) -> list[dict]:
        end = time.time() + timeout
        msgs: list[dict] = []
        while time.time() < end and not msgs:
            try:
                chunk = os.read(self.out_r, 1 << 20)
            except BlockingIOError:
                chunk = b""
            if chunk:
                self.buf += chunk
            elif self.proc.poll() is not None:
                raise RuntimeError("Chromium exited")
            else:
                time.sleep(0.02)
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                msgs.append(json.loads(raw))
        return msgs

    def send(self, method: str, params: dict | None = None, session: bool = True, timeout: float = 30) -> dict:
        self.next_id += 1
        msg: dict = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            for m in self._read(end - time.time()):
                if m.get("id") == self.next_id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)
        raise TimeoutError(method)

    def pump(self, seconds: float) -> None:
        end = time.time() + seconds
        while time.time() < end:
            self.events.extend(self._read(min(0.2, end - time.time())))

    def evaluate(self, js: str) -> object:
        r = self.send("Runtime.evaluate", {"expression": js, "returnByValue": True, "awaitPromise": True})
        return r.get("result", {}).get("value")

    def wait_for(self, js: str, timeout: float = 20) -> object:
        end = time.time() + timeout
        while time.time() < end:
            v = self.evaluate(js)
            if v:
                return v
            self.pump(0.2)
        raise TimeoutError(js)

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.cmd_w, self.out_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def requested(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory) -> Path:
    """A small run's tables (hand-offs kept), then the pack built from them."""
    chromium()
    if not SMALL_DB.exists():
        pytest.fail(f"{SMALL_DB} is missing: `make test` generates it first (cse-network synth --profile small)")
    out = tmp_path_factory.mktemp("packrun") / "output"
    params = load_params(overrides={"db_url": f"sqlite:///{SMALL_DB}", "out_dir": str(out)})
    run(params, render=False, say=lambda m: None)  # notebook 06_intelligence_pack writes the pack
    page = out / "restricted" / "intelligence_pack.html"
    assert page.exists(), "the run wrote no restricted/intelligence_pack.html"
    return page


def open_page(tmp_path: Path, url: str) -> Browser:
    b = Browser(chromium(), tmp_path / "profile")
    target = b.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
    b.session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
    b.send("Network.enable")
    b.send("Page.enable")
    b.send("Runtime.enable")
    b.send("Page.navigate", {"url": url})
    return b


def test_known_id_typed_in_the_search_box_is_found_and_nothing_leaves_the_machine(pack_file, tmp_path):
    nodes = pd.read_parquet(pack_file.parents[1] / "tables" / "network_nodes.parquet")
    known = sorted(nodes["person_id"])[len(nodes) // 2]
    b = open_page(tmp_path, pack_file.as_uri())
    try:
        b.wait_for("!!document.querySelector('#nominals_wrapper input')")
        total = b.evaluate("document.querySelectorAll('#nominals tbody tr').length")
        b.evaluate("document.querySelector('#nominals_wrapper input').focus()")
        b.send("Input.insertText", {"text": known})
        rows = b.wait_for(f"""(() => {{
            const r = [...document.querySelectorAll('#nominals tbody tr')].map(t => t.cells[0].textContent);
            return (r.length === 1 && r[0] === {json.dumps(known)}) ? r : null; }})()""")
        info = b.evaluate("document.querySelector('#nominals_wrapper .dt-info, #nominals_wrapper "
                          ".dataTables_info').textContent")
        marking = b.evaluate("document.querySelectorAll('.marking').length")
        b.pump(0.5)
        urls = b.requested()
    finally:
        b.close()
    assert total == 25  # first page of the full list before the search
    assert rows == [known]
    assert f"filtered from {len(nodes)}" in info.replace(",", "")
    assert marking >= 2 * 8  # header, footer and twice per section
    assert urls and urls[0].startswith("file:")
    assert [u for u in urls if not u.startswith(LOCAL_SCHEMES)] == []


def test_search_from_the_url_hash_finds_the_id(pack_file, tmp_path):
    nodes = pd.read_parquet(pack_file.parents[1] / "tables" / "network_nodes.parquet")
    known = sorted(nodes["person_id"])[-1]
    b = open_page(tmp_path, pack_file.as_uri() + "#search=" + known)
    try:
        rows = b.wait_for(f"""(() => {{
            const r = [...document.querySelectorAll('#nominals tbody tr')].map(t => t.cells[0].textContent);
            return (r.length === 1 && r[0] === {json.dumps(known)}) ? r : null; }})()""")
        urls = b.requested()
    finally:
        b.close()
    assert rows == [known]
    assert [u for u in urls if not u.startswith(LOCAL_SCHEMES)] == []
