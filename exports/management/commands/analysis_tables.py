"""`manage.py analysis_tables [--freeze F | --export DIR | --job ID] --out DIR`: the study's
Table 1, case-control comparison, Table 2, Figure 3 (PNG, SVG) and Results counts, computed
from de-identified files only.

Without --export or --job, the data (a freeze, or the current data) is first exported with
the profile (CSV, into DIR/export), and the tables are computed from those files.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports import jobs, study
from exports.analysis import AnalysisInputError
from exports.models import ExportJob, ExportProfile
from exports.pipeline import DirectorySink, pseudonym_key, run_export
from exports.sources import FreezeUnavailable, source_for


class Command(BaseCommand):
    help = "Compute the study's tables and Figure 3 from a de-identified export."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--freeze", default="", help="Export this freeze first.")
        source.add_argument("--export", metavar="DIR", help="An export directory already made.")
        source.add_argument("--job", type=int, help="A finished export job of the registry.")
        parser.add_argument("--profile", default="deidentified", help="Profile of the export.")
        parser.add_argument("--out", required=True, metavar="DIR", help="Directory to write.")

    def handle(self, *args: object, **options) -> None:
        out = Path(options["out"])
        try:
            data = self._data(options, out)
            written = study.write_study(data, out)
        except (study.NoAnalysableFiles, AnalysisInputError, FreezeUnavailable) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(written)} files in {out}: {', '.join(p.name for p in written)}"
            )
        )

    def _data(self, options, out: Path):
        if options["export"]:
            return study.read_directory(Path(options["export"]))
        if options["job"]:
            job = ExportJob.objects.filter(pk=options["job"], status=ExportJob.Status.DONE).first()
            if job is None:
                raise CommandError(f"--job {options['job']}: no finished export with this id.")
            stored = {f.name: f.stored_as for f in job.files.all()}
            storage = jobs.export_storage()
            return study.read_export(lambda name: storage.open(stored[name], "rb"), stored)
        profile = ExportProfile.objects.filter(name=options["profile"]).first()
        if profile is None:
            raise CommandError(f"--profile {options['profile']!r} does not exist.")
        directory = out / "export"
        run_export(
            source=source_for(options["freeze"]),
            profile=profile.policy(),
            formats=["csv"],
            key=pseudonym_key(),
            sink=DirectorySink(directory),
            k_threshold=profile.k_threshold,
        )
        return study.read_directory(directory)
