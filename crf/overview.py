"""What the case pages show, gathered from one `CaseRows` (no query per row or section):
completeness per section, what is missing (with where to answer it), the warnings nobody
confirmed, and the rows a reader may see (identity only for the owning centre)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from crf import access, completeness, snapshot
from crf.access import Actor
from crf.models import Case, Identity
from crf.rows import CaseRows
from crf.sections import SECTIONS, Section, row_name, section_of
from crf.validation import validate
from registry.addresses import address_of


def rows_for(actor: Actor, case: Case) -> CaseRows:
    """The case in memory as this reader may see it: identity only for the owning centre
    (the snapshot reads every row; a reader of another centre never gets the identity)."""
    rows = snapshot.load_one(case)
    if not access.may_see_identity(actor, case):
        rows.rows.pop(Identity, None)
    else:
        rows.rows.setdefault(Identity, [])  # the owner sees a missing identity as a gap
    return rows


def section_urls(code: str) -> dict[str, str]:
    """Each section page's address for case `code`, by slug (the overview links every
    section, each warning and each missing answer)."""
    address = address_of("crf:section", code)
    return {s.slug: address(s.slug) for s in SECTIONS}


def sections_for(actor: Actor, case: Case) -> list[Section]:
    return [s for s in SECTIONS if s.model is not Identity or access.may_see_identity(actor, case)]


@dataclass
class SectionState:
    section: Section
    given: int
    total: int
    rows: int

    @property
    def percent(self) -> int:
        return completeness.percent(self.given, self.total)


def section_states(actor: Actor, rows: CaseRows) -> list[SectionState]:
    counts = completeness.tally(rows)
    states = {s.model: SectionState(s, 0, 0, 0) for s in sections_for(actor, rows.case)}
    for model, (given, total) in counts.items():
        state = states.get(section_of(model).model)
        if state is not None:
            state.given += given
            state.total += total
    for model, state in states.items():
        state.rows = 1 if model is Case else len(rows.many(model))
    return list(states.values())


@dataclass
class Missing:
    section: Section
    where: str  # the row it concerns, by what a person recognises
    what: str
    anchor: str


def missing_answers(rows: CaseRows) -> list[Missing]:
    out = []
    for gap in completeness.gaps(rows):
        if gap.model is Identity and rows.one(Identity) is None and Identity not in rows.rows:
            continue  # not the reader's to see (rows_for left it out) or not entered yet
        section = section_of(gap.model)
        where = row_name(gap.row) if gap.row is not None and section.repeats else ""
        anchor = f"id_{gap.field}" if gap.field else ""
        out.append(Missing(section, where, gap.label[:1].upper() + gap.label[1:], anchor))
    return out


@dataclass
class OpenWarning:
    section: Section
    where: str
    message: str
    rule: str


def open_warnings(rows: CaseRows) -> list[OpenWarning]:
    """The warnings the rules raise today that nobody confirmed, row by row."""
    out = []
    for row in rows.all_rows():
        confirmed = set(getattr(row, "acknowledged_warnings", None) or ())
        for finding in validate(row, rows):
            if not finding.is_error and finding.rule not in confirmed:
                section = section_of(type(row))
                where = row_name(row) if section.repeats else ""
                out.append(OpenWarning(section, where, finding.message, finding.rule))
    return out


def fields_of(row: Model, names: list[str]) -> list[tuple[str, str]]:
    """(label, value) of each named field that holds something (read-only rendering)."""
    from crf.sections import value_text

    out = []
    for name in names:
        text = value_text(row, name)
        if text:
            label = str(row._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
            out.append((label[:1].upper() + label[1:], text))
    return out


def shown_fields(model: type[Model]) -> list[str]:
    """The fields a read-only page shows: entered and derived, without bookkeeping."""
    hidden = {"id", "case", "updated_at", "acknowledged_warnings", "rule_version", "version"}
    out: list[str] = []
    for f in model._meta.concrete_fields:
        if f.name in hidden or f.name.endswith("_precision") or f.is_relation and f.name in (
            "test", "treatment", "biopsy"
        ):  # fmt: skip
            continue
        out.append(f.name)
    return out


def panel_contexts(actor: Actor, case: Case, rows: CaseRows) -> list[tuple[str, dict[str, Any]]]:
    from crf.extensions import CASE_PANELS

    return [(p.template, p.context(actor, case, rows)) for p in CASE_PANELS]
