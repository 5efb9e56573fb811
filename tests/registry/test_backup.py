"""Backup and restore drill (make backup / make restore, registry/backup.py).

Seed a registry, export it, back it up with pg_dump, restore the dump into a new database
with pg_restore, export the restored database: the files have the same checksums, and the
audit of the restored database verifies (chain and seals). A damaged dump, or a restore
onto a database that holds tables, restores nothing.

Marked `security` (make security): about a minute on 2 cores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from demo import cohort, synthetic
from exports.models import ExportProfile
from registry import backup, integrity
from tests.drills import manage, url_of

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]


def export_checksums(url: str, out: Path) -> dict[str, str]:
    """Export the database of `url` with export_dataset; the manifest's file checksums."""
    done = manage(
        "export_dataset", "--profile", "drill", "--format", "csv", "--format", "parquet",
        "--out", str(out), "--quiet", url=url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    return {f["name"]: f["sha256"] for f in manifest["files"]}


@pytest.fixture
def restored_name():
    name = f"{settings.DATABASES['default']['NAME']}_restored"
    url = url_of()
    backup.drop_database(url, name)
    yield name
    backup.drop_database(url, name)


def test_a_restored_backup_re_exports_the_same_files_and_its_audit_verifies(
    tmp_path, restored_name
):
    centres = [c.pk for c in cohort.seed_centres().values()]
    synthetic.generate(cases=150, seed=11, centre_ids=centres)
    ExportProfile.objects.create(name="drill")
    assert integrity.seal() > 0
    source = url_of()
    before = export_checksums(source, tmp_path / "before")
    assert len(before) >= 10

    dump = backup.dump(source, tmp_path / "backups")
    backup.restore(dump, restored_name, source)

    restored = url_of(restored_name)
    assert export_checksums(restored, tmp_path / "after") == before
    verified = manage("audit_verify", url=restored)
    assert verified.returncode == 0 and "Audit intact" in verified.stdout, verified.stderr

    # The drill can fail: an altered event in the restored copy is caught.
    tampered = manage(
        "shell", "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('SET session_replication_role = replica'); "
        "c.execute(\"UPDATE crf_demographicsevent SET sex = CASE sex WHEN 'male' THEN 'female' "
        "ELSE 'male' END WHERE pgh_id = (SELECT min(pgh_id) FROM crf_demographicsevent)\"); "
        "print('altered', c.rowcount)",
        url=restored,
    )  # fmt: skip
    assert "altered 1" in tampered.stdout, tampered.stderr
    caught = manage("audit_verify", url=restored)
    assert caught.returncode != 0 and "crf_demographicsevent event" in caught.stderr


def test_a_damaged_dump_or_a_non_empty_target_restores_nothing(tmp_path, restored_name):
    source = url_of()
    dump = backup.dump(source, tmp_path)
    assert backup.checksum_file(dump).read_text().split() == [backup.sha256_of(dump), dump.name]

    damaged = tmp_path / "damaged.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(data)
    backup.checksum_file(damaged).write_text(backup.checksum_file(dump).read_text())
    with pytest.raises(backup.BackupError, match="does not match"):
        backup.restore(damaged, restored_name, source)
    with pytest.raises(backup.BackupError, match="checksum"):
        backup.restore(tmp_path / "damaged.dump.sha256", restored_name, source)
    assert backup._user_tables(source, restored_name) is None  # nothing was created

    with pytest.raises(backup.BackupError, match="already holds"):
        backup.restore(dump, settings.DATABASES["default"]["NAME"], source)
    backup.restore(dump, restored_name, source)
    backup.restore(dump, restored_name, source, force=True)  # told to: replaces it
    assert backup._user_tables(source, restored_name)
