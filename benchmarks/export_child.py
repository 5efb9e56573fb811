"""One export in a process of its own, so that its peak memory is its own:
`python -m benchmarks.export_child <format> <directory>` prints a JSON line
{seconds, rows, peak_rss_mb, baseline_rss_mb} (baseline: the process after Django's set-up)."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own memory map;
    ru_maxrss would not do: Linux carries the parent's resident size at fork over exec, so
    a child of a large benchmark process would report at least the parent's size."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(fmt: str, directory: str) -> None:
    import django

    django.setup()
    from exports import deid
    from exports.pipeline import DirectorySink, pseudonym_key, run_export
    from exports.sources import CurrentData

    baseline = peak_rss_mb()
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
    peak = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak,
                      "baseline_rss_mb": baseline}))  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:3])
