"""Spreadsheet import (issue 8): 10,000 demographics rows of 10,000 existing cases, dry run
then import through the batch path (validated, derived, audited), in rows per second.
Run in a transaction that is rolled back: the benchmark database stays as built."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.db import transaction

from benchmarks.harness import Bench, timed

ROWS = 10_000
TARGET_ROWS_PER_S = 5_000


def _sheet(codes: dict[str, str]) -> bytes:
    from crf.models import Demographics
    from exports.imports.columns import column_names

    header = column_names(Demographics)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for i, (local, code) in enumerate(sorted(codes.items())):
        key = {"case_code": code} if i % 2 else {"local_identifier": local}
        le = dt.date(2010, 1, 1) + dt.timedelta(days=i % 3000)
        writer.writerow(
            {**dict.fromkeys(header, ""), **key, "sex": ("male", "female")[i % 2],
             "le_diagnosis_date": le.isoformat(),
             "last_followup_date": (le + dt.timedelta(days=900)).isoformat()}
        )  # fmt: skip
    return out.getvalue().encode()


def imports(bench: Bench) -> None:
    from crf import access
    from crf.batch import Item, NewCase, batch_save
    from crf.models import Identity
    from exports.imports import sheet_import
    from registry.audit import Source
    from registry.models import Centre, Membership, Role, User

    with transaction.atomic():
        centre = Centre.objects.create(code="bench-import", name="Bench import")
        user = User.objects.create(username="bench-import")
        Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre)
        items = [
            Item(NewCase(centre_id=centre.pk), Identity,
                 {"local_identifier": f"BI{n}", "initials": "AB",
                  "date_of_birth": dt.date(1950, 1, 1)})
            for n in range(ROWS)
        ]  # fmt: skip
        batch_save(actor=access.SYSTEM, items=items, source=Source.SYSTEM)
        codes = dict(
            Identity.objects.filter(case__centre=centre).values_list(
                "local_identifier", "case__code"
            )
        )
        data = _sheet(codes)
        actor = access.actor_for(user, access.Scope.READ_WRITE)
        with timed() as dry_t:
            dry = sheet_import.check(
                actor=actor, section="demographics", filename="b.csv", data=data
            )
        with timed() as apply_t:
            done = sheet_import.apply(
                actor=actor, section="demographics", filename="b.csv", data=data,
                acknowledged=dry.warning_codes,
            )  # fmt: skip
        assert dry.ok and done.applied, (dry.errors[:3], done.errors[:3])
        transaction.set_rollback(True)
    bench.record("import dry run: rows/s", ROWS / dry_t[0], "rows/s", f">= {TARGET_ROWS_PER_S}")
    bench.record("import: rows/s (validated, audited)", ROWS / apply_t[0], "rows/s",
                 f">= {TARGET_ROWS_PER_S}")  # fmt: skip
