#!/usr/bin/env python
"""Django's command-line utility for the registry."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.dev")
    from django.core.management import execute_from_command_line

    from registry.audit import command_context

    # Audit: every write of a command or of `manage.py shell` carries source "shell", the
    # command and the OS user, unless the command opens its own audit_context.
    with command_context(argv):
        execute_from_command_line(argv)


if __name__ == "__main__":
    main()
