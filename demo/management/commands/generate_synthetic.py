"""`manage.py generate_synthetic --cases N --seed S`: synthetic patients at network scale."""

from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import cohort, synthetic
from registry.models import Centre


class Command(BaseCommand):
    help = "Write N synthetic cases and controls through the batch path (validated, audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="How many patients.")
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same data.")
        parser.add_argument("--chunk", type=int, default=synthetic.CHUNK, help="Cases per batch.")

    def handle(self, *args: object, cases: int, seed: int, chunk: int, **options: object) -> None:
        if not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError("generate_synthetic is disabled here: ALLOW_DEMO_DATA is False.")
        if cases < 1 or chunk < 1:
            raise CommandError("--cases and --chunk must be positive.")
        cohort.seed_centres()
        centre_ids = list(Centre.objects.filter(is_active=True).values_list("pk", flat=True))
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / (time.perf_counter() - started)
            bar = "#" * round(30 * done / total)
            sys.stderr.write(f"\r[{bar:<30}] {done:,}/{total:,} cases, {rate:,.0f} cases/s")
            sys.stderr.flush()

        rows = synthetic.generate(
            cases=cases, seed=seed, centre_ids=centre_ids, progress=progress, chunk=chunk
        )
        elapsed = time.perf_counter() - started
        sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"{cases:,} patients, {rows:,} rows in {elapsed:.1f} s "
                f"({rows / elapsed:,.0f} rows/s), validated and audited."
            )
        )
