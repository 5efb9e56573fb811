"""The case list's query: search, filters, sorting, one page at a time.

One query for the page (plus Django's count for the paginator), whatever the number of
cases: every cell comes from the case row itself (completeness and outstanding warnings are
stored on it by the write services), its centre (joined) and the columns the layers above
register (`crf.extensions.CaseColumn`, each a subquery annotation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from crf import access
from crf.access import Actor
from crf.codes import Group, Status
from crf.extensions import CASE_COLUMNS
from crf.models import Case
from registry.addresses import address_of

PAGE_SIZE = 25

SORTS = {
    "code": ("code",),
    "-updated": ("-updated_at", "code"),
    "updated": ("updated_at", "code"),
    "completeness": ("completeness", "code"),
    "-completeness": ("-completeness", "code"),
    "-warnings": ("-open_warnings", "code"),
    "status": ("status", "code"),
}
SORT_LABELS = [
    ("-updated", _("Last change, newest first")),
    ("updated", _("Last change, oldest first")),
    ("code", _("Code")),
    ("completeness", _("Completeness, lowest first")),
    ("-completeness", _("Completeness, highest first")),
    ("-warnings", _("Outstanding warnings, most first")),
    ("status", _("Status")),
]


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    status: str = ""
    group: str = ""
    warnings: bool = False
    incomplete: bool = False
    sort: str = "-updated"

    @classmethod
    def from_request(cls, params: QueryDict) -> ListQuery:
        status = params.get("status", "")
        group = params.get("group", "")
        sort = params.get("sort", "-updated")
        return cls(
            search=params.get("q", "").strip()[:50],
            status=status if status in Status.values else "",
            group=group if group in Group.values else "",
            warnings=params.get("warnings") == "1",
            incomplete=params.get("incomplete") == "1",
            sort=sort if sort in SORTS else "-updated",
        )

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.status or self.group or self.warnings or self.incomplete)

    def as_query_string(self) -> str:
        """The filters of this list (without the page), for links that keep them."""
        params = {
            "q": self.search,
            "status": self.status,
            "group": self.group,
            "warnings": "1" if self.warnings else "",
            "incomplete": "1" if self.incomplete else "",
            "sort": self.sort,
        }
        return urlencode({k: v for k, v in params.items() if v})


def cases_for(actor: Actor, query: ListQuery) -> QuerySet[Case]:
    cases = access.cases_visible(actor).select_related("centre")
    if query.search:
        found = Q(code__icontains=query.search)
        if actor.centre_ids:  # the local identifier: the owning centre's own cases only
            found |= Q(
                identity__local_identifier__iexact=query.search,
                centre_id__in=actor.centre_ids,
            )
        cases = cases.filter(found)
    if query.status:
        cases = cases.filter(status=query.status)
    if query.group:
        cases = cases.filter(group=query.group)
    if query.warnings:
        cases = cases.filter(open_warnings__gt=0)
    if query.incomplete:
        cases = cases.filter(completeness__lt=100)
    for column in CASE_COLUMNS:
        cases = column.annotate(cases, actor)
    return cases.order_by(*SORTS[query.sort])


@dataclass(frozen=True)
class Listed:
    """A row of the list: the case, its overview's address, the registered columns' cells."""

    case: Case
    url: str
    cells: list[Any]


def listed(cases: list[Case]) -> list[Listed]:
    """The page's rows, each with its case's address (one `reverse` for the page)."""
    address = address_of("crf:case_detail")
    return [
        Listed(case, address(case.code), [column.cell(case) for column in CASE_COLUMNS])
        for case in cases
    ]
