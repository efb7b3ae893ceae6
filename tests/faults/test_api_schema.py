"""The JSON API against its own OpenAPI document, fuzzed by schemathesis (from PyPI): no
request, however malformed, gets a 5xx answer (issue "trust and hardening", fault tests).

Two bounded passes against a demo server: the document's examples and its coverage cases for
every operation, then generated requests. Each pass runs without a token and with an agency
lead's bearer token, so the staff operations are reached past authentication. The decision
body is a union too deep for schemathesis's generator: its coverage cases run, its free
generation is left out.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import Server, request

MAX_SECONDS = "45"


def staff_token(server: Server, username: str) -> str:
    page = request("GET", server.base + "/staff/login").text
    code = re.search(r'class="demo-banner">[^<]*?(\d{6})', page).group(1)
    r = request("POST", server.base + "/api/v1/staff/session",
                {"username": username, "password": "minhbach-demo", "code": code})
    assert r.status == 200, r.text
    return r.json()["token"]


def schemathesis(server: Server, phases: str, headers: list[str], extra: list[str]) -> None:
    st = shutil.which("st") or shutil.which("schemathesis")
    assert st, "schemathesis is not installed (tests/faults/run.sh installs it)"
    args = [st, "run", server.base + "/api/openapi.json",
            "--checks", "not_a_server_error", "--phases", phases,
            "--max-time", MAX_SECONDS, "-n", "25", "-w", "1", "--seed", "20261204",
            "--suppress-health-check", "all"]
    for h in headers:
        args += ["-H", h]
    done = subprocess.run(args + extra, capture_output=True, timeout=600, text=True)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_request_to_the_api_gets_a_server_error(workdir, signed_in):
    server = Server(workdir / "data", workdir / "server.log").start()
    try:
        headers = [f"Authorization: Bearer {staff_token(server, 'tttp.lanhdao')}"] if signed_in else []
        schemathesis(server, "examples,coverage", headers, [])
        schemathesis(server, "fuzzing", headers, ["--exclude-path-regex", "/transitions$"])
        assert "panicked" not in server.log_tail(100_000)
    finally:
        server.stop()
