"""Benchmarks run by `make bench` (not by `make test`): they print figures beside targets."""

import pytest

from benchmarks import report


@pytest.fixture(scope="session", autouse=True)
def _table():
    yield
    report.write_and_print()
