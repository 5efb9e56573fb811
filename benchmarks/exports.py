"""The de-identified export of every case (all tables) in each format, in a process of its
own (peak memory), against `COPY … TO STDOUT` of the rows it reads: the physical limit."""

from __future__ import annotations

import json
import os
import statistics
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
RUNS = 3  # of the reference and of each targeted format, interleaved (medians)


def copy_seconds() -> tuple[float, int]:
    """`COPY (SELECT * FROM t) TO STDOUT` of every CRF table, read to the end and dropped,
    by the reader the export reads its COPYs with (`registry.copy_out`)."""
    from crf.models import CRF_MODELS
    from registry.copy_out import CopyOut

    started, rows = time.perf_counter(), 0
    with connection.connection.cursor() as cursor:
        for model in CRF_MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            with CopyOut(cursor, f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
                for _data in copy:
                    pass
            rows += copy.rows
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
    """The targeted formats and the reference are run RUNS times, interleaved, and each
    timing is the median of its runs (peak memory the highest): a single run of either moved
    the ratio by 10 % or more on this machine. The reported formats run once."""
    references: list[float] = []
    timed: dict[str, list[dict]] = {fmt: [] for fmt in PRIMARY}
    for _ in range(RUNS):
        seconds, copy_rows = copy_seconds()
        references.append(seconds)
        for fmt in PRIMARY:
            timed[fmt].append(export_in_child(fmt))
    reference = statistics.median(references)
    bench.record(
        "COPY TO STDOUT of every CRF table", reference, "s", reference=f"{copy_rows:,} rows"
    )
    for fmt in (*PRIMARY, *REPORTED):
        targeted = fmt in PRIMARY
        runs = timed[fmt] if targeted else [export_in_child(fmt)]
        run = {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "rows": runs[0]["rows"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        }
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
