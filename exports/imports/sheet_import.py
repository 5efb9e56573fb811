"""Importing a section's sheet: a dry run that reports every problem by row and column,
then an atomic import through `crf.batch` (all rows or none), audited with source
`import`, the file's SHA-256 and name, and the importing user.

Rules of the mapping (docs/api.md):
- a row finds its case by `case_code` or by `local_identifier` (the centre's own patient
  identifier, seen by that centre only): another centre's case is "no such case", naming
  the row, exactly like a missing one;
- a blank cell gives no value (it never erases what the case holds: clear a value in the
  case's page); a coded cell holds the code or its label;
- a one-per-case section's row updates the case's row; a repeating group's row updates the
  row named by `row_id`, else is a new row, unless the case already holds a row with the
  same values (so importing the same file again changes nothing);
- two identical rows in a file, or two rows of the same one-per-case section for one case,
  are errors naming both rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Field, Model
from django.utils.translation import gettext as _

from crf import access
from crf.access import Actor
from crf.batch import BatchInvalid, Item, NewCase, Problem, batch_check, batch_save
from crf.models import Case, Identity
from crf.models.base import case_lookup
from exports.imports.columns import (
    CASE_CODE,
    GROUP,
    IDENTITY_FIELDS,
    LOCAL_ID,
    ROW_ID,
    SECTIONS,
    column_names,
    parent_column,
    repeating,
)
from exports.imports.reader import Sheet, Unreadable, read
from registry.audit import Source
from registry.bulk import AnyOf
from registry.gcpause import collector_paused


@dataclass(frozen=True)
class CellProblem:
    row: int  # the line in the file (the header is line 1)
    column: str | None
    value: Any
    message: str
    rule: str


@dataclass
class Report:
    section: str
    filename: str
    sha256: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[CellProblem] = field(default_factory=list)
    warnings: list[CellProblem] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not (self.errors or self.file_errors)

    @property
    def warning_codes(self) -> list[str]:
        return sorted({w.rule for w in self.warnings})


@dataclass
class _Row:
    line: int
    raw: dict[str, Any]
    item: Item


class _Import:
    def __init__(self, actor: Actor, section: str, filename: str, data: bytes):
        self.actor = actor
        self.model = SECTIONS.get(section)
        self.report = Report(section, filename, hashlib.sha256(data).hexdigest())
        self.data = data
        self.rows: list[_Row] = []

    def error(self, line: int, column: str | None, value: Any, message: str, rule: str) -> None:
        self.report.errors.append(CellProblem(line, column, value, message, rule))

    # ---- the file ----

    def sheet(self) -> Sheet | None:
        if self.model is None:
            self.report.file_errors.append(
                _("Unknown section '{name}': choose one of {names}.").format(
                    name=self.report.section, names=", ".join(SECTIONS)
                )
            )
            return None
        try:
            sheet = read(self.report.filename, self.data)
        except Unreadable as exc:
            self.report.file_errors += exc.messages
            return None
        self.report.file_errors += self.header_problems(sheet)
        return None if self.report.file_errors else sheet

    def header_problems(self, sheet: Sheet) -> list[str]:
        assert self.model is not None
        section = self.report.section
        expected = column_names(self.model)
        if sheet.title and sheet.title in SECTIONS and sheet.title != section:
            return [self._other_section(sheet.title)]
        for other, model in SECTIONS.items():
            if other != section and set(sheet.header) == set(column_names(model)):
                return [self._other_section(other)]
        problems = []
        repeated = sorted({h for h in sheet.header if sheet.header.count(h) > 1})
        if repeated:
            problems.append(
                _("Columns appear twice: {names}. Keep one of each.").format(
                    names=", ".join(repeated)
                )
            )
        missing = [c for c in expected if c not in sheet.header]
        if missing:
            problems.append(
                _("Missing columns: {names}. Start from the template of section {section}.").format(
                    names=", ".join(missing), section=section
                )
            )
        unknown = [h for h in sheet.header if h not in expected]
        if unknown:
            problems.append(
                _("Columns that are not part of section {section}: {names}. Remove them.").format(
                    section=section, names=", ".join(h or "(blank)" for h in unknown)
                )
            )
        return problems

    def _other_section(self, other: str) -> str:
        return _(
            "This sheet is the template of section '{other}', not '{section}': choose section "
            "'{other}' or the right file."
        ).format(other=other, section=self.report.section)

    # ---- rows → items ----

    def map_rows(self, sheet: Sheet, reason: str, acknowledged: Collection[str]) -> None:
        assert self.model is not None
        model = self.model
        self.report.rows = len(sheet.rows)
        if model is Case:
            return self.map_case_rows(sheet, acknowledged)
        cases = self.resolve_cases(sheet)
        held = _rows_held(model, [c.pk for c in cases.values() if c is not None])
        fields = {name: f for name, f in _writable(model).items()}
        parent = parent_column(model)
        seen: dict[tuple, int] = {}
        for line, raw in sheet.rows:
            code = self.case_of(line, raw, cases)
            data = {}
            for name, f in fields.items():
                value = _cell(raw.get(name))
                if value is not None:
                    data[name] = _code_of(f, value)
            row_id = self.number(line, raw, ROW_ID) if repeating(model) else None
            parent_id = self.number(line, raw, parent) if parent else None
            if parent and parent_id is None:
                self.error(
                    line,
                    parent,
                    raw.get(parent),
                    _("Give the id of the parent row ({name}) of this row.").format(name=parent),
                    "import.parent",
                )
            if code is None:
                continue
            values = tuple(sorted((k, str(v)) for k, v in data.items()))
            key = (code, row_id, parent_id, values) if repeating(model) else (code,)
            if key in seen:
                self.error(
                    line,
                    None,
                    None,
                    _("Row {row} repeats row {first} (same case{values}): delete one.").format(
                        row=line,
                        first=seen[key],
                        values="" if not repeating(model) else _(" and values"),
                    ),
                    "import.duplicate",
                )
                continue
            seen[key] = line
            existing = _existing(held.get(code, []), model, row_id, parent_id, data)
            if existing is not None and _same(existing, data, fields):
                self.report.unchanged += 1
                continue
            if existing is not None or row_id is not None:
                self.report.updated += 1
            else:
                self.report.created += 1
            item = Item(
                case=code,
                model=model,
                data=data,
                row_id=row_id,
                parent=parent_id if existing is None else None,
                acknowledged=frozenset(acknowledged),
            )
            self.rows.append(_Row(line, raw, item))

    def map_case_rows(self, sheet: Sheet, acknowledged: Collection[str]) -> None:
        """Patients: a known case (code or local identifier) gets its identity and consent
        updated; an unknown local identifier without a code becomes a new case of the
        investigator's centre, with its identity."""
        cases = self.resolve_cases(sheet)
        identities = {
            i.case_id: i
            for i in access.identities_visible(self.actor).filter(
                AnyOf(F("case"), [c.pk for c in cases.values() if c is not None])
            )
        }
        centres = sorted(self.actor.centre_ids)
        case_fields = _writable(Case)
        seen: dict[str, int] = {}
        for line, raw in sheet.rows:
            local = str(_cell(raw.get(LOCAL_ID)) or "")
            code = str(_cell(raw.get(CASE_CODE)) or "")
            key = code or local
            if key and key in seen:
                self.error(
                    line,
                    CASE_CODE if code else LOCAL_ID,
                    key,
                    _("Row {row} names the same patient as row {first}: keep one.").format(
                        row=line, first=seen[key]
                    ),
                    "import.duplicate",
                )
                continue
            seen[key] = line
            identity = {n: _cell(raw.get(n)) for n in IDENTITY_FIELDS if _cell(raw.get(n))}
            own = {n: _code_of(f, _cell(raw.get(n))) for n, f in case_fields.items()}
            own = {n: v for n, v in own.items() if v is not None}
            group = str(_cell(raw.get(GROUP)) or "").lower()
            known = code or (cases.get((LOCAL_ID, local)) if local else None)
            if not known:
                if len(centres) != 1:
                    self.error(
                        line,
                        None,
                        None,
                        _("Only a centre's investigator creates its cases."),
                        "case.centre",
                    )
                    continue
                if not local:
                    self.error(
                        line,
                        LOCAL_ID,
                        "",
                        _("Give the local identifier of a new patient."),
                        "import.case",
                    )
                    continue
                if group not in ("case", "control"):
                    self.error(
                        line,
                        GROUP,
                        raw.get(GROUP),
                        _("Group must be 'case' or 'control'."),
                        "case.group",
                    )
                    continue
                new = NewCase(centre_id=centres[0], group=group, data=own)
                data = {LOCAL_ID: local, **identity}
                item = Item(new, Identity, data, acknowledged=frozenset(acknowledged))
                self.rows.append(_Row(line, raw, item))
                self.report.created += 1
                continue
            found_code = self.case_of(line, raw, cases)
            if found_code is None:
                continue
            case = next(c for c in cases.values() if c is not None and c.code == found_code)
            if group and group != case.group:
                self.error(
                    line, GROUP, raw.get(GROUP), _("A case's group cannot change."), "case.group"
                )
                continue
            current = identities.get(case.pk)
            items = []
            if (
                current is not None
                and identity
                and not _same(current, identity, _writable(Identity))
            ):
                items.append(
                    Item(found_code, Identity, identity, acknowledged=frozenset(acknowledged))
                )
            if own and not _same(case, own, case_fields):
                items.append(Item(found_code, Case, own, acknowledged=frozenset(acknowledged)))
            if not items:
                self.report.unchanged += 1
                continue
            self.report.updated += 1
            self.rows += [_Row(line, raw, item) for item in items]

    def resolve_cases(self, sheet: Sheet) -> dict[tuple[str, str], Any]:
        """(column, value) → case, for the codes and local identifiers the actor may use."""
        codes = {str(r.get(CASE_CODE) or "").strip() for _l, r in sheet.rows} - {""}
        local = {str(r.get(LOCAL_ID) or "").strip() for _l, r in sheet.rows} - {""}
        found: dict[tuple[str, str], Any] = {}
        cases = access.cases_visible(self.actor).filter(AnyOf(F("code"), codes))
        for case in cases.only(*_CASE_READ):
            found[(CASE_CODE, case.code)] = case
        identities = access.identities_visible(self.actor).filter(
            AnyOf(F("local_identifier"), local)
        )
        read = ("local_identifier", *(f"case__{name}" for name in _CASE_READ))
        for identity in identities.select_related("case").only(*read):
            key = (LOCAL_ID, identity.local_identifier)
            found[key] = None if key in found else identity.case  # None: ambiguous
        return found

    def case_of(self, line: int, raw: dict[str, Any], cases: dict) -> str | None:
        code = str(raw.get(CASE_CODE) or "").strip()
        local = str(raw.get(LOCAL_ID) or "").strip()
        if not code and not local:
            self.error(
                line, CASE_CODE, "", _("Give the case code or the local identifier."), "import.case"
            )
            return None
        by_code = cases.get((CASE_CODE, code)) if code else None
        by_local = cases.get((LOCAL_ID, local)) if local else None
        if code and by_code is None:
            self.error(
                line,
                CASE_CODE,
                code,
                _("No case {code} in your centre: check the code.").format(code=code),
                "import.case_unknown",
            )
            return None
        if local and by_local is None:
            ambiguous = (LOCAL_ID, local) in cases
            message = (
                _("Local identifier {id} belongs to several cases: give the case code.")
                if ambiguous
                else _(
                    "No case with local identifier {id} in your centre: check it, or give "
                    "the case code."
                )
            )
            self.error(line, LOCAL_ID, local, message.format(id=local), "import.case_unknown")
            return None
        if by_code is not None and by_local is not None and by_code.pk != by_local.pk:
            self.error(
                line,
                LOCAL_ID,
                local,
                _("Case code {code} and local identifier {id} are two different cases.").format(
                    code=code, id=local
                ),
                "import.case_mismatch",
            )
            return None
        found = by_code or by_local
        assert found is not None
        return str(found.code)

    def number(self, line: int, raw: dict[str, Any], column: str | None) -> int | None:
        value = _cell(raw.get(column)) if column else None
        if value is None:
            return None
        try:
            number = float(value)
            if number != int(number):
                raise ValueError
            return int(number)
        except (TypeError, ValueError):
            self.error(
                line,
                column,
                value,
                _("Give a row id (a whole number) or leave blank."),
                "import.id",
            )
            return None

    # ---- judging and writing ----

    def problems(self, problems: list[Problem], into: list[CellProblem]) -> None:
        for p in problems:
            row = self.rows[p.index]
            column = p.field if p.field in row.raw else None
            into.append(
                CellProblem(
                    row.line, column, row.raw.get(column) if column else None, p.message, p.rule
                )
            )
        into.sort(key=lambda c: (c.row, c.column or ""))

    def check(self, reason: str) -> list[Problem]:
        items = [r.item for r in self.rows]
        if not items:
            return []
        try:
            return batch_check(actor=self.actor, items=items, reason=reason, acknowledge_all=True)
        except BatchInvalid as exc:
            self.problems(exc.problems, self.report.errors)
            return []


