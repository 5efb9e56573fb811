"""What every API view shares: who acts (user and token scope), the read token's limit,
the case version as ETag / If-Match, and every refusal as one JSON shape:

    {"detail": "...", "errors": [{"field": path, "rule": code, "message": ...}],
     "warnings": [...], "acknowledge": [codes to confirm]}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from crf import access
from crf.access import Actor, Scope
from crf.batch import BatchInvalid, Problem
from crf.services import EditConflict, SectionInvalid, WarningsToAcknowledge
from crf.validation import Finding
from registry.models import ApiToken, TokenScope

NOT_FOUND = {"detail": "Not found."}  # one body for missing and foreign alike
# A case read's summary keys: given back in a write, they are ignored, never written.
CASE_SUMMARY_KEYS = (
    "code", "centre", "group", "status", "version", "completeness", "open_warnings",
    "created_at", "updated_at", "sections", "identity", "withdrawn_reason",
)  # fmt: skip


# ---- who acts, and may they write ----


def actor_of(request: Request) -> Actor:
    token = request.auth if isinstance(request.auth, ApiToken) else None
    scope = Scope(token.scope) if token else Scope.SESSION
    return access.actor_for(request.user, scope)


class TokenScopeAllows(permissions.BasePermission):
    """A `read` token reads only: its writes answer 403 before anything is looked up."""

    message = gettext_lazy(
        "This token is scoped 'read': create a 'read_write' token to change data."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None or request.method in permissions.SAFE_METHODS:
            return True
        return token.scope == TokenScope.READ_WRITE


# ---- errors as HTTP answers ----


def problem_json(f: Finding | Problem, prefix: str = "") -> dict[str, Any]:
    path = f"{prefix}.{f.field}" if prefix and f.field else (f.field or prefix or None)
    return {"field": path, "rule": f.rule, "message": str(f.message)}


def invalid(exc: SectionInvalid, prefix: str) -> Response:
    findings = exc.findings
    if isinstance(exc, WarningsToAcknowledge):
        warnings = [problem_json(f, prefix) for f in findings]
        body = {
            "detail": _(
                "These values raise warnings: check them, then send their rule codes in "
                "'acknowledge' to save."
            ),
            "errors": [],
            "warnings": warnings,
            "acknowledge": sorted({f.rule for f in findings}),
        }
    else:
        body = {
            "detail": _("The data break the registry's rules: nothing was saved."),
            "errors": [problem_json(f, prefix) for f in findings if f.is_error],
            "warnings": [problem_json(f, prefix) for f in findings if not f.is_error],
        }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(request: Request) -> int:
    """The case version the client's data was based on, from `If-Match`."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired
    value = header.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise exceptions.ParseError(
            _('If-Match must be the case\'s ETag, e.g. "3", as the last read gave it.')
        )
    return int(value)


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy("Send the case's ETag in If-Match (read the case first).")


# ---- NUL characters: PostgreSQL cannot store them in text (nor JSON), so refuse them ----


def nul_at(value: Any, path: str = "") -> str | None:
    """The path of the first key or string holding a NUL character, if any."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            if found := nul_at(item, here):
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            if found := nul_at(item, f"{path}[{i}]"):
                return found
    return None


def refuse_nul(path: str) -> exceptions.ValidationError:
    # Django's own message ("Null characters are not allowed."), translated by Django.
    return exceptions.ValidationError({path: [str(ProhibitNullCharactersValidator.message)]})


class JSONWithoutNulParser(JSONParser):
    """JSON, refused (400, rule request.invalid) when a key or a string holds a NUL."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if (path := nul_at(data)) is not None:
            raise refuse_nul(path)
        return data


class ApiView(APIView):
    permission_classes = [permissions.IsAuthenticated, TokenScopeAllows]
    parser_classes = [JSONWithoutNulParser]  # one body format: anything else answers 415
    prefix = ""  # the field path's start in error answers (set per request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if (path := nul_at(dict(request.query_params.lists()))) is not None:
            raise refuse_nul(path.split("[")[0])

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Http404 | exceptions.NotFound):
            set_rollback()
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        if isinstance(exc, SectionInvalid):
            set_rollback()
            return invalid(exc, self.prefix)
        if isinstance(exc, BatchInvalid):
            set_rollback()
            return batch_invalid(exc, getattr(self, "paths", []))
        if isinstance(exc, EditConflict):
            set_rollback()
            return Response(
                {"detail": str(exc), "current_version": exc.current},
                status=status.HTTP_412_PRECONDITION_FAILED,
                headers={"ETag": etag(exc.current)},
            )
        if isinstance(exc, DjangoValidationError):  # the lifecycle's refusals
            set_rollback()
            if hasattr(exc, "error_dict"):
                errors = [
                    {"field": field, "rule": e.code, "message": str(m)}
                    for field, items in exc.error_dict.items()
                    for e in items
                    for m in e.messages
                ]
            else:
                errors = [
                    {"field": None, "rule": e.code, "message": m}
                    for e in exc.error_list
                    for m in e.messages
                ]
            return Response(
                {"detail": errors[0]["message"], "errors": errors, "warnings": []},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
            set_rollback()  # a malformed request: the same shape as the rules' refusals
            errors = [
                {"field": field, "rule": "request.invalid", "message": str(message)}
                for field, messages in exc.detail.items()
                for message in (messages if isinstance(messages, list) else [messages])
            ]
            return Response(
                {"detail": errors[0]["message"], "errors": errors, "warnings": []},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, PermissionDenied) and str(exc):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    def body(self, request: Request) -> dict[str, Any]:
        if not isinstance(request.data, dict):
            raise exceptions.ParseError(_("Send a JSON object."))
        return request.data


def _path(p: Problem, paths: list[str]) -> str | None:
    base = paths[p.index] if p.index < len(paths) else ""
    return f"{base}.{p.field}" if base and p.field else (p.field or base or None)


def batch_invalid(exc: BatchInvalid, paths: list[str]) -> Response:
    return Response(
        {
            "detail": _("The data break the registry's rules: nothing was saved."),
            "errors": [
                {"field": _path(p, paths), "rule": p.rule, "message": str(p.message)}
                for p in exc.problems
            ],
            "warnings": [],
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def warnings_to_confirm(warned: list[Problem], paths: list[str]) -> Response:
    return Response(
        {
            "detail": _(
                "These values raise warnings: check them, then send their rule codes in "
                "'acknowledge' to save."
            ),
            "errors": [],
            "warnings": [
                {"field": _path(p, paths), "rule": p.rule, "message": str(p.message)}
                for p in warned
            ],
            "acknowledge": sorted({p.rule for p in warned}),
        },
        status=status.HTTP_400_BAD_REQUEST,
    )
