"""pghistory's context rows are written once per context and then only read: refuse
UPDATE and DELETE on them, so an audit event's who/why cannot be rewritten."""

from django.db import migrations

from registry.audit import CONTEXT_GUARD_REVERSE_SQL, CONTEXT_GUARD_SQL


class Migration(migrations.Migration):
    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
        ("registry", "0001_initial"),
    ]

    operations = [migrations.RunSQL(CONTEXT_GUARD_SQL, CONTEXT_GUARD_REVERSE_SQL)]
