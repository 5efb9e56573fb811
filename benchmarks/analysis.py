"""The study's tables (Table 1, the comparison, Table 2, Figure 3) from a de-identified CSV
export of every case (the export itself not timed), and the coordinators' dashboard across
centres: seconds."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Bench, timed

TARGET_S = 3


def analysis(bench: Bench) -> None:
    """Times the analysis from the export's CSV files only: the export is made first, in a
    process of its own, and the modules the analysis imports once per process (scipy.stats,
    matplotlib: over a second) are imported before the clock starts."""
    from django.core.management import call_command

    with timed() as imports:
        import exports.management.commands.analysis_tables  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as work:
        export, tables = Path(work) / "export", Path(work) / "tables"
        subprocess.run(
            [sys.executable, "-m", "benchmarks.export_child", "csv", str(export)],
            env=dict(os.environ), check=True, capture_output=True,
        )  # fmt: skip
        cpu = time.process_time()
        with timed() as t:
            call_command(
                "analysis_tables", export=str(export), out=str(tables), stdout=io.StringIO()
            )
        cpu = time.process_time() - cpu  # on a shared machine, what the wall time hides
    bench.record("study tables from the export (Table 1, 2, comparison, Figure 3)", t[0], "s",
                 f"<= {TARGET_S}")  # fmt: skip
    bench.note(
        "study tables: timed from the CSV export's files to the written tables, numbers.csv "
        f"and Figure 3 ({cpu:.1f} s of CPU); not timed: the export, and the analysis' imports "
        f"({imports[0]:.1f} s, once per process)"
    )


def dashboard(bench: Bench) -> None:
    from cohorts import dashboard as board

    with timed() as t:
        built = board.build()
        board.csv_rows(built)
    bench.record("coordinator dashboard (every centre)", t[0], "s", f"<= {TARGET_S}")
