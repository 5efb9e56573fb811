"""`manage.py data_dictionary --format csv|json [--output PATH]`: the generated dictionary."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.dictionary import RENDERERS, dictionary_rows


class Command(BaseCommand):
    help = "Write the data dictionary generated from the CRF models (CSV or JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", choices=sorted(RENDERERS), default="csv", help="Output format."
        )
        parser.add_argument("--output", metavar="PATH", help="File to write (default: stdout).")

    def handle(self, *args: object, **options: object) -> None:
        fmt = options["format"]
        # call_command(format=...) bypasses argparse's choices: check again.
        if fmt not in RENDERERS:
            allowed = ", ".join(sorted(RENDERERS))
            raise CommandError(f"--format must be one of {allowed}, not {fmt!r}.")
        text = RENDERERS[fmt](dictionary_rows())
        output = options["output"]
        if output:
            # newline="": the text already has its line endings.
            Path(str(output)).write_text(text, encoding="utf-8", newline="")
        else:
            self.stdout.write(text, ending="")
