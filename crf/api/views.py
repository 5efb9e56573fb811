"""The REST API (`/api/v1/`): thin views over the write contract and the access module.

Every write goes through `crf.services` (one row), `crf.batch` (a whole new case) or
`crf.lifecycle` (withdraw, submit…), with source `api`; every read through `crf.access`
and `crf.snapshot` (a whole case in one query). HTTP conventions:

- the case's version is the ETag of every answer about it; a write to an existing case
  needs `If-Match` (428 without it, 412 when stale: nothing written);
- 400 lists each problem with its field path, rule code and the message of
  `crf.validation`; warnings come back with their codes, to be confirmed by sending them
  in `acknowledge`; after submission a write needs a `reason`;
- another centre's case or row answers 404 exactly like a missing one; what a user may
  see but not change, 403; a `read` token's write, 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from crf import access, lifecycle, services, snapshot
from crf.access import Actor
from crf.api import sections as S
from crf.api.base import (
    CASE_SUMMARY_KEYS,
    ApiView,
    actor_of,
    etag,
    if_match,
    warnings_to_confirm,
)
from crf.api.schema import CODE, NAME, ROW, SECTION, doc
from crf.batch import Item, NewCase, batch_check, batch_save
from crf.codes import Group, Status
from crf.models import Case, Identity
from registry.audit import Source
from registry.models import Centre

# ---- cases ----


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def centre_codes(ids: set[int]) -> dict[int, str]:
    return dict(Centre.objects.filter(pk__in=ids).values_list("pk", "code"))


class CaseList(ApiView):
    """GET: the cases you may see (filters: status, group, centre, changed_since).
    POST: a new case, with its identity and any sections, in one atomic request."""

    @doc("cases_list", "The cases you may see (filters: status, group, centre, changed_since)")
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        cases = access.cases_visible(actor).select_related("centre").order_by("code")
        params = request.query_params
        if params.get("status"):
            cases = cases.filter(status=self._choice("status", params["status"], Status.values))
        if params.get("group"):
            cases = cases.filter(group=self._choice("group", params["group"], Group.values))
        if params.get("centre"):
            cases = cases.filter(centre__code=params["centre"])
        if params.get("changed_since"):
            since = parse_datetime(params["changed_since"]) or _date_start(params["changed_since"])
            if since is None:
                raise exceptions.ValidationError(
                    {"changed_since": _("Give an ISO date or date-time, e.g. 2026-01-31.")}
                )
            if timezone.is_naive(since):  # a date, or a time without offset: the registry's
                since = timezone.make_aware(since)
            cases = cases.filter(updated_at__gte=since)
        pages = Pages()
        page = pages.paginate_queryset(cases, request, view=self) or []
        return pages.get_paginated_response([S.case_summary(c, c.centre.code) for c in page])

    @staticmethod
    def _choice(name: str, value: str, allowed: list[str]) -> str:
        if value not in allowed:
            raise exceptions.ValidationError(
                {name: _("Choose one of: {codes}.").format(codes=", ".join(allowed))}
            )
        return value

    @doc(
        "case_create",
        "Create a case, with its identity and sections, atomically",
        body=True,
        status=201,
    )
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        body = self.body(request)
        centre_id = self._centre(actor, body.get("centre"))
        case_data = {
            k: v
            for k, v in body.items()
            if k not in ("centre", "group", "identity", "sections")
            and k not in S.META_KEYS
            and k not in S.READ_ONLY_KEYS
            and k not in CASE_SUMMARY_KEYS
        }
        new = NewCase(centre_id=centre_id, group=str(body.get("group") or ""), data=case_data)
        if new.group not in Group.values:
            raise exceptions.ValidationError({"group": _("Group must be 'case' or 'control'.")})
        acknowledged = frozenset(S.acknowledgements(body.get("acknowledge")))
        items: list[Item] = []
        self.paths: list[str] = []
        if body.get("identity") is not None:
            self._add(items, new, Identity, body["identity"], "identity", None, acknowledged)
        sections = body.get("sections")
        sections = {} if sections is None else sections
        if not isinstance(sections, dict):
            raise exceptions.ValidationError({"sections": _("Give an object: section → rows.")})
        for name, value in sections.items():
            model = S.SECTIONS.get(name)
            if model is None or model is Identity or S.parent_link(model):
                raise exceptions.ValidationError(
                    {f"sections.{name}": _("Not a section of a case: see /api/v1/choices/.")}
                )
            self._add_section(items, new, model, value, f"sections.{name}", None, acknowledged)
        self._resolve_refs(items)
        if items:
            # Errors first (BatchInvalid), then the warnings still to confirm: the batch
            # would report an unconfirmed warning as an error without saying it is one.
            warned = batch_check(actor=actor, items=items, acknowledge_all=True)
            unconfirmed = [w for w in warned if w.rule not in acknowledged]
            if unconfirmed:
                return warnings_to_confirm(unconfirmed, self.paths)
            result = batch_save(actor=actor, items=items, source=Source.API)
            case = result.cases[0].case
        else:  # the case alone: the service that creates a case
            case = services.case_create(
                actor=actor,
                centre_id=centre_id,
                group=new.group,
                data=case_data,
                acknowledged=acknowledged,
                source=Source.API,
            )
        return _case_response(actor, case.code, status.HTTP_201_CREATED)

    def _centre(self, actor: Actor, code: Any) -> int:
        if code in (None, ""):
            if len(actor.centre_ids) == 1:
                return next(iter(actor.centre_ids))
            raise exceptions.ValidationError({"centre": _("Give the centre's code.")})
        centre = Centre.objects.filter(code=str(code), pk__in=actor.centre_ids).first()
        if centre is None:
            raise exceptions.PermissionDenied(
                _("Only an investigator of this centre can create its cases.")
            )
        return centre.pk

    def _add_section(self, items, new, model, value, path, parent, acknowledged) -> None:
        if S.is_repeating(model) and not (parent and S.one_per_parent(model)):
            if not isinstance(value, list):
                raise exceptions.ValidationError({path: _("Give a list of rows.")})
            for i, row in enumerate(value):
                self._add(items, new, model, row, f"{path}[{i}]", parent, acknowledged)
        else:
            self._add(items, new, model, value, path, parent, acknowledged)

    def _add(self, items, new, model, value, path, parent, acknowledged) -> None:
        if not isinstance(value, dict):
            raise exceptions.ValidationError({path: _("Give an object of field values.")})
        nested = {c: value.get(S.section_name(c)) for c in S.children(model)}
        data = {
            k: v
            for k, v in value.items()
            if k not in S.READ_ONLY_KEYS and k not in {S.section_name(c) for c in nested}
        }
        item = Item(case=new, model=model, data=data, parent=parent, acknowledged=acknowledged)
        items.append(item)
        self.paths.append(path)
        for child, rows in nested.items():
            if rows is not None:
                self._add_section(
                    items, new, child, rows, f"{path}.{S.section_name(child)}", item, acknowledged
                )

    def _resolve_refs(self, items: list[Item]) -> None:
        """A link to another row of this request, `{"ref": "sections.treatment[0]"}`,
        becomes that row's item (the batch writes the rows in link order)."""
        by_path = dict(zip(self.paths, items, strict=True))
        for path, item in zip(self.paths, items, strict=True):
            data = dict(item.data)
            for name, value in item.data.items():
                if isinstance(value, dict) and set(value) == {"ref"}:
                    target = by_path.get(str(value["ref"]))
                    field = services.writable_fields(item.model).get(name)
                    if (
                        target is None
                        or field is None
                        or not field.is_relation
                        or field.related_model is not target.model
                    ):
                        raise exceptions.ValidationError(
                            {
                                f"{path}.{name}": _(
                                    "Give the path of a row of this request it may point at, "
                                    "e.g. 'sections.treatment[0]'."
                                )
                            }
                        )
                    data[name] = target
            item.data = data


