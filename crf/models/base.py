"""What every section row shares: its case, and where the derived values came from."""

from __future__ import annotations

from functools import cache, reduce
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from .fields import CLINICAL, QUASI_IDENTIFIER, classify

Model = models.Model


def field(model: type[Model], name: str) -> models.Field[Any, Any]:
    """A concrete field of a model (typed: `_meta.get_field` may also answer a relation)."""
    return cast(models.Field, model._meta.get_field(name))


def related(model: type[Model], name: str) -> type[Model]:
    """The model a foreign key or one-to-one field of `model` points at."""
    return cast(type[Model], field(model, name).related_model)


def manager(model: type[Model]) -> models.Manager[Any]:
    return model._default_manager


@cache
def _defaults(model: type[Model]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """A model's field defaults: constants, and callables (called per row: a case code, a
    JSON dict) that must not be shared."""
    constant: dict[str, Any] = {}
    per_row = []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            per_row.append((f.attname, f.default))
        else:
            constant[f.attname] = f.get_default()
    return constant, tuple(per_row)


def new_row(model: type[Model], **links: Model) -> Model:
    """A new, unsaved row with its defaults and the given links: what `model(**links)`
    makes, without Model.__init__'s per-field work (the batch path builds thousands)."""
    row = model.__new__(model)
    row._state = models.base.ModelState()
    constant, per_row = _defaults(model)
    row.__dict__.update(constant)
    for attname, make in per_row:
        row.__dict__[attname] = make()
    for name, target in links.items():
        setattr(row, name, target)
    return row


def link_to_case(model: type[models.Model]) -> str | None:
    """The field tying a row to its case (`case`, or a parent: variant → `test`), else None."""
    return getattr(model, "case_link", None)


def parent_model(model: type[Model]) -> type[Model]:
    """The model of the row a CRF row hangs off (Case, or its parent row's model)."""
    link = link_to_case(model)
    assert link is not None, model
    return related(model, link)


def path_to_case(model: type[models.Model]) -> tuple[str, ...]:
    """Relation names from a CRF model to its case: () for Case, ("case",), ("test", "case").

    Each model names its link in `case_link`; access scoping, validation, audit trails and
    services all follow this one declaration.
    """
    link = link_to_case(model)
    if link is None:
        return ()
    return (link, *path_to_case(related(model, link)))


def case_lookup(model: type[models.Model]) -> str:
    """The ORM lookup from `model` to its case's primary key: "case", "test__case", "pk"."""
    return "__".join(path_to_case(model)) or "pk"


def case_of(instance: models.Model) -> Any:
    """The case a row belongs to, or None while its link is not set yet."""
    try:
        return reduce(getattr, path_to_case(type(instance)), instance)
    except ObjectDoesNotExist:
        return None


class SectionOfCase(models.Model):
    """A one-per-case section (1:1 with Case)."""

    # The case's internal id, also in URLs and audit: exported only under the key rules.
    case_link = "case"
    case = classify(
        models.OneToOneField("crf.Case", on_delete=models.CASCADE, related_name="%(class)s"),
        QUASI_IDENTIFIER,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} of {self.case.code}"


class RowOfCase(models.Model):
    """A repeating row of a case (N:1)."""

    case_link = "case"
    case = classify(
        models.ForeignKey("crf.Case", on_delete=models.CASCADE, related_name="%(class)s_set"),
        QUASI_IDENTIFIER,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} of {self.case.code}"


def rule_version_field() -> models.CharField:
    """The rule version(s) the derived values on this row were computed with."""
    # Written by the registry, never typed: not free text.
    return classify(models.CharField(max_length=200, blank=True, editable=False), CLINICAL)
