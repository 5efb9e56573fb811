"""The coordinator's dashboard across centres: cases by centre and status, eligibility
outcomes and adjudications, open queries by age, and the missing-data report (required
answers not given, and given as 'unknown', per centre and per field). A handful of
aggregate queries whatever the number of cases; the same numbers feed the page, its
charts and its CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cohorts.models import OPEN_QUERY_STATUSES, Adjudication, CaseAssessment, Query
from cohorts.queries import MODELS_BY_NAME
from crf.codes import Group, Status
from crf.models import Case
from crf.models.base import field as field_of
from registry.models import Centre

AGE_BUCKETS = (  # (upper bound in days, CSV key, label)
    (7, "under_7_days", gettext_lazy("less than 7 days")),
    (30, "7_to_30_days", gettext_lazy("7 to 30 days")),
    (90, "30_to_90_days", gettext_lazy("30 to 90 days")),
    (None, "over_90_days", gettext_lazy("more than 90 days")),
)
NOT_EVALUATED = "not_evaluated"


@dataclass
class Dashboard:
    centres: list[str]
    statuses: list[tuple[str, str]]
    by_centre_status: dict[str, Counter]
    eligibility: dict[str, Counter]  # group -> verdict -> n
    adjudications: Counter  # (decision, overrules) -> n
    query_ages: list[tuple[str, str, int]]  # (key, label, n)
    missing: dict[str, Counter]  # "model.field" -> centre -> n
    unknown: dict[str, Counter]
    missing_by_centre: Counter
    unknown_by_centre: Counter


def field_label(key: str) -> str:
    """'demographics.sex' → 'Demographics › sex'; 'demographics.' → 'Demographics (section)'."""
    name, _sep, field = key.partition(".")
    model = MODELS_BY_NAME.get(name)
    if model is None:
        return key
    section = str(model._meta.verbose_name).capitalize()
    if not field:
        return _("{section} (no row)").format(section=section)
    return f"{section} › {field_of(model, field).verbose_name}"


def build() -> Dashboard:
    codes = dict(Centre.objects.values_list("pk", "code"))
    by_centre_status: dict[str, Counter] = defaultdict(Counter)
    for centre_id, status, n in (
        Case.objects.values_list("centre_id", "status").annotate(n=Count("pk")).order_by()
    ):
        by_centre_status[codes[centre_id]][status] += n

    eligibility: dict[str, Counter] = {Group.CASE: Counter(), Group.CONTROL: Counter()}
    for group, verdict, n in (
        Case.objects.exclude(status=Status.WITHDRAWN)
        .values_list("group", "assessment__eligibility")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        eligibility[group][verdict or NOT_EVALUATED] += n

    adjudications: Counter = Counter()
    for adj in Adjudication.objects.only("decision", "computed"):
        adjudications[(adj.decision, adj.overrules)] += 1

    now = timezone.now()
    ages: Counter = Counter()
    for raised_at in Query.objects.filter(status__in=OPEN_QUERY_STATUSES).values_list(
        "raised_at", flat=True
    ):
        age = now - raised_at
        bucket = next(
            key for days, key, _label in AGE_BUCKETS if days is None or age < timedelta(days=days)
        )
        ages[bucket] += 1

    missing: dict[str, Counter] = defaultdict(Counter)
    unknown: dict[str, Counter] = defaultdict(Counter)
    missing_by_centre: Counter = Counter()
    unknown_by_centre: Counter = Counter()
    for centre_id, kind, key, n in _gaps_by_centre():
        gaps, by_centre = (
            (missing, missing_by_centre) if kind == "missing" else (unknown, unknown_by_centre)
        )
        gaps[key][codes[centre_id]] += n
        by_centre[codes[centre_id]] += n

    return Dashboard(
        centres=sorted(by_centre_status),
        statuses=[(s.value, str(s.label)) for s in Status],
        by_centre_status=dict(by_centre_status),
        eligibility=eligibility,
        adjudications=adjudications,
        query_ages=[(key, str(label), ages[key]) for _days, key, label in AGE_BUCKETS],
        missing=dict(missing),
        unknown=dict(unknown),
        missing_by_centre=missing_by_centre,
        unknown_by_centre=unknown_by_centre,
    )


def _gaps_by_centre() -> list[tuple[int, str, str, int]]:
    """(centre, "missing" or "unknown", "model.field", n) over the assessments of the cases
    not withdrawn: counted by PostgreSQL, not by decoding every case's lists in Python
    (the whole dashboard of 100,000 cases 1.0-1.2 -> 0.3-0.5 s)."""
    sql = f"""
        SELECT c.centre_id, gap.kind, gap.key, count(*)
        FROM {CaseAssessment._meta.db_table} a
        JOIN {Case._meta.db_table} c ON c.id = a.case_id
        CROSS JOIN LATERAL (
            SELECT 'missing' AS kind, key FROM jsonb_array_elements_text(a.missing_fields) key
            UNION ALL
            SELECT 'unknown', key FROM jsonb_array_elements_text(a.unknown_fields) key
        ) gap
        WHERE c.status <> %s
        GROUP BY 1, 2, 3
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [Status.WITHDRAWN])
        return cursor.fetchall()


def csv_rows(board: Dashboard) -> list[list[Any]]:
    """Every number of the dashboard, one per line: table, dimension 1, dimension 2, n."""
    rows: list[list[Any]] = [["table", "key", "subkey", "n"]]
    for centre in board.centres:
        for status, _label in board.statuses:
            n = board.by_centre_status[centre][status]
            rows.append(["cases_by_centre_status", centre, status, n])
    for group, counts in board.eligibility.items():
        for verdict, n in sorted(counts.items()):
            rows.append(["eligibility", group, verdict, n])
    for (decision, overrules), n in sorted(board.adjudications.items()):
        rows.append(["adjudications", decision, "overrules" if overrules else "agrees", n])
    for key, _label, n in board.query_ages:
        rows.append(["open_queries_by_age", key, "", n])
    for table, data in (("missing_required", board.missing), ("unknown_required", board.unknown)):
        for key in sorted(data):
            for centre, n in sorted(data[key].items()):
                rows.append([table, key, centre, n])
    return rows
