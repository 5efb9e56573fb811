"""Centre isolation on the case pages, role by role, and the selectors of crf.access.

Fixture world: case A (centre alpha) has a skin biopsy, case B (centre beta) has none; both
have an identity. A record the user may not see must answer exactly like a missing one.
"""

from __future__ import annotations

import re

import pytest
from django.http import Http404
from django.urls import reverse

from crf import access
from crf.access import Scope, actor_for
from crf.models import Case, CentralReview, Demographics, Identity, Status
from registry.models import Membership, Role
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    SkinBiopsyFactory,
    UserFactory,
    user_with_role,
)


def cases_visible_to(user, scope=Scope.SESSION):
    return access.cases_visible(actor_for(user, scope))


def identities_visible_to(user, scope=Scope.SESSION):
    return access.identities_visible(actor_for(user, scope))


def can_edit_case(user, case, model=Demographics, scope=Scope.SESSION):
    return access.may_write(actor_for(user, scope), case, model)


# Which of the two cases each role sees, and whose identity it reads.
SEES = {
    "investigator_a": {"a"},
    "investigator_b": {"b"},
    "coordinator": {"a", "b"},
    "central_reviewer": {"a"},  # only case A has a skin biopsy
    "statistician": set(),
    "registry_admin": {"a", "b"},
}
READS_IDENTITY = {"investigator_a": {"a"}, "investigator_b": {"b"}}
ROLES = [*SEES, "anonymous"]
MISSING_CODE = "LE-ZZZZZZZ"  # well formed, never issued in these tests


@pytest.fixture
def cases(case_a, case_b) -> dict[str, Case]:
    SkinBiopsyFactory(case=case_a)
    return {"a": case_a, "b": case_b}


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def web(client, role, request):
    """The test client, logged in as `role` (or not at all)."""
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def detail_url(code: str) -> str:
    return reverse("crf:case_detail", args=[code])


def identity_leaks(html: str, identity: Identity) -> list[str]:
    """Which direct identifiers of `identity` appear in `html`, in any usual rendering."""
    dob = identity.date_of_birth
    renderings = {
        identity.local_identifier,
        dob.isoformat(),
        dob.strftime("%d/%m/%Y"),
        f"{dob.day} {dob:%B %Y}",
        f"{dob:%B} {dob.day}, {dob.year}",
    }
    found = [text for text in renderings if text in html]
    # Initials are two letters: only as a whole word (a case code may contain them).
    if re.search(rf"\b{identity.initials}\b", html):
        found.append(identity.initials)
    return found


# ---- pages ----


def test_case_list_shows_exactly_the_visible_codes(web, role, cases):
    response = web.get(reverse("crf:case_list"))

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    assert response.status_code == 200
    html = response.content.decode()
    for key, case in cases.items():
        assert (case.code in html) == (key in SEES[role]), (role, key)
        assert identity_leaks(html, case.identity) == []


@pytest.mark.parametrize("key", ["a", "b"])
def test_case_detail_is_200_or_an_indistinguishable_404(web, role, cases, key):
    case = cases[key]
    response = web.get(detail_url(case.code))
    missing = web.get(detail_url(MISSING_CODE))

    if role == "anonymous":  # login first, whether the case exists or not
        assert response.status_code == missing.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    assert response.status_code != 403
    if key in SEES[role]:
        assert response.status_code == 200
        assert case.code in response.content.decode()
    else:
        assert (response.status_code, response.content) == (missing.status_code, missing.content)
        assert response.status_code == 404


@pytest.mark.parametrize("role", list(SEES))  # every logged-in role
def test_identity_only_for_the_owning_investigator(web, role, cases):
    for key in sorted(SEES[role]):  # invisible cases: see the 404 test
        html = web.get(detail_url(cases[key].code)).content.decode()
        identity = cases[key].identity

        if key in READS_IDENTITY.get(role, ()):
            assert 'aria-label="Identity"' in html
            assert sorted(identity_leaks(html, identity)) == sorted(
                [identity.local_identifier, identity.initials, identity.date_of_birth.isoformat()]
            )
        else:
            assert 'aria-label="Identity"' not in html
            assert identity_leaks(html, identity) == []


