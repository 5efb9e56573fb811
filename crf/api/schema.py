"""OpenAPI description of the API (drf-spectacular): the views speak JSON objects shaped
by `crf.api.sections`, described here once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

SECTION = OpenApiParameter(
    "section",
    str,
    OpenApiParameter.PATH,
    description="A section's name (see /api/v1/choices/): demographics, treatment, ngsvariant…",
)
CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The case code.")
ROW = OpenApiParameter("row_id", int, OpenApiParameter.PATH, description="The row's id.")
NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, description="A transition: submit, withdraw…"
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='The case version this write is based on: the ETag of the last read, e.g. "3".',
)
ERRORS = {
    400: OpenApiTypes.OBJECT,
    401: OpenApiTypes.OBJECT,
    403: OpenApiTypes.OBJECT,
    404: OpenApiTypes.OBJECT,
}
WRITE_ERRORS = {**ERRORS, 412: OpenApiTypes.OBJECT, 428: OpenApiTypes.OBJECT}


def doc(
    operation_id: str,
    summary: str,
    *,
    parameters: list[OpenApiParameter] | None = None,
    write: bool = False,
    body: bool = False,
    status: int = 200,
) -> Callable[[Any], Any]:
    responses: dict[int, Any] = {status: OpenApiTypes.OBJECT, **(WRITE_ERRORS if write else ERRORS)}
    if status == 204:
        responses[204] = None
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[*(parameters or []), *([IF_MATCH] if write else [])],
        request=OpenApiTypes.OBJECT if body else None,
        responses=responses,
    )


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "registry.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (API tokens page): Authorization: Bearer rgt_…",
        }
