"""registry.bulk: one statement, one parameter, for many rows or many values."""

import pytest
from django.db.models import F

from crf.models import Case, Identity
from registry.bulk import AnyOf
from tests.factories import CaseFactory, IdentityFactory

pytestmark = pytest.mark.django_db


def test_any_of_selects_what_in_selects_with_one_parameter(centre_a, django_assert_num_queries):
    cases = [CaseFactory(centre=centre_a) for _ in range(4)]
    for n, case in enumerate(cases):
        IdentityFactory(case=case, local_identifier=f"IPP-{n}")
    codes = [cases[0].code, cases[2].code, "LE-NOSUCH"]
    by_any = Case.objects.filter(AnyOf(F("code"), codes))
    assert sorted(by_any.values_list("pk", flat=True)) == sorted(
        Case.objects.filter(code__in=codes).values_list("pk", flat=True)
    ) == sorted([cases[0].pk, cases[2].pk])  # fmt: skip
    # Through a relation, and on integers.
    ids = [cases[1].pk, cases[3].pk]
    assert set(Identity.objects.filter(AnyOf(F("case"), ids)).values_list("local_identifier",
               flat=True)) == {"IPP-1", "IPP-3"}  # fmt: skip
    assert not Case.objects.filter(AnyOf(F("code"), [])).exists()
    sql, params = by_any.query.sql_with_params()
    assert "= ANY(" in sql and params == (codes,)


def test_the_collector_is_paused_for_the_block_and_resumed_after_it_even_on_error():
    import gc

    from registry.gcpause import collector_paused

    assert gc.isenabled()
    with pytest.raises(ValueError):
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested: the inner pause leaves it off
                pass
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()


def test_update_rows_writes_what_the_rows_hold_infinity_included(centre_a):
    from crf.models import Demographics
    from registry.bulk import update_rows

    case = CaseFactory(centre=centre_a)
    demo = Demographics.objects.create(case=case, sex="male")
    demo.followup_years, demo.rule_version = float("inf"), 'l\'"avant" ; \\ é'
    assert update_rows(Demographics, [demo], ["followup_years", "rule_version"]) == 1
    demo.refresh_from_db()
    assert (demo.followup_years, demo.rule_version) == (float("inf"), 'l\'"avant" ; \\ é')
