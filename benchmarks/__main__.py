"""`python -m benchmarks [--cases N] [--only name,...]` (what `make bench` runs)."""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--cases", type=int, default=int(os.environ.get("BENCH_CASES", 100_000)))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated measurement names")
    args = parser.parse_args(argv)

    from benchmarks import database

    os.environ["DATABASE_URL"] = database.url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.dev")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    import django

    django.setup()

    from benchmarks.harness import Bench, report
    from benchmarks.measurements import MEASUREMENTS

    started = time.perf_counter()
    cases = database.build(args.cases, args.seed)
    bench = Bench(cases=cases)
    wanted = {n for n in args.only.split(",") if n}
    for name, measure in MEASUREMENTS.items():
        if wanted and name not in wanted:
            continue
        print(f"\n== {name}", flush=True)
        database.vacuum()  # what the measurement before left dead is not measured here
        measure(bench)
    if bench.figures:  # `--only none` builds the database and measures nothing
        report(bench, database.server_version())
    print(f"bench took {time.perf_counter() - started:,.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