def _date_start(text: str) -> Any:
    from datetime import datetime, time

    day = parse_date(text) if text else None
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


def _load(actor: Actor, code: str):
    case = access.case_for(actor, code)
    return snapshot.load_one(case)


def _case_response(actor: Actor, code: str, status_code: int = 200) -> Response:
    rows = _load(actor, code)
    body = S.case_json(actor, rows, rows.case.centre.code)
    return Response(body, status=status_code, headers={"ETag": etag(rows.case.version)})


class CaseDetail(ApiView):
    """GET: the whole case, every section. PATCH/PUT: the case's own fields (consent)."""

    @doc("case_read", "The whole case: every section and repeating group", parameters=[CODE])
    def get(self, request: Request, code: str) -> Response:
        return _case_response(actor_of(request), code)

    @doc(
        "case_update",
        "Change the case's own fields (consent)",
        parameters=[CODE],
        write=True,
        body=True,
    )
    def patch(self, request: Request, code: str) -> Response:
        actor = actor_of(request)
        data, reason, acks = S.split_body(self.body(request))
        case = access.case_for(actor, code)
        current = S.case_summary(case, case.centre.code)
        for key in CASE_SUMMARY_KEYS:  # sent back unchanged from a read: not written
            if key in data and (key not in current or data[key] == current[key]):
                data.pop(key)
        services.section_save(
            actor=actor,
            case=code,
            model=Case,
            data=data,
            based_on=if_match(request),
            reason=reason,
            acknowledged=acks,
            source=Source.API,
        )
        return _case_response(actor, code)


