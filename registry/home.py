"""The home page's panels: each app registers what it shows a role, from its
`AppConfig.ready()` (registry knows nothing of the CRF; the CRF and the coordinators' apps
register their panels: "your cases", "queries to answer", "cases to review"...).

A panel is a template included in the role's area of the home page, with the context its
`context(request)` returns. A role without a registered panel shows its placeholder area
(registry/templates/registry/home/<role>.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from registry.models import Role
from registry.roles import roles_of


@dataclass(frozen=True)
class Panel:
    role: str
    template: str
    context: Callable[[HttpRequest], dict[str, Any]] = field(default=lambda request: {})
    order: int = 50


_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)
        _PANELS.sort(key=lambda p: p.order)


@dataclass(frozen=True)
class Area:
    """One role's area of the home page, with its panels and their contexts."""

    role: str
    panels: list[tuple[Panel, dict[str, Any]]]

    @property
    def template(self) -> str:
        return f"registry/home/{self.role}.html"


def areas_for(request: HttpRequest) -> list[Area]:
    """The areas of the user's home page, in the order of `Role` (one per role held)."""
    held = roles_of(request.user)
    return [
        Area(role.value, [(p, p.context(request)) for p in _PANELS if p.role == role])
        for role in Role
        if role in held
    ]
