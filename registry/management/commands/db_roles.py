"""`manage.py db_roles`: create and grant the application's database role (run as the owner,
after every migrate). The password, when the role logs in with one, comes from the
environment (`REGISTRY_DB_APP_PASSWORD`), never from the command line."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandParser

from registry import dbroles


class Command(BaseCommand):
    help = "Create (if missing) and grant the application's database role: DML, no DDL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", help="Role name (default: settings.REGISTRY_DB_APP_ROLE).")
        parser.add_argument(
            "--login", action="store_true", help="Let it log in without a password (dev only)."
        )

    def handle(
        self, *args: object, role: str | None = None, login: bool = False, **options: object
    ) -> None:
        password = os.environ.get("REGISTRY_DB_APP_PASSWORD") or None
        granted = dbroles.grant_app_role(role, password=password, login=login)
        self.stdout.write(self.style.SUCCESS(f"Database role {granted!r} granted (DML only)."))
