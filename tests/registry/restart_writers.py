"""Writers of the restart drill (tests/registry/test_restart_drill.py), run as a process of
their own on the database of DATABASE_URL:

    python -m tests.registry.restart_writers --writers 3 --folder DIR

Creates an investigator and one case per writer, then each writer thread adds treatment rows
to its case through crf.services, on its own connection, until DIR/stop exists. A write is
recorded in DIR/acknowledged.jsonl only once section_save has returned (committed); a
connection lost mid-write is closed and the writer carries on with the next write (the lost
one may or may not have committed: it was never acknowledged). DIR/progress holds the count
of acknowledged writes; DIR/summary.json is written at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.test")
django.setup()

from django.db import InterfaceError, OperationalError, connection  # noqa: E402

from crf import access  # noqa: E402
from crf.models import Case, Treatment  # noqa: E402
from crf.services import WarningsToAcknowledge, case_create, section_save  # noqa: E402
from registry.audit import Source  # noqa: E402
from registry.models import Centre, Membership, Role, User  # noqa: E402

LOST = (OperationalError, InterfaceError)


def investigator() -> User:
    centre, _ = Centre.objects.get_or_create(code="drill", defaults={"name": "Drill centre"})
    user, _ = User.objects.get_or_create(username="drill_writer")
    Membership.objects.get_or_create(user=user, role=Role.INVESTIGATOR, centre=centre)
    return user


def add_row(actor, code: str, cycles: int) -> Treatment:
    data = {"agent": "hydroxychloroquine", "regimen": "hcq_alone", "target": "lupus"}
    data["cycles"] = cycles
    acknowledged: dict[str, str] = {}
    while True:
        version = Case.objects.values_list("version", flat=True).get(code=code)
        try:
            row = section_save(
                actor=actor,
                case=code,
                model=Treatment,
                data=data,
                based_on=version,
                acknowledged=acknowledged,
                source=Source.API,
            )
            assert isinstance(row, Treatment)
            return row
        except WarningsToAcknowledge as exc:
            acknowledged = {f.rule: "restart drill" for f in exc.findings}


class Writers:
    def __init__(self, folder: Path):
        self.folder = folder
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.lost = 0
        self.log = (folder / "acknowledged.jsonl").open("a", buffering=1)

    def record(self, code: str, row: Treatment) -> None:
        with self.lock:
            self.log.write(json.dumps({"case": code, "id": row.pk, "cycles": row.cycles}) + "\n")
            self.acknowledged += 1
            # Replaced whole, never rewritten in place: the drill polls this file, and a read
            # between a truncation and its write would see no count at all.
            written = self.folder / "progress.new"
            written.write_text(str(self.acknowledged))
            written.replace(self.folder / "progress")

    def write_until_stopped(self, actor, code: str) -> None:
        cycles = 0
        while not (self.folder / "stop").exists():
            cycles += 1
            try:
                row = add_row(actor, code, cycles)
            except LOST:
                with self.lock:
                    self.lost += 1
                try:
                    connection.close()
                except LOST:
                    pass
                time.sleep(0.1)
                continue
            self.record(code, row)
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    actor = access.actor_for(investigator(), access.Scope.READ_WRITE)
    [centre_id] = actor.centre_ids
    codes = [
        case_create(actor=actor, centre_id=centre_id, group="case", source=Source.API).code
        for _ in range(args.writers)
    ]
    connection.close()
    writers = Writers(args.folder)
    threads = [
        threading.Thread(target=writers.write_until_stopped, args=(actor, code)) for code in codes
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = {"acknowledged": writers.acknowledged, "lost_connections": writers.lost}
    (args.folder / "summary.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
