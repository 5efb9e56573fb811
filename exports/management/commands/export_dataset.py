"""`manage.py export_dataset --profile deidentified --format csv [--format dta ...]
[--freeze F] --out DIR`: the de-identified export written to a directory, with a progress
bar; the same pipeline as the statisticians' page (exports.pipeline)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.formats import FORMATS
from exports.models import ExportProfile
from exports.pipeline import DirectorySink, pseudonym_key, run_export
from exports.sources import FreezeUnavailable, source_for


class Command(BaseCommand):
    help = "Write a de-identified export (every table, codebook, manifest) to a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", default="deidentified", help="Export profile name.")
        parser.add_argument(
            "--format",
            dest="formats",
            action="append",
            choices=FORMATS,
            help="A format (repeat for several; default: every format).",
        )
        parser.add_argument("--freeze", default="", help="A data freeze (default: current data).")
        parser.add_argument("--out", required=True, metavar="DIR", help="Directory to write.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: object, **options) -> None:
        profile = ExportProfile.objects.filter(name=options["profile"]).first()
        if profile is None:
            known = ", ".join(ExportProfile.objects.values_list("name", flat=True)) or "none"
            raise CommandError(
                f"--profile {options['profile']!r} does not exist (profiles: {known}); "
                "registry administrators create them in the admin."
            )
        quiet = options["quiet"]
        shown = [-1]

        def progress(done: int, total: int) -> None:
            if quiet or not total or done * 100 // total == shown[0]:
                return
            shown[0] = done * 100 // total
            bar = "#" * round(30 * done / total)
            sys.stderr.write(f"\r[{bar:<30}] {done:,}/{total:,} rows")
            sys.stderr.flush()

        try:
            result = run_export(
                source=source_for(options["freeze"]),
                profile=profile.policy(),
                formats=options["formats"] or list(FORMATS),
                key=pseudonym_key(),
                sink=DirectorySink(Path(options["out"])),
                k_threshold=profile.k_threshold,
                progress=progress,
            )
        except (FreezeUnavailable, ValueError) as error:
            raise CommandError(str(error)) from None
        if not quiet:
            sys.stderr.write("\n")
        report = result.report
        counts = ", ".join(f"{t}: {n:,} rows" for t, n in result.manifest["row_counts"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.files) + 1} files in {options['out']} "
                f"({counts}); "
                f"k = {report.k} (threshold {report.threshold}, "
                f"{len(report.at_risk)} cases at risk: see reidentification.json)."
            )
        )
