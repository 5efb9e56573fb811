"""The de-identified export of every case (all tables) in each format, in a process of its
own (peak memory), against `COPY … TO STDOUT` of the rows it reads: the physical limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from django.db import connection

from benchmarks.harness import Bench

PRIMARY = ("csv", "parquet")  # targeted: within 2x of COPY, under 300 MB
REPORTED = ("xlsx", "dta", "sav")
MAX_RSS_MB = 300
MAX_RATIO = 2.0


def copy_seconds() -> tuple[float, int]:
    """`COPY (SELECT * FROM t) TO STDOUT` of every CRF table, read to the end and dropped."""
    from crf.models import CRF_MODELS

    started, rows = time.perf_counter(), 0
    with connection.connection.cursor() as cursor:
        for model in CRF_MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
                for _data in copy:
                    pass
            rows += cursor.rowcount
    return time.perf_counter() - started, rows


def export_in_child(fmt: str, database_url: str | None = None) -> dict:
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    with tempfile.TemporaryDirectory(prefix="bench-export-") as directory:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.export_child", fmt, directory],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def exports(bench: Bench) -> None:
    reference, copy_rows = copy_seconds()
    bench.record(
        "COPY TO STDOUT of every CRF table", reference, "s", reference=f"{copy_rows:,} rows"
    )
    for fmt in (*PRIMARY, *REPORTED):
        run = export_in_child(fmt)
        targeted = fmt in PRIMARY
        bench.record(f"export {fmt}: seconds", run["seconds"], "s")
        bench.record(f"export {fmt}: rows/s", run["rows"] / run["seconds"], "rows/s")
        bench.record(f"export {fmt} / COPY TO", run["seconds"] / reference, "x",
                     f"<= {MAX_RATIO}" if targeted else "", reference="COPY TO")  # fmt: skip
        bench.record(f"export {fmt}: peak RSS", run["peak_rss_mb"], "MB",
                     f"<= {MAX_RSS_MB}" if targeted else "")  # fmt: skip


def memory(bench: Bench) -> None:
    """Peak memory of the CSV and Parquet exports on a database a tenth the size: flat when
    the ratio stays near 1 (the rows stream; nothing grows with the number of cases)."""
    from benchmarks import database

    small_cases = max(1, bench.cases // 10)
    small = database.url(f"{database.NAME}_small")
    subprocess.run(
        [sys.executable, "-m", "benchmarks", "--cases", str(small_cases), "--only", "none"],
        env=dict(os.environ, BENCH_DATABASE_URL=small), check=True, capture_output=True,
    )  # fmt: skip
    for fmt in PRIMARY:
        large = next((f.value for f in bench.figures if f.name == f"export {fmt}: peak RSS"), None)
        peak = export_in_child(fmt, database_url=small)["peak_rss_mb"]
        bench.record(f"export {fmt}: peak RSS at {small_cases:,} cases", peak, "MB")
        if large:
            bench.record(f"export {fmt}: peak RSS, {bench.cases:,} / {small_cases:,} cases",
                         large / peak, "x", "<= 1.5")  # fmt: skip
