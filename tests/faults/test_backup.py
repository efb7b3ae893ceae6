"""A backup taken while reports keep arriving restores every report acknowledged before it
began (issue "trust and hardening", backup and restore).

The server runs on SQLite under eight concurrent submitters; `minhbach backup` copies the
database (VACUUM INTO), the server key and the signed audit checkpoints; `minhbach restore`
puts them into an empty data directory only after the key opens the database and the log
verifies; a server started there opens every receipt acknowledged before the backup started.
"""

from __future__ import annotations

import subprocess
import time

from conftest import Load, Server, assert_all_open, assert_audit_verifies, server_binary


def test_a_backup_taken_under_load_restores_every_acknowledged_report(workdir):
    data = workdir / "data"
    server = Server(data, workdir / "server.log").start()
    load = Load(server).start(limit=60)
    try:
        deadline = time.monotonic() + 60
        while load.count(201) < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        with load._lock:
            before = list(load.acknowledged)
        assert len(before) >= 20, f"too few reports under load: {load.statuses}"
        backup = workdir / "backup"
        made = server.cli("backup", str(backup))
        assert made.returncode == 0, (made.stdout + made.stderr).decode(errors="replace")
        time.sleep(1)  # reports keep coming after the copy
    finally:
        load.stop()
        server.stop()
    assert load.count(500) == 0, load.bodies.get(500)

    restored_data = workdir / "restored"
    done = subprocess.run(
        [str(server_binary()), "--data", str(restored_data), "restore", str(backup)],
        env=server.env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")
    restored = Server(restored_data, workdir / "restored.log").start()
    try:
        assert_all_open(restored, before)
        assert_audit_verifies(restored)
    finally:
        restored.stop()
