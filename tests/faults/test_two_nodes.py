"""Two application nodes on one PostgreSQL database under load (issue "trust and hardening"):
every reference is handed out once, every receipt opens on either node, and the keyed audit
chain stays one linear, intact chain.

Both nodes share the server key (as docs/operations.md asks of a deployment) and keep their own
signed checkpoints; eight submitters load each node at once, while both schedulers run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from conftest import Load, Server, assert_all_open, assert_audit_verifies, free_port


def test_two_nodes_on_one_postgres_give_unique_references_and_one_intact_chain(workdir):
    url = os.environ.get("MINHBACH_TEST_POSTGRES")
    if not url:
        print("\nSKIPPED: set MINHBACH_TEST_POSTGRES to run the two-node test", flush=True)
        pytest.skip("MINHBACH_TEST_POSTGRES is not set")
    name = f"mb_nodes_{os.getpid()}_{free_port()}"
    subprocess.run(["psql", url, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    servers: list[Server] = []
    loads: list[Load] = []
    try:
        db_url = url.rsplit("/", 1)[0] + "/" + name
        env = {"MINHBACH_DATABASE_URL": db_url}
        a_data, b_data = workdir / "a", workdir / "b"
        a = Server(a_data, workdir / "a.log", env).start()
        servers.append(a)
        (b_data / "secrets").mkdir(parents=True)
        shutil.copy(a_data / "secrets" / "server.key", b_data / "secrets" / "server.key")
        b = Server(b_data, workdir / "b.log", env).start()
        servers.append(b)
        loads = [Load(a).start(limit=30), Load(b).start(limit=30)]
        deadline = time.monotonic() + 30
        while min(l.count(201) for l in loads) < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        for load in loads:
            load.stop()
        for load in loads:
            assert load.count(500) == 0, load.bodies.get(500)
            assert load.count(201) >= 20, f"too few reports on a node: {load.statuses}"
        everything = loads[0].acknowledged + loads[1].acknowledged
        # assert_all_open also refuses a reference handed out twice, across both nodes.
        assert_all_open(a, loads[1].acknowledged)
        assert_all_open(b, loads[0].acknowledged)
        assert len({r.reference for r in everything}) == len(everything)
        assert_audit_verifies(a)
        assert_audit_verifies(b)
    finally:
        for load in loads:
            load.stop()
        for s in servers:
            s.stop()
        subprocess.run(["psql", url, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
