"""Fixtures for the browser tests: a demo server on a free loopback port and headless Chromium.

The server binary comes from MINHBACH_TEST_BIN (set by run.sh), else MINHBACH_BIN, else
${CARGO_TARGET_DIR:-/var/tmp/minhbach-target}/debug/minhbach. Nothing here builds it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

# Never let selenium-manager look for or download a driver or a browser.
os.environ.setdefault("SE_OFFLINE", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMIUM = os.environ.get("MINHBACH_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MINHBACH_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")

_SHOT_DIR: Path | None = None


def server_binary() -> Path:
    for var in ("MINHBACH_TEST_BIN", "MINHBACH_BIN"):
        if os.environ.get(var):
            return Path(os.environ[var])
    target = os.environ.get("CARGO_TARGET_DIR") or "/var/tmp/minhbach-target"
    return Path(target) / "debug" / "minhbach"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> int:
    # No proxy, whatever the environment says: the server is on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as resp:
        return resp.status


def _server_env(data: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The server refuses unknown MINHBACH_* variables; MINHBACH_BIN is ours, not its.
    env.pop("MINHBACH_BIN", None)
    # The data directory comes from the command line's own variable, which the configuration
    # loader must leave alone; the address from --listen.
    env["MINHBACH_DATA"] = str(data)
    env.setdefault("MINHBACH_LOG", "warn")
    return env


def _serve(*extra: str):
    """Starts `MINHBACH_DATA=<fresh dir> minhbach demo --listen <free port> EXTRA` and yields its
    base URL."""
    binary = server_binary()
    if not binary.exists():
        pytest.fail(f"server binary {binary} is missing: build it first (this suite does not)")
    root = Path(tempfile.mkdtemp(prefix="minhbach-browser-"))
    data = root / "data"
    data.mkdir()
    log_path = root / "server.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [str(binary), "demo", "--listen", f"127.0.0.1:{port}", *extra],
        env=_server_env(data),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def log_tail() -> str:
        try:
            return log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_tail()}")
            try:
                if _get(base + "/") == 200:
                    break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer on {base}/ within 120 s:\n{log_tail()}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    """The demo city, as a new user starts it."""
    yield from _serve()


@pytest.fixture(scope="session")
def server_with_history():
    """The demo city with two years of synthetic cases and their figures published."""
    yield from _serve("--cases", "400")


def _options(js: bool, profile: str) -> webdriver.ChromeOptions:
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--no-proxy-server",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    prefs = {
        "credentials_enable_service": False,
        "profile.password_manager_enabled": False,
    }
    if not js:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    opts.add_experimental_option("prefs", prefs)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return opts


@pytest.fixture
def browser():
    """Factory: browser(js=True|False) starts a fresh headless Chromium with its own profile."""
    started: list[tuple[webdriver.Chrome, str]] = []

    def make(js: bool = True) -> webdriver.Chrome:
        profile = tempfile.mkdtemp(prefix="minhbach-chromium-")
        driver = webdriver.Chrome(
            service=Service(executable_path=CHROMEDRIVER),
            options=_options(js, profile),
        )
        driver.set_page_load_timeout(60)
        driver.js_enabled = js  # for the tests' own bookkeeping
        started.append((driver, profile))
        return driver

    yield make
    for driver, profile in started:
        try:
            driver.quit()
        except Exception:  # noqa: BLE001 - teardown must go on
            pass
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def shot_dir() -> Path:
    global _SHOT_DIR
    if _SHOT_DIR is None:
        _SHOT_DIR = Path(tempfile.mkdtemp(prefix="minhbach-screenshots-"))
    return _SHOT_DIR


def pytest_terminal_summary(terminalreporter):
    if _SHOT_DIR is not None:
        count = len(list(_SHOT_DIR.glob("*.png")))
        terminalreporter.write_line(f"browser screenshots ({count}): {_SHOT_DIR}")
