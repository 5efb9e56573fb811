"""python manage.py import_sheet FILE --section S --user U [--dry-run] [--acknowledge CODE]…

The same import as the page: the user's rights (an investigator imports for their own
centre), a dry run that reports every problem by row and column, or an atomic import
(all rows or none) audited with source `import` and the file's SHA-256."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crf import access
from exports.imports import sheet_import
from exports.imports.columns import SECTIONS


class Command(BaseCommand):
    help = "Import a section's sheet (XLSX or CSV) for a user: dry run or atomic import."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--section", required=True, choices=sorted(SECTIONS))
        parser.add_argument("--user", required=True, help="The importing user's user name.")
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")
        parser.add_argument("--reason", default="", help="Reason for change (submitted cases).")
        parser.add_argument(
            "--acknowledge",
            action="append",
            default=[],
            metavar="CODE",
            help="Confirm the warnings with this rule code (repeat for each code).",
        )

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        run = sheet_import.check if options["dry_run"] else sheet_import.apply
        report = run(
            actor=access.actor_for(user, access.Scope.READ_WRITE),
            section=options["section"],
            filename=path.name,
            data=path.read_bytes(),
            reason=options["reason"],
            acknowledged=options["acknowledge"],
        )
        for message in report.file_errors:
            self.stderr.write(f"file: {message}")
        for p in report.errors:
            self.stderr.write(f"row {p.row}, column {p.column or '-'} ({p.value!r}): {p.message}")
        for w in report.warnings:
            self.stdout.write(
                f"warning {w.rule}: row {w.row}, column {w.column or '-'}: {w.message}"
            )
        summary = (
            f"{report.rows} rows: {report.created} to create, {report.updated} to update, "
            f"{report.unchanged} unchanged; sha256 {report.sha256}"
        )
        if not report.ok:
            raise CommandError(f"{summary}. Nothing was written: fix the problems above.")
        self.stdout.write(
            ("Imported. " if report.applied else "Dry run: nothing written. ") + summary
        )
