"""The embedded PostgreSQL of registry.devdb (dev and tests without DATABASE_URL)."""

import os
import time

import environ
import psycopg
import pytest

from registry import devdb

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="DATABASE_URL is set (CI uses the machine's PostgreSQL): the embedded one is unused",
)


def test_url_parses_and_connects():
    url = devdb.database_url()

    config = environ.Env.db_url_config(url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "registry"
    assert config["USER"] == "postgres"
    # Unix socket directory as HOST, the way Django hands it to libpq.
    assert os.path.isabs(config["HOST"]) and os.path.isdir(config["HOST"])

    with psycopg.connect(
        host=config["HOST"], dbname=config["NAME"], user=config["USER"], connect_timeout=5
    ) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_second_call_is_fast_and_stable():
    first = devdb.database_url()
    started = time.perf_counter()
    second = devdb.database_url()
    elapsed = time.perf_counter() - started
    assert second == first
    assert devdb.is_running()
    assert elapsed < 1.0, f"warm database_url() took {elapsed:.2f}s"
