"""`manage.py seed_demo`: synthetic centres, accounts and patients for development.

Refused unless settings.ALLOW_DEMO_DATA (True in dev/test, False in prod). Idempotent: a
second run creates nothing and keeps passwords a user changed, unless --reset-passwords.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import cohort as demo
from registry.models import Role


class Command(BaseCommand):
    help = "Load the synthetic demo data set (13 centres, 7 accounts, 24 cases, 38 controls)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set every demo account's password back to '{demo.DEMO_PASSWORD}'.",
        )

    def handle(self, *args: object, reset_passwords: bool = False, **options: object) -> None:
        if not getattr(settings, "ALLOW_DEMO_DATA", False):
            raise CommandError(
                "seed_demo is disabled here: settings.ALLOW_DEMO_DATA is False. Synthetic "
                "patients belong in development and test databases only, never in production."
            )
        started = time.perf_counter()
        report = demo.seed_demo(reset_passwords=reset_passwords)
        elapsed = time.perf_counter() - started
        if report.created_anything:
            rows = ", ".join(f"{n} {model}" for model, n in report.rows.items() if n)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data created in {elapsed:.1f} s: {report.centres} centres, "
                    f"{report.accounts} accounts; {rows or 'no patient rows'}."
                )
            )
        else:
            self.stdout.write(
                f"Nothing new: the demo data is already there (checked in {elapsed:.1f} s)."
            )
        if report.passwords_reset:
            self.stdout.write(f"Reset the password of {report.passwords_reset} existing accounts.")
        self._print_accounts(reset_passwords=reset_passwords)

    def _print_accounts(self, *, reset_passwords: bool) -> None:
        centres = {code: f"{code} {name}" for code, name, _, _ in demo.CENTRES}
        header = ("username", "role", "centre")
        lines = [
            (a.username, Role(a.role).label, centres[a.centre] if a.centre else "all (network)")
            for a in demo.ACCOUNTS
        ]
        widths = [max(len(row[i]) for row in (header, *lines)) for i in range(3)]

        def fmt(row: tuple[str, str, str]) -> str:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            return "  ".join(cells).rstrip()

        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts"))
        self.stdout.write(fmt(header))
        self.stdout.write("  ".join("-" * width for width in widths))
        for line in lines:
            self.stdout.write(fmt(line))
        self.stdout.write(f"Password for every demo account: {demo.DEMO_PASSWORD}")
        if not reset_passwords:
            self.stdout.write(
                "(Accounts that already existed keep their current password; "
                "--reset-passwords restores it.)"
            )
