"""The coordinators' dashboard across centres, and the same numbers as CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cohorts import charts
from cohorts import dashboard as numbers
from cohorts.eligibility import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, VERDICT_LABELS
from cohorts.views.common import actor_of, require
from crf import access
from crf.codes import Group

TOP_FIELDS = 15  # fields shown in the missing-data table (the CSV has them all)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    require(access.may_coordinate(actor_of(request)))
    board = numbers.build()
    verdicts = [ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, numbers.NOT_EVALUATED]
    verdict_labels = [str(VERDICT_LABELS.get(v, _("Not evaluated yet"))) for v in verdicts]
    groups = [(Group.CASE, str(Group.CASE.label)), (Group.CONTROL, str(Group.CONTROL.label))]
    status_labels = [label for _code, label in board.statuses]
    chart_groups = [(Group.CASE, _("Cases")), (Group.CONTROL, _("Controls"))]
    missing_rows = sorted(
        board.missing.items(), key=lambda item: (-sum(item[1].values()), item[0])
    )[:TOP_FIELDS]
    unknown_rows = sorted(
        board.unknown.items(), key=lambda item: (-sum(item[1].values()), item[0])
    )[:TOP_FIELDS]
    context = {
        "board": board,
        "status_rows": [
            (c, [board.by_centre_status[c][s] for s, _l in board.statuses]) for c in board.centres
        ],
        "status_labels": status_labels,
        "status_chart": charts.stacked(
            _("Cases by centre and status"),
            [
                (c, [board.by_centre_status[c][s] for s, _l in board.statuses])
                for c in board.centres
            ],
            status_labels,
        ),
        "eligibility_rows": [
            (label, [board.eligibility[g][v] for v in verdicts]) for g, label in groups
        ],
        "verdict_labels": verdict_labels,
        "eligibility_chart": charts.stacked(
            _("Eligibility by group"),
            [(short, [board.eligibility[g][v] for v in verdicts]) for g, short in chart_groups],
            verdict_labels,
        ),
        "adjudications": sorted(board.adjudications.items()),
        "ages_chart": charts.simple(
            _("Open queries by age"), [(label, n) for _k, label, n in board.query_ages]
        ),
        "missing_chart": charts.stacked(
            _("Required answers missing or unknown, per centre"),
            [(c, [board.missing_by_centre[c], board.unknown_by_centre[c]]) for c in board.centres],
            [_("Missing"), _("Unknown")],
        ),
        # Counters as sorted pairs: a template's `.items` on a Counter reads the key "items".
        "missing_rows": [
            (numbers.field_label(key), key, sum(per.values()), sorted(per.items()))
            for key, per in missing_rows
        ],
        "unknown_rows": [
            (numbers.field_label(key), key, sum(per.values()), sorted(per.items()))
            for key, per in unknown_rows
        ],
    }
    return render(request, "cohorts/dashboard.html", context)


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    require(access.may_coordinate(actor_of(request)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="registry-dashboard.csv"'
    csv.writer(response).writerows(numbers.csv_rows(numbers.build()))
    return response
