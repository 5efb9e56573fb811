"""The CRF as the API shows it: sections by name, rows as JSON, computed values apart.

A section is named by its model's name (`demographics`, `ngstest`, `ngsvariant`…, as in
the data dictionary's `table`). A row is written as

    {"id": 12, "test": 7, <its writable fields>…, "computed": {<derived>…, "rule_version"},
     "acknowledged_warnings": {"code": "comment"}, "updated_at": "…"}

where `test` (a nested row's link to its parent row) appears only for rows hanging off
another row. Writable fields are exactly `crf.services.writable_fields` (the write
contract's whitelist); computed values are read-only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.http import Http404

from crf import access
from crf.access import Actor
from crf.metadata import is_derived
from crf.models import CRF_MODELS, Case, Identity
from crf.models.base import link_to_case, related
from crf.rows import ONE_PER_CASE, CaseRows
from crf.services import writable_fields

# Sent back by a read, ignored when a client sends them again (a read → edit → write cycle).
READ_ONLY_KEYS = frozenset({"id", "computed", "acknowledged_warnings", "updated_at"})
# Keys of a write's body that are not fields: why, and which warnings are confirmed.
META_KEYS = frozenset({"reason", "acknowledge"})

SECTIONS: dict[str, type[Model]] = {str(m._meta.model_name): m for m in CRF_MODELS if m is not Case}


def section_model(name: str) -> type[Model]:
    model = SECTIONS.get(name)
    if model is None:
        raise Http404("No such section.")
    return model


def section_name(model: type[Model]) -> str:
    return str(model._meta.model_name)


def is_repeating(model: type[Model]) -> bool:
    return model not in ONE_PER_CASE and model is not Identity


def parent_link(model: type[Model]) -> str | None:
    """The field naming the parent row of a row that hangs off another row (else None)."""
    link = link_to_case(model)
    return link if link and link != "case" else None


def one_per_parent(model: type[Model]) -> bool:
    """A row that is one-to-one with its parent row (a treatment's lupus response)."""
    link = parent_link(model)
    return bool(link and model._meta.get_field(link).one_to_one)


def children(model: type[Model]) -> list[type[Model]]:
    """Sections whose rows hang off `model`'s rows (an NGS test's variants…)."""
    return [m for m in SECTIONS.values() if parent_link(m) and related(m, parent_link(m)) is model]  # type: ignore[arg-type]


def computed_fields(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if is_derived(f)]


def to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Model):
        return value.pk
    return value


def row_json(row: Model) -> dict[str, Any]:
    model = type(row)
    out: dict[str, Any] = {"id": row.pk}
    link = parent_link(model)
    if link:
        out[link] = getattr(row, f"{link}_id")
    for name, field in writable_fields(model).items():
        value = getattr(row, field.attname)
        out[name] = to_json(value)
    out["computed"] = {name: to_json(getattr(row, name)) for name in computed_fields(model)}
    out["acknowledged_warnings"] = getattr(row, "acknowledged_warnings", {})
    if hasattr(row, "updated_at"):
        out["updated_at"] = to_json(row.updated_at)
    return out


def case_summary(case: Case, centre_code: str) -> dict[str, Any]:
    return {
        "code": case.code,
        "centre": centre_code,
        "group": case.group,
        "status": case.status,
        "version": case.version,
        "completeness": case.completeness,
        "open_warnings": case.open_warnings,
        "created_at": to_json(case.created_at),
        "updated_at": to_json(case.updated_at),
    }


def case_json(actor: Actor, rows: CaseRows, centre_code: str) -> dict[str, Any]:
    """The whole case: its summary, its own fields, every section (identity only for the
    owning centre)."""
    case = rows.case
    out = case_summary(case, centre_code)
    out.update({name: to_json(getattr(case, name)) for name in writable_fields(Case)})
    if case.status == "withdrawn":
        out["withdrawn_reason"] = case.withdrawn_reason
    sections: dict[str, Any] = {}
    for name, model in SECTIONS.items():
        if model is Identity:
            continue
        if is_repeating(model):
            sections[name] = [row_json(r) for r in rows.many(model)]
        else:
            one = rows.one(model)
            sections[name] = row_json(one) if one is not None else None
    if access.may_see_identity(actor, case):
        identity = rows.one(Identity)
        out["identity"] = row_json(identity) if identity is not None else None
    out["sections"] = sections
    return out


def split_body(body: Any) -> tuple[dict[str, Any], str, dict[str, str]]:
    """(field data, reason, acknowledgements) of a write's JSON body."""
    if not isinstance(body, dict):
        raise TypeError
    data = {k: v for k, v in body.items() if k not in META_KEYS and k not in READ_ONLY_KEYS}
    reason = body.get("reason") or ""
    return data, str(reason), acknowledgements(body.get("acknowledge"))


def acknowledgements(value: Any) -> dict[str, str]:
    """`["code", …]` or `{"code": "comment"}` → {code: comment}."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return {str(k): "" for k in value}
    return {str(value): ""}