def test_central_reviewer_sees_biopsied_cases_of_any_centre_only(
    client, central_reviewer, cases, centre_a, centre_b
):
    biopsied_b = CaseFactory(centre=centre_b)
    SkinBiopsyFactory(case=biopsied_b)
    unbiopsied_a = CaseFactory(centre=centre_a)
    client.force_login(central_reviewer)

    html = client.get(reverse("crf:case_list")).content.decode()

    shown = set(re.findall(r"LE-[2-9A-HJKMNP-Z]{7}", html))
    assert shown == {cases["a"].code, biopsied_b.code}
    assert client.get(detail_url(unbiopsied_a.code)).status_code == 404


@pytest.mark.parametrize(
    "code",
    [
        "x",
        "le-zzzzzzz",
        "LE-0000000",  # 0 is not in the alphabet
        "' OR 1=1 --",
        "%00",
        "%2e%2e",
        "%FF",  # not UTF-8
        "LÉ-ÀÀÀÀÀÀÀ",
        "L" * 3000,
        "1",
    ],
)
def test_malformed_codes_answer_404(client, coordinator, cases, code):
    client.force_login(coordinator)

    response = client.get(f"/cases/{code}/")

    assert response.status_code == 404


def test_lowercased_code_of_a_visible_case_is_not_found(client, coordinator, cases):
    client.force_login(coordinator)
    assert client.get(detail_url(cases["a"].code.lower())).status_code == 404


def test_case_list_query_count_does_not_grow_with_cases(
    client, coordinator, centre_a, django_assert_max_num_queries
):
    cases = [DemographicsFactory(case=CaseFactory(centre=centre_a)).case for _ in range(15)]
    client.force_login(coordinator)
    client.get(reverse("crf:case_list"))  # the first request stamps the session (idle timeout)

    # Session, user, memberships, audit context x2, the paginator's count, one page of
    # cases with their centre (crf/case_list.py).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("crf:case_list"))

    assert response.status_code == 200
    assert all(case.code in response.content.decode() for case in cases)


def test_statistician_home_lists_no_record(client, statistician, cases):
    client.force_login(statistician)

    home = client.get(reverse("home"))
    listing = client.get(reverse("crf:case_list")).content.decode()

    assert home.status_code == 200 and b"statistician" in home.content
    assert "No case is visible to you." in listing


# ---- selectors ----


@pytest.mark.parametrize("role_name", list(SEES))
def test_cases_visible_to_matches_the_matrix(request, role_name, cases):
    user = request.getfixturevalue(role_name)
    expected = {cases[key].pk for key in SEES[role_name]}

    assert set(cases_visible_to(user).values_list("pk", flat=True)) == expected
    owned = {cases[key].pk for key in READS_IDENTITY.get(role_name, ())}
    assert set(identities_visible_to(user).values_list("case_id", flat=True)) == owned


def test_superuser_without_membership_sees_no_case_and_no_identity(cases):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert not cases_visible_to(root).exists()
    assert not identities_visible_to(root).exists()


def test_network_role_plus_investigator_reads_only_own_centre_identity(cases, centre_b):
    user = user_with_role(Role.COORDINATOR, username="coord_inv")
    Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre_b)

    assert cases_visible_to(user).count() == 2
    assert list(identities_visible_to(user)) == [cases["b"].identity]


def test_inactive_membership_or_user_sees_nothing(investigator_a, cases):
    fresh = type(investigator_a).objects.get  # a new object: memberships are cached per object
    assert cases_visible_to(fresh(pk=investigator_a.pk)).exists()

    Membership.objects.filter(user=investigator_a).update(is_active=False)
    assert not cases_visible_to(fresh(pk=investigator_a.pk)).exists()

    Membership.objects.filter(user=investigator_a).update(is_active=True)
    type(investigator_a).objects.filter(pk=investigator_a.pk).update(is_active=False)
    assert not cases_visible_to(fresh(pk=investigator_a.pk)).exists()