# What the mapping reads of a case it resolves (the batch then loads the case whole).
_CASE_READ = ("id", "code", "group", "consent", "consent_date")


def _writable(model: type[Model]) -> dict[str, Field]:
    from crf.services import writable_fields

    return writable_fields(model)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _code_of(f: Field, value: Any) -> Any:
    """A coded cell may hold the code or its label (any case)."""
    if not f.choices or not isinstance(value, str):
        return value
    codes = {str(code) for code, _label in f.flatchoices}
    if value in codes:
        return value
    by_label = {str(label).strip().lower(): code for code, label in f.flatchoices}
    return by_label.get(value.lower(), value)


def _rows_held(model: type[Model], case_ids: list[int]) -> dict[str, list[Model]]:
    """The rows of `model` the cases already hold, by case code (one query)."""
    lookup = case_lookup(model)
    held: dict[str, list[Model]] = {}
    rows = model._default_manager.filter(AnyOf(F(lookup), case_ids)).annotate(
        _case_code=F(f"{lookup}__code" if lookup != "pk" else "code")
    )
    for row in rows.order_by("pk"):
        held.setdefault(row._case_code, []).append(row)
    return held


def _existing(
    held: list[Model], model: type[Model], row_id: int | None, parent_id: int | None, data: dict
) -> Model | None:
    """The case's row this sheet row describes: its one-per-case row, the row `row_id`, or
    a row already holding these values (under the same parent)."""
    if not repeating(model):
        return held[0] if held else None
    if row_id is not None:
        return next((r for r in held if r.pk == row_id), None)
    link = parent_column(model)
    fields = _writable(model)
    for row in held:
        if link and getattr(row, f"{link}_id") != parent_id:
            continue
        if _same(row, data, fields):
            return row
    return None


