"""The CRF as pages: which sections a case has, their URL slugs, and how a row is named.

A *section page* shows one top-level model of the CRF (a one-per-case section such as
Demographics, or a repeating group such as Treatments). Rows hanging off another row (an
NGS variant off its test, a response off its treatment, a central review off its biopsy)
are shown and edited on their parent's section page. A row is always named by what a
person recognises (drug and start date, tissue and date), never by its database number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _

from crf.dates import precision_of, shown
from crf.models import (
    CRF_MODELS,
    AdverseEvent,
    Case,
    CentralReview,
    CutaneousLesion,
    EvolutionEvent,
    HaematologicalResponse,
    Identity,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    Treatment,
)
from crf.models.base import link_to_case, parent_model
from crf.rows import ONE_PER_CASE
from registry.i18n import field_choice

# What names a row, in order: the first fields that hold something. A date missing from
# the list is said ("date unknown"), so two rows of the same drug stay distinguishable.
ROW_NAME: dict[type[Model], tuple[str, ...]] = {
    Treatment: ("agent", "regimen", "started_on"),
    SkinBiopsy: ("site", "taken_on"),
    SledaiAssessment: ("context", "assessed_on"),
    NgsTest: ("tissue", "result", "sampled_on"),
    NgsVariant: ("gene", "hgvs_p", "hgvs_c", "vaf"),
    SerologyPanel: ("sampled_on",),
    CutaneousLesion: ("subtype",),
    EvolutionEvent: ("new_state", "occurred_on"),
    AdverseEvent: ("category", "occurred_on"),
    LupusResponse: ("recorded", "assessed_on"),
    HaematologicalResponse: ("category", "assessed_on"),
    CentralReview: ("diagnosis", "reviewed_on"),
}


@dataclass(frozen=True)
class Section:
    model: type[Model]

    @property
    def slug(self) -> str:
        return str(self.model._meta.model_name)

    @property
    def title(self) -> str:
        if self.model is Case:
            return _("0. Consent")
        return str(getattr(self.model, "crf_section", self.model._meta.verbose_name))

    @property
    def repeats(self) -> bool:
        return self.model not in ONE_PER_CASE and self.model not in (Case, Identity)

    @property
    def children(self) -> tuple[type[Model], ...]:
        """Models whose rows hang off this section's rows (shown on its page)."""
        return CHILDREN.get(self.model, ())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@cache
def _children() -> dict[type[Model], tuple[type[Model], ...]]:
    found: dict[type[Model], list[type[Model]]] = {}
    for model in CRF_MODELS:
        if model is Case:
            continue
        parent = parent_model(model)
        if parent is not Case:
            found.setdefault(parent, []).append(model)
    return {k: tuple(v) for k, v in found.items()}


CHILDREN = _children()

# Pages in CRF order: the case's consent, identity, then every model hanging off the case.
SECTIONS: tuple[Section, ...] = tuple(
    Section(m) for m in CRF_MODELS if m is Case or parent_model(m) is Case
)
BY_SLUG: dict[str, type[Model]] = {str(m._meta.model_name): m for m in CRF_MODELS}


def section_of(model: type[Model]) -> Section:
    """The section page a model's rows are shown on (a child's: its parent's)."""
    while model is not Case and parent_model(model) is not Case:
        model = parent_model(model)
    return Section(model)


def model_for(slug: str) -> type[Model]:
    model = BY_SLUG.get(slug)
    if model is None:
        raise Http404("No such section.")
    return model


def is_child(model: type[Model]) -> bool:
    return model is not Case and link_to_case(model) != "case"


def value_text(row: Model, name: str) -> str:
    """A field's value as a person reads it: the code's label, a partial date as entered,
    a number with its unit; "" when empty."""
    field = row._meta.get_field(name)
    value = getattr(row, field.attname, None)
    if value in (None, ""):
        return ""
    if getattr(field, "choices", None):  # memoised: a drug list's labels are many lazy texts
        return str(field_choice(type(row), name, value))
    if isinstance(value, date):
        return shown(value, precision_of(row, name))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.is_relation:
        target = getattr(row, name)
        return row_name(target) if target is not None else ""
    unit = getattr(field, "unit", "")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {unit}".strip()


def row_name(row: Model) -> str:
    """What a person recognises a row by: 'Azacitidine, first line, 2019-03'."""
    names = ROW_NAME.get(type(row), ())
    parts = [value_text(row, n) for n in names]
    text = ", ".join(p for p in parts if p)
    dated = [n for n in names if n.endswith(("_on", "_date"))]
    if dated and not any(value_text(row, n) for n in dated):
        text = ", ".join(p for p in (text, _("date unknown")) if p)
    return text or _capital(str(row._meta.verbose_name))
