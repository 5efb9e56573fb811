"""The audit's cost: event rows per save, the event tables' size against the live CRF's,
and a case's history read back when it has 1,000 events."""

from __future__ import annotations

import statistics

from django.db import connection, transaction

from benchmarks.harness import Bench, timed

HISTORY_EVENTS = 1_000
HISTORY_READS = 5  # timed reads of the history; the median is reported


def _event_tables() -> list[str]:
    from registry.audit import audit_tables

    return [t for t in audit_tables() if t.startswith("crf_")]


def _max_ids(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in tables:
            cursor.execute(f'SELECT coalesce(max(pgh_id), 0) FROM "{table}"')
            out[table] = cursor.fetchone()[0]
        return out


def _count_after(before: dict[str, int]) -> int:
    """Event rows written since `before` (ids only grow; gaps from rolled-back writes)."""
    with connection.cursor() as cursor:
        total = 0
        for table, last in before.items():
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE pgh_id > %s', [last])
            total += cursor.fetchone()[0]
        return total


def _a_case_with_demographics():
    """A draft case whose follow-up date can move back a day (the change every save makes)."""
    from crf.models import Case

    cases = Case.objects.filter(
        status="draft", demographics__last_followup_date__isnull=False
    ).select_related("demographics")
    for case in cases.order_by("pk")[:50]:
        try:
            with transaction.atomic():
                _toggle(case, 1)
                transaction.set_rollback(True)
            return case
        except Exception:  # this case's dates leave no room: the next one
            continue
    raise RuntimeError("no draft case accepts a follow-up date a day earlier")


def _toggle(case, n: int):
    """One section save through the write contract: the follow-up date a day earlier on odd
    saves, back on even ones (a real change each time: an event is due)."""
    from datetime import timedelta

    from crf import access
    from crf.models import Demographics
    from crf.services import section_save

    original = case.demographics.last_followup_date
    case.refresh_from_db(fields=["version"])
    return section_save(
        actor=access.SYSTEM,
        case=case,
        model=Demographics,
        data={"last_followup_date": original - timedelta(days=n % 2)},
        based_on=case.version,
        reason="benchmark",
    )


def events_per_save(bench: Bench) -> None:
    tables = _event_tables()
    case = _a_case_with_demographics()
    with transaction.atomic():
        before = _max_ids(tables)
        timings = []
        for n in range(50):
            with timed() as t:
                _toggle(case, n + 1)
            timings.append(t[0] * 1000)
        new_events = _count_after(before)
        transaction.set_rollback(True)
    bench.record("audit: event rows per section save", new_events / 50, "rows")
    bench.record("section save (service, no HTTP): median", statistics.median(timings), "ms")


def sizes(bench: Bench) -> None:
    from crf.models import CRF_MODELS

    events = _event_tables()
    live = [m._meta.db_table for m in CRF_MODELS]
    with connection.cursor() as cursor:

        def total(tables: list[str]) -> tuple[int, int]:
            size = rows = 0
            for table in tables:
                cursor.execute(
                    f'SELECT pg_total_relation_size(\'"{table}"\'), count(*) FROM "{table}"'
                )
                s, r = cursor.fetchone()
                size, rows = size + s, rows + r
            return size, rows

        event_size, event_rows = total(events)
        live_size, live_rows = total(live)
    bench.record("audit: event rows after the build", event_rows, "rows")
    bench.record("audit: event tables' size", event_size / 2**20, "MB")
    bench.record("live CRF tables' size", live_size / 2**20, "MB")
    bench.record("audit size / live CRF size", event_size / live_size, "x")
    bench.record("live CRF rows", live_rows, "rows")


def history(bench: Bench) -> None:
    from crf.history import case_audit_trail

    case = _a_case_with_demographics()
    with transaction.atomic():
        for n in range(HISTORY_EVENTS):
            _toggle(case, n + 1)
        reads = []
        for _ in range(HISTORY_READS):
            with timed() as t:
                entries = case_audit_trail(case)
            reads.append(t[0])
        transaction.set_rollback(True)
    # The first read pays for what the later ones find ready (plans, caches, the buffers of
    # the events just written): reported apart from the page's usual time.
    bench.record(f"history read back ({len(entries):,} events), first read", reads[0] * 1000, "ms")
    bench.record(f"history read back ({len(entries):,} events), median of {HISTORY_READS}",
                 statistics.median(reads) * 1000, "ms", "<= 100")  # fmt: skip
