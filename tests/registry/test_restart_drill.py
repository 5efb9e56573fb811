"""The database crashes and restarts under load: no acknowledged write is lost.

A private throwaway PostgreSQL cluster (initdb in a temporary folder, a free port, default
durability settings), the registry migrated onto it; writer threads in another process add
rows through crf.services and record each write once it has returned
(tests/registry/restart_writers.py). In the middle, `pg_ctl restart -m immediate` (a
crash: no checkpoint, recovery from the WAL). The writers reconnect and carry on; then every
acknowledged row is in the database with its audit event, and `manage.py audit_verify`
passes. (Checked by hand: with `synchronous_commit=off` on the private server the same drill
fails, naming the acknowledged writes the crash lost.)

Marked `security` (make security): about a minute on 2 cores (most of it the migrations).
The machine's own PostgreSQL is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.drills import ROOT, manage

pytestmark = pytest.mark.security

PG_BIN = Path(os.environ.get("REGISTRY_DRILL_PG_BIN", "/usr/lib/postgresql/15/bin"))
WAIT_SECONDS = 60


def as_postgres(*command: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_ctl(folder: Path, *args: str) -> None:
    """pg_ctl on the private cluster; the server logs to a file (not to our pipes)."""
    log = str(folder / "server.log")
    done = subprocess.run(
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-w", "-l", log, *args),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def private_server():
    """A PostgreSQL cluster of this test only; stopped and deleted afterwards."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN} (REGISTRY_DRILL_PG_BIN)")
    folder = Path(tempfile.mkdtemp(prefix="registry-restart-drill-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
            "-A", "trust", "--no-sync",
        ),
        check=True, capture_output=True, timeout=WAIT_SECONDS,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    pg_ctl(folder, "-o", options, "start")
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE registry")
        yield folder, f"postgres://postgres@127.0.0.1:{port}/registry"
    finally:
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"),
            capture_output=True,
            timeout=WAIT_SECONDS,
        )
        shutil.rmtree(folder, ignore_errors=True)


def acknowledged_count(folder: Path) -> int:
    progress = folder / "progress"
    return int(progress.read_text() or 0) if progress.exists() else 0


def wait_until(condition, what: str, writers: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if writers.poll() is not None:
            pytest.fail(f"the writers stopped before {what}: {writers.communicate()}")
        if time.monotonic() > deadline:
            writers.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_a_crash_restart_under_load_loses_no_acknowledged_write(private_server, tmp_path):
    server, url = private_server
    migrated = manage("migrate", "--noinput", url=url, timeout=600)
    assert migrated.returncode == 0, migrated.stderr

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings.test", "DATABASE_URL": url}
    env.pop("REGISTRY_DB_USER", None)
    writers = subprocess.Popen(
        [sys.executable, "-m", "tests.registry.restart_writers", "--folder", str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: acknowledged_count(tmp_path) >= 30, "30 writes", writers)
        pg_ctl(server, "-m", "immediate", "restart")
        after_crash = acknowledged_count(tmp_path)
        wait_until(
            lambda: acknowledged_count(tmp_path) >= after_crash + 30, "30 more writes", writers
        )
    finally:
        (tmp_path / "stop").touch()
        out, err = writers.communicate(timeout=WAIT_SECONDS)
    assert writers.returncode == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["lost_connections"] >= 1, "the crash never reached the writers"

    acknowledged = [json.loads(line) for line in (tmp_path / "acknowledged.jsonl").open()]
    assert len(acknowledged) == summary["acknowledged"] >= 60
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        stored = dict(db.execute("SELECT id, cycles FROM crf_treatment").fetchall())
        inserted = {
            row_id
            for (row_id,) in db.execute(
                "SELECT pgh_obj_id FROM crf_treatmentevent WHERE pgh_label = 'insert'"
            )
        }
    missing = [w for w in acknowledged if stored.get(w["id"]) != w["cycles"]]
    assert not missing, f"{len(missing)} acknowledged writes lost: {missing[:5]}"
    assert {w["id"] for w in acknowledged} <= inserted
    verified = manage("audit_verify", url=url)
    assert verified.returncode == 0 and "Audit intact" in verified.stdout, verified.stderr