class CaseTransition(ApiView):
    """POST: move the case through a lifecycle transition (withdraw, submit…), with a reason
    where one is needed."""

    @doc(
        "case_transition",
        "Withdraw, submit… the case",
        parameters=[CODE, NAME],
        write=True,
        body=True,
    )
    def post(self, request: Request, code: str, name: str) -> Response:
        if name not in lifecycle.TRANSITIONS:
            raise Http404
        actor = actor_of(request)
        body = self.body(request)
        lifecycle.case_transition(
            actor=actor,
            case=code,
            name=name,
            based_on=if_match(request),
            reason=str(body.get("reason") or ""),
            source=Source.API,
        )
        return _case_response(actor, code)


# ---- sections and repeating groups ----


def _row(rows, model: type[Model], row_id: int | None) -> Model:
    if row_id is None:
        found = rows.one(model)
    else:
        found = next((r for r in rows.many(model) if r.pk == row_id), None)
    if found is None:
        raise Http404
    return found


def _visible_section(actor: Actor, rows, model: type[Model]) -> None:
    if model is Identity and not access.may_see_identity(actor, rows.case):
        raise Http404


class SectionView(ApiView):
    """A section of a case. One-per-case sections (demographics…): GET, PUT/PATCH (create
    or change), DELETE. Repeating groups: GET (the rows), POST (a new row; a nested row
    names its parent, e.g. `"test": 7`)."""

    @doc("section_read", "A section, or a repeating group's rows", parameters=[CODE, SECTION])
    def get(self, request: Request, code: str, section: str) -> Response:
        actor = actor_of(request)
        model = S.section_model(section)
        rows = _load(actor, code)
        _visible_section(actor, rows, model)
        if S.is_repeating(model):
            body: Any = [S.row_json(r) for r in rows.many(model)]
        else:
            body = S.row_json(_row(rows, model, None))
        return Response(body, headers={"ETag": etag(rows.case.version)})

    @doc(
        "section_create",
        "Add a row to a repeating group (or fill a section)",
        parameters=[CODE, SECTION],
        write=True,
        body=True,
        status=201,
    )
    def post(self, request: Request, code: str, section: str) -> Response:
        model = S.section_model(section)
        if not S.is_repeating(model):
            return self.put(request, code, section)
        return _write(self, request, code, model, None, status.HTTP_201_CREATED)

    @doc(
        "section_write",
        "Fill or change a one-per-case section",
        parameters=[CODE, SECTION],
        write=True,
        body=True,
    )
    def put(self, request: Request, code: str, section: str) -> Response:
        model = S.section_model(section)
        if S.is_repeating(model):
            raise exceptions.MethodNotAllowed(request.method or "")
        return _write(self, request, code, model, None, status.HTTP_200_OK)

    @doc(
        "section_patch",
        "Change some fields of a one-per-case section",
        parameters=[CODE, SECTION],
        write=True,
        body=True,
    )
    def patch(self, request: Request, code: str, section: str) -> Response:
        return self.put(request, code, section)

    @doc(
        "section_delete",
        "Delete a one-per-case section",
        parameters=[CODE, SECTION],
        write=True,
        status=204,
    )
    def delete(self, request: Request, code: str, section: str) -> Response:
        model = S.section_model(section)
        if S.is_repeating(model):
            raise exceptions.MethodNotAllowed(request.method or "")
        return _delete(self, request, code, model, None)


