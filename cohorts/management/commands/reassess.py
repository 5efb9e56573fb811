"""`manage.py reassess`: recompute every case's stored eligibility and discrepancies.

Every CRF write keeps the assessment current (cohorts.assessment); run this after a new
version of the eligibility or data-quality rules, or for cases written before the hook."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from cohorts.assessment import reassess
from crf.models import Case


class Command(BaseCommand):
    help = "Recompute the stored eligibility verdict and discrepancies of every case."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--stale-only", action="store_true", help="Only outdated or missing.")

    def handle(self, *args: Any, stale_only: bool = False, **options: Any) -> None:
        from cohorts.eligibility import ELIGIBILITY_VERSION
        from cohorts.quality import QUALITY_VERSION

        cases = Case.objects.order_by("pk")
        if stale_only:
            cases = cases.exclude(
                assessment__eligibility_version=ELIGIBILITY_VERSION,
                assessment__quality_version=QUALITY_VERSION,
            )
        with transaction.atomic():
            done = reassess(cases.only("pk"))
        self.stdout.write(f"{done} case(s) assessed.")
