"""`manage.py audit_verify [--seal]`: prove the audit tables were not altered."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import integrity


class Command(BaseCommand):
    help = "Check every audit event's hash chain and the tables' seals; optionally seal them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="After a clean check, seal the tables as they are."
        )

    def handle(self, *args: object, seal: bool = False, **options: object) -> None:
        problems = integrity.verify()
        for problem in problems:
            self.stderr.write(f"!! {problem}")
        if problems:
            raise CommandError(f"The audit trail was altered: {len(problems)} problem(s) above.")
        tables = len(integrity.event_tables())
        self.stdout.write(self.style.SUCCESS(f"Audit intact: {tables} event tables checked."))
        if seal:
            self.stdout.write(f"Sealed {integrity.seal()} event tables.")
