"""The investigator's home panel: their centre's cases and what needs them (two queries)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest

from crf import access
from crf.codes import Status

SHOWN = 8


def investigator_panel(request: HttpRequest) -> dict[str, Any]:
    actor = access.actor_for(request.user)
    mine = access.cases_visible(actor).filter(centre_id__in=actor.centre_ids)
    counts = mine.aggregate(
        total=Count("pk"),
        drafts=Count("pk", filter=Q(status=Status.DRAFT)),
        queried=Count("pk", filter=Q(status=Status.QUERIED)),
        warned=Count("pk", filter=Q(open_warnings__gt=0) & ~Q(status__in=_closed())),
    )
    needs_you = mine.filter(
        Q(status=Status.QUERIED)
        | Q(status=Status.DRAFT)
        | (Q(open_warnings__gt=0) & ~Q(status__in=_closed()))
    ).order_by("-updated_at")[:SHOWN]
    return {"counts": counts, "needs_you": list(needs_you), "may_create": actor.writes}


def _closed() -> list[str]:
    return [Status.LOCKED, Status.WITHDRAWN]
