"""One export in a process of its own, so that its peak memory is its own:
`python -m benchmarks.export_child <format> <directory>` prints a JSON line
{seconds, rows, peak_rss_mb, baseline_rss_mb} (baseline: the process after Django's set-up)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main(fmt: str, directory: str) -> None:
    import django

    django.setup()
    from exports import deid
    from exports.pipeline import DirectorySink, pseudonym_key, run_export
    from exports.sources import CurrentData

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result = run_export(
        source=CurrentData(),
        profile=deid.Profile(name="deidentified"),
        formats=[fmt],
        key=pseudonym_key(),
        sink=DirectorySink(Path(directory)),
        k_threshold=5,
    )
    seconds = time.perf_counter() - started
    rows = sum(f.rows or 0 for f in result.files if f.table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak,
                      "baseline_rss_mb": baseline}))  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:3])
