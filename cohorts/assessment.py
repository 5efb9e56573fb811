"""The stored assessment of each case: eligibility verdict and data-quality discrepancies,
recomputed on every change of the case.

`crf.services.cases_changed` is sent by every CRF writer (section saves and deletes, case
creation, the batch path) inside its transaction, with the cases' rows as written:
`assess(rows)` evaluates the pure engines on them (no query for the CRF data) and upserts
one `CaseAssessment` per case, one statement per chunk of cases, so the verdict is never
older than the data. A chunk is judged in a worker thread while the database writes the one
before (`registry.ahead`); the batch path hands over the completeness surveys it took while
deriving, so the requirements are walked once per case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from django.db import connection
from django.db.models import F
from django.utils import timezone

from cohorts.eligibility import ELIGIBILITY_VERSION, Verdict, evaluate
from cohorts.models import CaseAssessment, ConfirmedDiscrepancy
from cohorts.quality import QUALITY_VERSION, Discrepancy, discrepancies
from crf import completeness, snapshot
from crf.completeness import Survey
from crf.models import Case
from crf.models.base import new_row
from crf.rows import CaseRows
from registry.ahead import computed_ahead
from registry.bulk import AnyOf, upsert_statement
from registry.i18n import language_pinned


def confirmed_keys(case_ids: Iterable[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    confirmed = ConfirmedDiscrepancy.objects.filter(AnyOf(F("case"), list(case_ids)))
    for case_id, key in confirmed.values_list("case_id", "key"):
        found.setdefault(case_id, set()).add(key)
    return found


def missing_data(rows: CaseRows, survey: Survey | None = None) -> tuple[list[str], list[str]]:
    """("model.field" of the required answers not given, of those given as 'unknown'), from
    the case's completeness survey (taken here unless the writer already took it)."""
    survey = survey or completeness.survey(rows)
    missing = [f"{gap.model._meta.model_name}.{gap.field or ''}" for gap in survey.gaps]
    unknown = [f"{model._meta.model_name}.{name}" for model, name in survey.unknown]
    return missing, unknown


def assessment_of(
    rows: CaseRows, confirmed: set[str], survey: Survey | None = None
) -> CaseAssessment:
    verdict = evaluate(rows)
    found = discrepancies(rows)
    open_ = [d for d in found if d.key not in confirmed]
    missing, unknown = missing_data(rows, survey)
    ordered = open_ + [d for d in found if d.key in confirmed]
    assessment = cast(CaseAssessment, new_row(CaseAssessment))  # thousands a batch
    assessment.__dict__.update(
        case_id=rows.case.pk,
        eligibility=verdict.status,
        eligibility_version=verdict.rule_version,
        verdict=verdict.to_dict(),
        discrepancies=[d.to_dict() for d in ordered],
        quality_version=QUALITY_VERSION,
        open_discrepancies=len(open_),
        missing_fields=missing,
        unknown_fields=unknown,
    )
    return assessment


# What a re-assessment replaces in the stored row (the row keeps its id).
_RECOMPUTED = [
    "eligibility",
    "eligibility_version",
    "verdict",
    "discrepancies",
    "quality_version",
    "open_discrepancies",
    "missing_fields",
    "unknown_fields",
    "evaluated_at",
]


CHUNK = 500  # cases per upsert: the next chunk is judged while the database writes one


def assess(
    all_rows: Iterable[CaseRows], surveys: Mapping[int, Survey] | None = None
) -> list[CaseAssessment]:
    """Recompute and store the assessment of these cases: one upsert per chunk of cases
    (its values travel as one JSON parameter), the next chunk judged meanwhile.
    `surveys`: the completeness surveys the writer took of these rows, by id() of the
    CaseRows (`crf.services.cases_changed`)."""
    rows_list = [r for r in all_rows if r.case.pk is not None]
    surveys = surveys or {}
    # Confirmations are few: read at once for every case, so that each chunk is judged whole
    # (engines, discrepancies, statement) while the database writes the one before.
    confirmed = confirmed_keys([r.case.pk for r in rows_list]) if rows_list else {}
    now = timezone.now()

    def assessed(chunk: list[CaseRows]) -> tuple[list[CaseAssessment], tuple[str, list[str]]]:
        done = [
            assessment_of(r, confirmed.get(r.case.pk, set()), survey=surveys.get(id(r)))
            for r in chunk
        ]
        for a in done:
            a.evaluated_at = now
        return done, upsert_statement(CaseAssessment, done, unique=["case_id"], update=_RECOMPUTED)

    chunks = [rows_list[start : start + CHUNK] for start in range(0, len(rows_list), CHUNK)]
    assessments: list[CaseAssessment] = []
    # The engines' wording, for every case (registry.i18n); a worker pins its own.
    with language_pinned(), connection.cursor() as cursor:
        for done, (sql, params) in computed_ahead(assessed, chunks):
            cursor.execute(sql, params)
            assessments += done
    return assessments


def reassess(cases: Iterable[Case]) -> int:
    """Load and assess these cases (after a rule version change, or for cases written before
    the hook existed). Returns how many were assessed."""
    ids = [c.pk for c in cases]
    done = 0
    for start in range(0, len(ids), snapshot.CHUNK):
        loaded = snapshot.load(ids[start : start + snapshot.CHUNK])
        done += len(assess(loaded.values()))
    return done


def on_cases_changed(
    sender: Any, rows: list[CaseRows], surveys: Mapping[int, Survey] | None = None, **kwargs: Any
) -> None:
    assess(rows, surveys)


def stored_verdict(assessment: CaseAssessment) -> Verdict:
    return Verdict.from_dict(assessment.verdict)


def stored_discrepancies(assessment: CaseAssessment) -> list[Discrepancy]:
    return [Discrepancy.from_dict(d) for d in assessment.discrepancies]


def current(rows: CaseRows) -> CaseAssessment:
    """The assessment of the case as it is now (unsaved), for a page that has its rows."""
    return assessment_of(rows, confirmed_keys([rows.case.pk]).get(rows.case.pk, set()))


def is_current(assessment: CaseAssessment | None) -> bool:
    return (
        assessment is not None
        and assessment.eligibility_version == ELIGIBILITY_VERSION
        and assessment.quality_version == QUALITY_VERSION
    )