def _same(row: Model, data: dict[str, Any], fields: dict[str, Field]) -> bool:
    for name, value in data.items():
        f = fields[name]
        current = getattr(row, f.attname)
        try:
            if f.is_relation:
                if str(current) != str(int(float(value))):
                    return False
            elif f.to_python(value) != current:
                return False
        except (ValidationError, TypeError, ValueError):
            return False
    return True


@collector_paused()  # the sheet's rows and cases live until the end (registry.gcpause)
def check(
    *,
    actor: Actor,
    section: str,
    filename: str,
    data: bytes,
    reason: str = "",
    acknowledged: Collection[str] = (),
) -> Report:
    """The dry run: every problem and warning, and what would be created or updated."""
    run = _Import(actor, section, filename, data)
    sheet = run.sheet()
    if sheet is None:
        return run.report
    run.map_rows(sheet, reason, acknowledged)
    if not run.report.errors:
        run.problems(run.check(reason), run.report.warnings)
    return run.report


@collector_paused()
def apply(
    *,
    actor: Actor,
    section: str,
    filename: str,
    data: bytes,
    reason: str = "",
    acknowledged: Collection[str] = (),
) -> Report:
    """Import every row, or none: refused (the report says why) while any row has an error
    or a warning not confirmed by its code in `acknowledged`."""
    run = _Import(actor, section, filename, data)
    sheet = run.sheet()
    if sheet is None:
        return run.report
    run.map_rows(sheet, reason, acknowledged)
    if run.report.errors:
        return run.report
    items = [r.item for r in run.rows]
    if items:
        try:
            result = batch_save(
                actor=actor,
                items=items,
                source=Source.IMPORT,
                reason=reason,
                file_sha256=run.report.sha256,
                file_name=filename,
                section=section,
            )
        except BatchInvalid as exc:  # an unconfirmed warning is refused like an error
            run.problems(exc.problems, run.report.errors)
            return run.report
        run.problems(result.warnings, run.report.warnings)
    run.report.applied = True
    return run.report
