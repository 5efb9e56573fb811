"""The admin: the CRF is read-only there, and scoped like the pages; accounts are managed by
registry administrators.

World: case A (centre alpha) has one row of every CRF model, skin biopsy and central review
included; case B (centre beta) has one row of every model except those two, so the central
reviewer (who sees biopsied cases only) sees A and not B. Everyone is staff: the scope, not
the staff flag, must keep them out. Clinical data is written through the CRF pages
(`crf.services`): no role adds, changes or deletes a CRF row in the admin.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.forms.models import model_to_dict
from django.urls import reverse
from pghistory.models import Events

from crf import models as crf
from crf.models.base import case_lookup, path_to_case
from registry import roles
from registry.admin import RegistryEventsAdmin
from registry.models import Centre, Membership, Role, User
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    IdentityFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
    UserFactory,
)

BIOPSY_MODELS = {crf.SkinBiopsy, crf.CentralReview}
STAFF_ROLES = [
    "investigator_a",
    "investigator_b",
    "coordinator",
    "central_reviewer",
    "statistician",
    "registry_admin",
]
SEES = {
    "investigator_a": {"a"},
    "investigator_b": {"b"},
    "coordinator": {"a", "b"},
    "central_reviewer": {"a"},
    "statistician": set(),
    "registry_admin": {"a", "b"},
}
OWNS_IDENTITY = {"investigator_a": {"a"}, "investigator_b": {"b"}}
MISSING_PK = 2_000_000_000


def fill_case(case: crf.Case, *, biopsy: bool) -> dict[type[Model], Model]:
    """One row of every CRF model for `case` (skin biopsy and central review if `biopsy`)."""
    treatment = TreatmentFactory(case=case)
    ngs = crf.NgsTest.objects.create(case=case, tissue="bone_marrow")
    rows: list[Model] = [
        case,
        case.identity,
        DemographicsFactory(case=case),
        crf.LupusProfile.objects.create(case=case),
        crf.SliccCriteria.objects.create(case=case),
        crf.EularAcrCriteria.objects.create(case=case),
        crf.SledaiAssessment.objects.create(case=case, context="le_diagnosis"),
        crf.CutaneousLesion.objects.create(case=case),
        SerologyPanelFactory(case=case),
        HaematologicalDiseaseFactory(case=case),
        crf.EvolutionEvent.objects.create(case=case, new_state="mds_ib1"),
        ngs,
        crf.NgsVariant.objects.create(test=ngs, gene="TET2"),
        treatment,
        crf.LupusResponse.objects.create(treatment=treatment),
        crf.HaematologicalResponse.objects.create(treatment=treatment),
        crf.AdverseEvent.objects.create(case=case, category="infection", treatment=treatment),
    ]
    if biopsy:
        skin = SkinBiopsyFactory(case=case)
        rows += [skin, crf.CentralReview.objects.create(biopsy=skin, diagnosis="cle")]
    return {type(row): row for row in rows}


@pytest.fixture
def world(case_a, case_b) -> dict[str, dict[type[Model], Model]]:
    return {"a": fill_case(case_a, biopsy=True), "b": fill_case(case_b, biopsy=False)}


@pytest.fixture(params=STAFF_ROLES)
def role(request) -> str:
    return request.param


def staff(request, role: str) -> User:
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def web(client, role, request):
    client.force_login(staff(request, role))
    return client


def login(client, request, role: str):
    client.force_login(staff(request, role))
    return client


def url(model: type[Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def visible_keys(role: str, model: type[Model]) -> set[str]:
    if model is crf.Identity:
        return OWNS_IDENTITY.get(role, set())
    return SEES[role]


def identity_leaks(html: str, identity: crf.Identity) -> list[str]:
    dob = identity.date_of_birth
    found = [
        text
        for text in (identity.local_identifier, dob.isoformat(), f"{dob.day} {dob:%B %Y}")
        if text in html
    ]
    if re.search(rf"\b{identity.initials}\b", html):
        found.append(identity.initials)
    return found


# ---- structure ----


def test_every_crf_model_is_registered_with_a_path_to_its_case():
    for model in crf.CRF_MODELS:
        assert admin.site.is_registered(model), model
    assert case_lookup(crf.NgsVariant) == "test__case"
    assert case_lookup(crf.CentralReview) == "biopsy__case"
    assert case_lookup(crf.LupusResponse) == "treatment__case"
    assert path_to_case(crf.AdverseEvent) == ("case",)  # direct link beats treatment__case
    assert case_lookup(crf.Case) == "pk"


def test_accounts_models_are_registered():
    for model in (Centre, User, Membership):
        assert admin.site.is_registered(model)


# ---- CRF changelists and object views, every role × every model ----


@pytest.mark.parametrize("model", crf.CRF_MODELS, ids=lambda m: m.__name__)
def test_changelist_lists_exactly_the_scope(web, role, world, model):
    response = web.get(url(model, "changelist"))
    expected = {world[k][model].pk for k in visible_keys(role, model) if model in world[k]}

    if role == "statistician" or (model is crf.Identity and not expected):
        assert response.status_code == 403  # no record page at all for this role
        return
    assert response.status_code == 200
    assert {obj.pk for obj in response.context["cl"].queryset} == expected
    html = response.content.decode()
    for key in "ab":
        row = world[key].get(model)
        if row is not None:
            assert (url(model, "change", row.pk) in html) == (row.pk in expected)
        if key not in OWNS_IDENTITY.get(role, ()):
            assert identity_leaks(html, world[key][crf.Identity]) == []
    # Read-only: no add button, no bulk delete.
    assert url(model, "add") not in html
    assert "delete_selected" not in html


@pytest.mark.parametrize(
    ("model", "key"),
    [(m, k) for m in crf.CRF_MODELS for k in "ab" if not (k == "b" and m in BIOPSY_MODELS)],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_object_views_are_200_or_an_indistinguishable_404(web, role, world, model, key):
    row = world[key][model]
    visible = key in visible_keys(role, model)

    for view in ("change", "history"):
        response = web.get(url(model, view, row.pk))
        if visible:
            assert response.status_code == 200
            html = response.content.decode()
            assert 'name="_save"' not in html and url(model, "delete", row.pk) not in html
            if key not in OWNS_IDENTITY.get(role, ()):
                assert identity_leaks(html, world[key][crf.Identity]) == []
        else:
            missing = web.get(url(model, view, MISSING_PK))
            assert response.status_code == 404, (view, response.status_code)
            assert (response.status_code, response.content) == (
                missing.status_code,
                missing.content,
            )


@pytest.mark.parametrize("object_id", ["abc", "-1", "1.5", "%00", "99999999999999999999999", "_"])
@pytest.mark.parametrize(
    "model", [crf.Case, crf.Identity, crf.NgsVariant], ids=lambda m: m.__name__
)
def test_malformed_ids_answer_404(client, request, world, model, object_id):
    login(client, request, "investigator_a")
    response = client.get(f"/admin/crf/{model._meta.model_name}/{object_id}/change/")
    assert response.status_code == 404


def test_anonymous_is_sent_to_the_admin_login(client, world):
    for target in (
        url(crf.Case, "changelist"),
        url(crf.Identity, "change", world["b"][crf.Identity].pk),
    ):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_superuser_without_role_reads_no_patient_data(client, world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    assert client.get(url(crf.Case, "changelist")).status_code == 403
    assert client.get(url(crf.Identity, "change", world["a"][crf.Identity].pk)).status_code == 404
    assert client.get(url(User, "changelist")).status_code == 200  # bootstraps accounts


def test_superuser_without_role_reads_no_audit_events(client, world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    assert client.get(reverse("admin:pghistory_events_changelist")).status_code == 403


def test_content_type_shortcut_tells_nothing_about_foreign_cases(client, request, world):
    login(client, request, "investigator_a")
    ct = ContentType.objects.get_for_model(crf.Case).pk
    foreign = client.get(f"/admin/r/{ct}/{world['b'][crf.Case].pk}/")
    missing = client.get(f"/admin/r/{ct}/{MISSING_PK}/")

    assert (foreign.status_code, foreign.content) == (missing.status_code, missing.content)


@pytest.mark.parametrize("search", ["\x00", "LE-", "' OR 1=1 --", "%"])
def test_search_stays_in_scope_and_survives_odd_terms(client, request, world, search):
    login(client, request, "investigator_a")
    foreign_code = world["b"][crf.Case].code

    for model in (crf.Case, crf.NgsVariant):
        response = client.get(url(model, "changelist"), {"q": search})
        assert response.status_code == 200
        assert foreign_code not in response.content.decode()
    by_code = client.get(url(crf.Case, "changelist"), {"q": foreign_code})
    assert list(by_code.context["cl"].queryset) == []


def test_statisticians_see_no_crf_admin_module(client, request, world):
    login(client, request, "statistician")

    index = client.get(reverse("admin:index"))

    assert index.status_code == 200
    assert "crf" not in {app["app_label"] for app in index.context["app_list"]}
    assert client.get(reverse("admin:app_list", args=["crf"])).status_code == 404


def test_investigators_see_the_crf_module_with_view_links_only(client, request, world):
    login(client, request, "investigator_a")

    index = client.get(reverse("admin:index"))

    [app] = [app for app in index.context["app_list"] if app["app_label"] == "crf"]
    by_model = {entry["object_name"]: entry for entry in app["models"]}
    assert set(by_model) == {m.__name__ for m in crf.CRF_MODELS}
    assert all(entry["perms"]["view"] for entry in by_model.values())
    assert not any(entry["add_url"] for entry in by_model.values())
    assert not any(entry["perms"][right] for entry in by_model.values()
                   for right in ("add", "change", "delete"))  # fmt: skip


# ---- choices reached without a form: autocomplete and raw-id popups ----


@pytest.mark.parametrize(
    ("role_name", "expected"),
    [
        ("investigator_a", {"a"}),
        ("investigator_b", {"b"}),
        ("coordinator", {"a", "b"}),
        ("central_reviewer", {"a"}),
    ],
)
def test_autocomplete_offers_only_the_cases_the_user_sees(
    client, request, world, role_name, expected
):
    login(client, request, role_name)
    params = {"app_label": "crf", "model_name": "skinbiopsy", "field_name": "case", "term": "LE"}

    response = client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert {r["text"] for r in response.json()["results"]} == {
        world[k][crf.Case].code for k in expected
    }


def test_autocomplete_is_refused_to_statisticians(client, request, world):
    login(client, request, "statistician")
    params = {"app_label": "crf", "model_name": "skinbiopsy", "field_name": "case", "term": "LE"}

    assert client.get(reverse("admin:autocomplete"), params).status_code == 403


@pytest.mark.parametrize(
    ("role_name", "model_name", "field_name"),
    [("investigator_a", "skinbiopsy", "case"), ("registry_admin", "membership", "user")],
)
def test_autocomplete_with_a_nul_term_finds_nothing(
    client, request, world, role_name, model_name, field_name
):
    login(client, request, role_name)
    params = {"app_label": "crf", "model_name": model_name, "field_name": field_name}
    if model_name == "membership":
        params["app_label"] = "registry"

    response = client.get(reverse("admin:autocomplete"), {**params, "term": "\x00"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_raw_id_popup_lists_only_the_scope(client, request, world):
    login(client, request, "investigator_b")

    response = client.get(url(crf.Treatment, "changelist"), {"_to_field": "id", "_popup": "1"})

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [world["b"][crf.Treatment]]


# ---- the CRF admin writes nothing, for anyone ----


def events_count() -> int:
    return sum(model.pgh_event_model.objects.count() for model in crf.CRF_MODELS)


def stored(model: type[Model]) -> list[dict]:
    return [model_to_dict(row) for row in model._default_manager.order_by("pk")]


def test_no_role_adds_changes_or_deletes_a_crf_row(web, role, world):
    """Add: 403 for everyone, "save as new" included (Django asks the add right before looking
    at any object). Change and delete: 403 on a row the user sees (refusing reveals nothing),
    the 404 of a missing id on any other. Nothing is written, whatever is posted."""
    before = {model: stored(model) for model in crf.CRF_MODELS}
    events = events_count()

    for model in crf.CRF_MODELS:
        assert web.get(url(model, "add")).status_code == 403, model
        assert web.post(url(model, "add"), {}).status_code == 403, model
        for key in "ab":
            row = world[key].get(model)
            if row is None:
                continue
            data = {name: value for name, value in model_to_dict(row).items() if value is not None}
            answers = {
                "change": web.post(url(model, "change", row.pk), data).status_code,
                "delete page": web.get(url(model, "delete", row.pk)).status_code,
                "delete": web.post(url(model, "delete", row.pk), {"post": "yes"}).status_code,
            }
            expected = 403 if key in visible_keys(role, model) else 404
            assert set(answers.values()) == {expected}, (model, key, answers)
            as_new = web.post(url(model, "change", row.pk), {**data, "_saveasnew": "1"})
            assert as_new.status_code == 403, (model, key)

    assert {model: stored(model) for model in crf.CRF_MODELS} == before
    assert events_count() == events


@pytest.mark.parametrize("role_name", ["investigator_a", "registry_admin"])
def test_a_bulk_delete_posted_anyway_deletes_nothing(client, request, world, role_name):
    login(client, request, role_name)
    biopsy = world["a"][crf.SkinBiopsy]

    response = client.post(
        url(crf.SkinBiopsy, "changelist"),
        {"action": "delete_selected", "_selected_action": [biopsy.pk], "post": "yes"},
    )

    assert response.status_code == 200  # the list again: no such action
    assert "delete_selected" not in response.content.decode()
    assert crf.SkinBiopsy.objects.filter(pk=biopsy.pk).exists()


@pytest.mark.parametrize(
    ("role_name", "model"),
    [
        ("investigator_a", crf.CutaneousLesion),  # the owner of an open case
        ("investigator_a", crf.Case),
        ("central_reviewer", crf.CentralReview),  # who writes reviews in the pages
        ("coordinator", crf.HaematologicalDisease),
        ("registry_admin", crf.Case),
    ],
)
def test_the_object_page_is_a_view_without_write_buttons(client, request, world, role_name, model):
    login(client, request, role_name)
    row = world["a"][model]

    page = client.get(url(model, "change", row.pk))

    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    for button in ('name="_save"', 'name="_continue"', 'name="_addanother"', 'name="_saveasnew"'):
        assert button not in html
    assert url(model, "delete", row.pk) not in html
    assert all(field.is_readonly for fieldset in page.context["adminform"] for line in fieldset
               for field in line)  # fmt: skip


# ---- audit trail ----


def test_identity_history_only_for_its_investigators(client, request, world):
    identity = world["a"][crf.Identity]
    login(client, request, "investigator_a")
    own = client.get(url(crf.Identity, "history", identity.pk))
    assert own.status_code == 200
    assert "Audit trail" in own.content.decode()
    assert identity.local_identifier in own.content.decode()

    for role_name in ("investigator_b", "coordinator", "registry_admin"):
        login(client, request, role_name)
        assert client.get(url(crf.Identity, "history", identity.pk)).status_code == 404


def test_events_admin_is_for_registry_admins_and_hides_identity(client, request, world):
    assert isinstance(admin.site.get_model_admin(Events), RegistryEventsAdmin)
    identity = world["a"][crf.Identity]
    changelist = reverse("admin:pghistory_events_changelist")

    for role_name in ("coordinator", "investigator_a", "central_reviewer"):
        login(client, request, role_name)
        assert client.get(changelist).status_code == 403

    login(client, request, "registry_admin")
    for params in ({}, {"event_model": "crf.identityevent"}):
        response = client.get(changelist, params)
        assert response.status_code == 200
        models = {e.pgh_obj_model for e in response.context["cl"].queryset}
        assert crf.Identity._meta.label not in models
        assert identity_leaks(response.content.decode(), identity) == []
    assert "crf.Case" in {e.pgh_obj_model for e in client.get(changelist).context["cl"].queryset}

    event = Events.objects.tracks(identity).get()
    hidden = client.get(reverse("admin:pghistory_events_change", args=[quote(event.pgh_slug)]))
    assert hidden.status_code == 404


def test_query_string_cannot_filter_on_identity(client, request, world):
    login(client, request, "coordinator")
    initials = world["a"][crf.Identity].initials

    for lookup in (f"identity__initials={initials}", "identity__initials__startswith=Q"):
        response = client.get(f"{url(crf.Case, 'changelist')}?{lookup}")
        assert response.status_code == 400  # refused whatever it would match: no oracle


# ---- accounts ----


@pytest.mark.parametrize("model", [Centre, User, Membership], ids=lambda m: m.__name__)
def test_only_registry_admins_manage_accounts(web, role, world, model):
    obj = model._default_manager.order_by("pk").first()

    listing = web.get(url(model, "changelist"))
    change = web.get(url(model, "change", obj.pk))

    # Others are refused the list, and an object's page is a miss (it exists or not).
    expected = (200, 200) if role == "registry_admin" else (403, 404)
    assert (listing.status_code, change.status_code) == expected


def test_the_account_admin_follows_registrys_rule(client, request, world, registry_admin):
    assert roles.manages_accounts(registry_admin)
    login(client, request, "registry_admin")
    assert client.get(url(Membership, "changelist")).status_code == 200

    # Without an active registry_admin membership, the same staff user manages nothing.
    Membership.objects.filter(user=registry_admin, role=Role.REGISTRY_ADMIN).update(is_active=False)
    roles.forget(registry_admin)
    assert not roles.manages_accounts(registry_admin)
    assert client.get(url(Membership, "changelist")).status_code == 403


def test_registry_admin_asks_for_a_membership(client, request, world, centre_b, registry_admin):
    login(client, request, "registry_admin")
    newcomer = UserFactory(username="newcomer")

    response = client.post(
        url(Membership, "add"),
        {"user": newcomer.pk, "role": Role.INVESTIGATOR, "centre": centre_b.pk, "is_active": "on"},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    # Asked for, not granted: a second registry administrator approves it.
    assert roles.investigator_centre_ids(newcomer) == frozenset()
    membership = Membership.objects.get(user=newcomer)
    assert membership.requested_by == registry_admin and membership.approved_at is None


def test_registry_admin_cannot_make_superusers(client, request, world, investigator_a):
    login(client, request, "registry_admin")

    form = client.get(url(User, "change", investigator_a.pk)).context["adminform"]

    assert "is_superuser" in form.readonly_fields
    assert "groups" not in form.form.fields and "user_permissions" not in form.form.fields


def test_centres_are_deactivated_never_deleted(client, request, world, centre_a):
    login(client, request, "registry_admin")

    assert client.get(url(Centre, "delete", centre_a.pk)).status_code == 403
    assert Centre.objects.filter(pk=centre_a.pk).exists()


# ---- query counts ----


def full_case(centre: Centre) -> crf.Case:
    case = CaseFactory(centre=centre)
    IdentityFactory(case=case)
    fill_case(case, biopsy=True)
    return case


@pytest.mark.parametrize(
    "model", [crf.Case, crf.NgsVariant, crf.CentralReview, crf.LupusResponse, Membership]
)
def test_changelists_do_not_grow_queries_with_rows(
    client, request, world, centre_a, model, django_assert_max_num_queries
):
    for _ in range(10):
        full_case(centre_a)
    login(client, request, "registry_admin")

    with django_assert_max_num_queries(12):
        response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 10 or model is Membership
