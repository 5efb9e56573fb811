"""The case list's default page is read in index order (crf.models.case's list indexes).

At 100,000 cases a page sorted out of every visible case cost a coordinator 105 ms of
PostgreSQL and an investigator 15 ms; read in index order, about 1 ms. The planner would
sort a test's few rows anyway, so sorting is made dearer than any index read here: without
the index the plan keeps its Sort, with it the page is read in order.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from crf import access
from crf.case_list import PAGE_SIZE, ListQuery, cases_for
from registry.models import Role
from tests.factories import CaseFactory, CentreFactory, user_with_role

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset[PAGE_SIZE : 2 * PAGE_SIZE].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute("RESET enable_sort")
    return plan


@pytest.mark.parametrize(
    ("role", "index"),
    [(Role.INVESTIGATOR, "case_centre_updated"), (Role.COORDINATOR, "case_updated")],
)
def test_the_default_page_is_read_in_index_order(role, index):
    centre = CentreFactory()
    for _ in range(3):
        CaseFactory(centre=centre)
    actor = access.actor_for(user_with_role(role, centre))
    query = ListQuery.from_request(QueryDict(""))
    assert query.sort == "-updated"

    plan = _plan(cases_for(actor, query))

    assert index in plan, plan
    assert "Sort" not in plan, plan
