"""Helpers for the fault tests: start and kill a real minhbach server, talk to its JSON API.

Everything runs on loopback, every loop is bounded in count and time, and every server is
stopped at the end of its test. The server binary comes from MINHBACH_TEST_BIN (set by run.sh),
else ${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach. Nothing here builds it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def server_binary() -> Path:
    if os.environ.get("MINHBACH_TEST_BIN"):
        return Path(os.environ["MINHBACH_TEST_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or "/var/tmp/minhbach-target"
    return Path(target) / "debug" / "minhbach"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]  # names in lower case

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(method: str, url: str, body=None, headers=None, timeout: float = 30.0) -> Answer:
    """One HTTP request; an HTTP error status is an answer, not an exception. A transport
    failure (refused, reset, timeout) is an Answer with status 0."""
    data = None
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, bytes):
        data = body
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return Answer(resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()})
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.read(), {k.lower(): v for k, v in e.headers.items()})
    except (urllib.error.URLError, OSError) as e:
        return Answer(0, str(e).encode(), {})


@dataclass
class Receipt:
    reference: str
    receipt: str
    text: str


class Server:
    """A minhbach server process on a free loopback port, with its own data directory."""

    def __init__(self, data: Path, log: Path, env: dict[str, str] | None = None):
        self.data = data
        self.log_path = log
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINHBACH_") or k.startswith("MINHBACH_TEST_")}
        env["MINHBACH_LISTEN"] = f"127.0.0.1:{self.port}"
        env.setdefault("MINHBACH_LOG", "warn")
        # These tests load the server on purpose: the submission budgets (which hold, then
        # refuse, bursts of reports) would measure themselves instead of durability.
        env.setdefault("MINHBACH_REPORTS_PER_MINUTE", "1000000")
        env.setdefault("MINHBACH_REPORTS_CEILING_PER_MINUTE", "1000000")
        # Plain HTTP on loopback: the API is used with bearer tokens, cookies do not matter.
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 120.0) -> "Server":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(server_binary()), "--data", str(self.data), "demo"],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            if request("GET", self.base + "/", timeout=2).status == 200:
                return self
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(server_binary()), "--data", str(self.data), *args],
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
        )

    # --- the reporter's side of the API -------------------------------------------------

    def submit(self, text: str) -> Answer:
        return request(
            "POST",
            self.base + "/api/v1/reports",
            {"category": "land", "agency": "", "what": text, "when": "", "where": "", "who": "",
             "identity": "anonymous", "name": "", "contact": ""},
        )

    def open_case(self, receipt: str) -> tuple[Answer, Answer | None]:
        """Signs in with a receipt and reads the case: (session answer, case answer)."""
        s = request("POST", self.base + "/api/v1/reporter/session", {"receipt": receipt})
        if s.status != 200:
            return s, None
        token = s.json()["token"]
        c = request("GET", self.base + "/api/v1/reporter/case",
                    headers={"Authorization": f"Bearer {token}"})
        return s, c


def report_text(size: int = 1200) -> str:
    """A report text that appears nowhere else: its first word identifies it."""
    tag = secrets.token_hex(8)
    filler = secrets.token_urlsafe(size)[:size]
    return f"fault-{tag} {filler}"


@dataclass
class Load:
    """Submitters running in threads until stopped: every acknowledged receipt and every
    status seen."""

    server: Server
    threads: int = 8
    text_size: int = 1200
    acknowledged: list[Receipt] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self, limit: float) -> None:
        end = time.monotonic() + limit
        while not self._stop.is_set() and time.monotonic() < end:
            text = report_text(self.text_size)
            a = self.server.submit(text)
            with self._lock:
                self.statuses[a.status] = self.statuses.get(a.status, 0) + 1
                self.bodies.setdefault(a.status, a.text[:500])
                if a.status == 201:
                    body = a.json()
                    self.acknowledged.append(Receipt(body["reference"], body["receipt"], text))
            if a.status == 0:
                time.sleep(0.05)  # the server is gone (killed): do not spin

    def start(self, limit: float = 120.0) -> "Load":
        self._stop.clear()
        self._workers = [threading.Thread(target=self._run, args=(limit,), daemon=True)
                         for _ in range(self.threads)]
        for w in self._workers:
            w.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for w in self._workers:
            w.join(timeout=60)

    def count(self, status: int) -> int:
        with self._lock:
            return self.statuses.get(status, 0)


def assert_all_open(server: Server, receipts: list[Receipt]) -> None:
    """Every acknowledged receipt opens its own case, with its own text; no reference twice."""
    refs = [r.reference for r in receipts]
    dupes = sorted({r for r in refs if refs.count(r) > 1})
    assert not dupes, f"references handed out twice: {dupes[:10]}"
    lost = []
    for r in receipts:
        s, c = server.open_case(r.receipt)
        if s.status != 200 or c is None or c.status != 200:
            lost.append((r.reference, s.status, c.status if c else None))
            continue
        case = c.json()
        if case.get("reference") != r.reference or case.get("content", {}).get("what") != r.text:
            lost.append((r.reference, "wrong case or text", case.get("reference")))
    assert not lost, f"{len(lost)} of {len(receipts)} acknowledged receipts do not open: {lost[:10]}"


def assert_audit_verifies(server: Server) -> None:
    done = server.cli("audit", "verify")
    assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")


@pytest.fixture
def workdir():
    root = Path(tempfile.mkdtemp(prefix="minhbach-faults-"))
    yield root
    subprocess.run(["umount", "-l", str(root / "data")], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