def test_anonymous_user_sees_nothing(cases):
    from django.contrib.auth.models import AnonymousUser

    assert not cases_visible_to(AnonymousUser()).exists()
    assert not identities_visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize("code", ["abc", "", None, "1.5", [1], 2**70, "LE-\x00"])
def test_case_for_malformed_code_is_404(coordinator, cases, code):
    with pytest.raises(Http404):
        access.case_for(actor_for(coordinator), code)


def test_case_for_foreign_case_is_404(investigator_a, cases):
    assert access.case_for(actor_for(investigator_a), cases["a"].code) == cases["a"]
    with pytest.raises(Http404):
        access.case_for(actor_for(investigator_a), cases["b"].code)


@pytest.mark.parametrize(
    ("status", "editable"),
    [(Status.DRAFT, True), (Status.QUERIED, True), (Status.LOCKED, False)],
)
def test_investigator_edits_own_centre_until_locked(
    investigator_a, coordinator, cases, status, editable
):
    case = cases["a"]
    case.status = status

    assert can_edit_case(investigator_a, case) is editable
    assert can_edit_case(investigator_a, cases["b"]) is False
    assert can_edit_case(coordinator, case) is False


def test_withdrawn_case_is_read_only(investigator_a, cases):
    case = cases["a"]
    case.status, case.withdrawn_reason = Status.WITHDRAWN, "consent withdrawn"
    case.save()

    assert can_edit_case(investigator_a, case) is False


def test_a_deactivated_centre_loses_its_investigators_access(client, investigator_a, case_a):
    case_a.centre.is_active = False
    case_a.centre.save()
    assert not cases_visible_to(investigator_a).exists()
    assert not identities_visible_to(investigator_a).exists()
    client.force_login(investigator_a)
    assert client.get(f"/cases/{case_a.code}/").status_code == 404


# ---- scopes: the channel an actor acts through ----


def test_a_read_token_reads_like_the_role_and_writes_nothing(investigator_a, cases):
    assert set(cases_visible_to(investigator_a, Scope.READ)) == {cases["a"]}
    assert set(identities_visible_to(investigator_a, Scope.READ)) == {cases["a"].identity}
    assert can_edit_case(investigator_a, cases["a"], scope=Scope.READ) is False
    assert can_edit_case(investigator_a, cases["a"], scope=Scope.READ_WRITE) is True


def test_the_export_scope_reaches_no_record(investigator_a, statistician, cases):
    for user in (investigator_a, statistician):
        assert not cases_visible_to(user, Scope.EXPORT).exists()
        assert not identities_visible_to(user, Scope.EXPORT).exists()
    assert access.may_export(actor_for(statistician, Scope.EXPORT))
    assert not access.may_export(actor_for(investigator_a))


def test_central_review_is_written_by_central_reviewers_only(
    central_reviewer, investigator_a, coordinator, cases
):
    case = cases["a"]
    assert can_edit_case(central_reviewer, case, CentralReview) is True
    assert can_edit_case(central_reviewer, case, Demographics) is False
    assert can_edit_case(investigator_a, case, CentralReview) is False
    assert can_edit_case(coordinator, case, CentralReview) is False
    case.status = Status.LOCKED
    assert can_edit_case(central_reviewer, case, CentralReview) is False


def test_writable_cases_is_the_queryset_form_of_may_write(
    investigator_a, central_reviewer, cases, request
):
    for user in (investigator_a, central_reviewer, request.getfixturevalue("coordinator")):
        actor = actor_for(user)
        for model in (Demographics, CentralReview):
            expected = {
                c.pk for c in access.cases_visible(actor) if access.may_write(actor, c, model)
            }
            assert set(access.writable_cases(actor, model).values_list("pk", flat=True)) == expected


def test_the_registry_itself_sees_and_writes_every_case(cases):
    assert set(access.cases_visible(access.SYSTEM)) == set(cases.values())
    assert access.may_write(access.SYSTEM, cases["b"], Demographics)