class RowView(ApiView):
    """One row of a repeating group: GET, PUT/PATCH, DELETE."""

    @doc("row_read", "One row of a repeating group", parameters=[CODE, SECTION, ROW])
    def get(self, request: Request, code: str, section: str, row_id: int) -> Response:
        actor = actor_of(request)
        model = S.section_model(section)
        if not S.is_repeating(model):
            raise Http404
        rows = _load(actor, code)
        return Response(
            S.row_json(_row(rows, model, row_id)), headers={"ETag": etag(rows.case.version)}
        )

    @doc(
        "row_write",
        "Change a row of a repeating group",
        parameters=[CODE, SECTION, ROW],
        write=True,
        body=True,
    )
    def put(self, request: Request, code: str, section: str, row_id: int) -> Response:
        model = S.section_model(section)
        if not S.is_repeating(model):
            raise Http404
        return _write(self, request, code, model, row_id, status.HTTP_200_OK)

    @doc(
        "row_patch",
        "Change some fields of a row",
        parameters=[CODE, SECTION, ROW],
        write=True,
        body=True,
    )
    def patch(self, request: Request, code: str, section: str, row_id: int) -> Response:
        return self.put(request, code, section, row_id)

    @doc(
        "row_delete",
        "Delete a row of a repeating group",
        parameters=[CODE, SECTION, ROW],
        write=True,
        status=204,
    )
    def delete(self, request: Request, code: str, section: str, row_id: int) -> Response:
        model = S.section_model(section)
        if not S.is_repeating(model):
            raise Http404
        return _delete(self, request, code, model, row_id)


def _write(view: ApiView, request: Request, code: str, model, row_id, status_code) -> Response:
    actor = actor_of(request)
    view.prefix = S.section_name(model)
    data, reason, acks = S.split_body(view.body(request))
    parent_id = None
    link = S.parent_link(model)
    if link and link in data:
        parent_id = data.pop(link)
        if not isinstance(parent_id, int):
            raise exceptions.ValidationError(
                {f"{view.prefix}.{link}": _("Give the id of the parent row (a number).")}
            )
    based_on = if_match(request)
    if model is Identity:
        case = access.case_for(actor, code)
        if not access.may_see_identity(actor, case):
            raise Http404
    row = services.section_save(
        actor=actor,
        case=code,
        model=model,
        data=data,
        based_on=based_on,
        row_id=row_id,
        parent_id=parent_id,
        reason=reason,
        acknowledged=acks,
        source=Source.API,
    )
    # The answer: the row as stored (the database's rounding and defaults) and the case's new
    # version, read back by two small queries rather than the whole case again.
    case = access.case_for(actor, code)
    body = S.row_json(model._default_manager.get(pk=row.pk))
    body["warnings_acknowledged"] = sorted(acks)
    return Response(body, status=status_code, headers={"ETag": etag(case.version)})


def _delete(view: ApiView, request: Request, code: str, model, row_id) -> Response:
    actor = actor_of(request)
    view.prefix = S.section_name(model)
    reason = ""
    if isinstance(request.data, dict):
        reason = str(request.data.get("reason") or "")
    reason = reason or request.query_params.get("reason", "")
    based_on = if_match(request)
    if model is Identity:
        if not access.may_see_identity(actor, access.case_for(actor, code)):
            raise Http404
        raise exceptions.PermissionDenied(_("Identity is changed, never deleted."))
    services.section_delete(
        actor=actor,
        case=code,
        model=model,
        row_id=row_id,
        based_on=based_on,
        reason=reason,
        source=Source.API,
    )
    version = access.case_for(actor, code).version
    return Response(status=status.HTTP_204_NO_CONTENT, headers={"ETag": etag(version)})


class Choices(ApiView):
    """The code lists and sections, and the centres and statuses you may filter on."""

    @doc("choices", "Sections, fields, code lists, and what you may filter on")
    def get(self, request: Request) -> Response:
        actor = actor_of(request)
        centre_ids = set(
            access.cases_visible(actor).values_list("centre_id", flat=True).distinct()
        ) | set(actor.centre_ids)
        sections = {}
        for name, model in S.SECTIONS.items():
            if model is Identity and not actor.centre_ids:
                continue
            sections[name] = {
                "repeating": S.is_repeating(model),
                "parent": S.parent_link(model),
                "fields": {
                    fname: {
                        "label": str(f.verbose_name),
                        "choices": [c for c, _label in f.flatchoices] if f.choices else None,
                    }
                    for fname, f in services.writable_fields(model).items()
                },
                "computed": S.computed_fields(model),
            }
        return Response(
            {
                "statuses": list(Status.values),
                "groups": list(Group.values),
                "centres": sorted(centre_codes(centre_ids).values()),
                "transitions": list(lifecycle.TRANSITIONS),
                "sections": sections,
            }
        )
