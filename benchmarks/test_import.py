"""Spreadsheet import's speed (issue 8): 10,000 rows dry-run, then imported through the
batch path (validated, derived, audited), in rows per second. Target: >= 5,000 rows/s."""

import csv
import datetime as dt
import io
import time

import pytest

from benchmarks import report
from crf import access
from crf.batch import Item, NewCase, batch_save
from crf.models import Demographics, Identity
from exports.imports import columns, sheet_import
from registry.audit import Source
from registry.models import Centre, Membership, Role, User

pytestmark = pytest.mark.django_db
ROWS = int(__import__("os").environ.get("BENCH_IMPORT_ROWS", 10_000))


def sheet(codes: dict[str, str]) -> bytes:
    header = columns.column_names(Demographics)
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


def test_import_rows_per_second():
    centre = Centre.objects.create(code="bench", name="Bench")
    user = User.objects.create(username="bench")
    Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre)
    new_cases = []
    for n in range(ROWS):
        case = NewCase(centre_id=centre.pk)
        new_cases.append(Item(case, Identity, {"local_identifier": f"L{n}", "initials": "AB",
                                                "date_of_birth": dt.date(1950, 1, 1)}))  # fmt: skip
    batch_save(actor=access.SYSTEM, items=new_cases, source=Source.SYSTEM)
    codes = dict(Identity.objects.values_list("local_identifier", "case__code"))
    data = sheet(codes)
    actor = access.actor_for(user, access.Scope.READ_WRITE)

    started = time.perf_counter()
    dry = sheet_import.check(actor=actor, section="demographics", filename="b.csv", data=data)
    dry_s = time.perf_counter() - started
    assert dry.ok and dry.created == ROWS, dry.errors[:3]
    started = time.perf_counter()
    done = sheet_import.apply(
        actor=actor, section="demographics", filename="b.csv", data=data,
        acknowledged=dry.warning_codes,
    )  # fmt: skip
    apply_s = time.perf_counter() - started
    assert done.applied and Demographics.objects.count() == ROWS

    report.record("import dry run, 10,000 rows", ROWS / dry_s, "rows/s", ">= 5000",
                  note=f"{dry_s:.2f} s")  # fmt: skip
    report.record("import, 10,000 rows", ROWS / apply_s, "rows/s", ">= 5000",
                  note=f"{apply_s:.2f} s")  # fmt: skip
