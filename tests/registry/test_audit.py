"""Audit: every change to patient, centre and account data, with who, when, what and why.

The module is also the URLconf of the request tests (`pytest.mark.urls(__name__)`): an admin
site with Centre, a DRF view that authenticates in the view, and a web view giving a reason.
"""

import datetime as dt
import json
import uuid

import pgtrigger
import pytest
from django.contrib.admin import AdminSite
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, models, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import manage
from crf import history
from crf import models as crf
from crf.history import AuditEntry, case_audit_trail
from crf.models import CRF_MODELS
from registry.audit import (
    app_role_grants,
    audit_context,
    audit_tables,
    command_context,
    source_of,
    task_context,
)
from registry.models import Centre, Membership, Role, User
from tests.factories import (
    CaseFactory,
    DemographicsFactory,
    HaematologicalDiseaseFactory,
    IdentityFactory,
    SerologyPanelFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
    user_with_role,
)

AUDITED_MODELS = (*CRF_MODELS, Centre, Membership, User)

# ---- the URLconf of the request tests ----

_admin = AdminSite(name="audit_test_admin")
_admin.register(Centre)


class _HeaderAuthentication(BaseAuthentication):
    """Authenticates inside the view, as DRF token authentication does: the middleware saw an
    anonymous request."""

    def authenticate(self, request):
        username = request.META.get("HTTP_X_TEST_USER")
        return (User.objects.get(username=username), None) if username else None


class _CentreCity(APIView):
    authentication_classes = [_HeaderAuthentication]
    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int) -> Response:
        Centre.objects.filter(pk=pk).update(city=request.data["city"])
        return Response({"ok": True})


def _record_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Two writes: one under the request's context, one with the reason given."""
    case = crf.Case.objects.get(pk=pk)
    case.consent_date = dt.date(2024, 1, 5)
    case.save()
    with audit_context(reason=request.POST["reason"]):
        crf.Case.objects.filter(pk=pk).update(consent="yes")
    return HttpResponse("ok")


urlpatterns = [
    path("admin/", _admin.urls),
    path("api/centres/<int:pk>/city/", _CentreCity.as_view()),
    path("cases/<int:pk>/consent/", _record_consent),
]


# ---- helpers ----


def events_of(obj) -> list:
    model = type(obj).pgh_event_model
    return list(model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id"))


def context_of(event) -> dict:
    """The event's own copy of its context."""
    return event.pgh_context or {}


def fill_case(case: crf.Case) -> dict:
    """One row of every CRF model in `case`; returns them by model."""
    rows: dict = {crf.Case: case, crf.Identity: IdentityFactory(case=case)}
    rows[crf.Demographics] = DemographicsFactory(case=case)
    rows[crf.LupusProfile] = crf.LupusProfile.objects.create(case=case)
    rows[crf.SliccCriteria] = crf.SliccCriteria.objects.create(case=case)
    rows[crf.EularAcrCriteria] = crf.EularAcrCriteria.objects.create(case=case)
    rows[crf.SledaiAssessment] = crf.SledaiAssessment.objects.create(
        case=case, context="le_diagnosis"
    )
    rows[crf.CutaneousLesion] = crf.CutaneousLesion.objects.create(case=case, site_face=True)
    rows[crf.SerologyPanel] = SerologyPanelFactory(case=case)
    rows[crf.HaematologicalDisease] = HaematologicalDiseaseFactory(case=case)
    rows[crf.EvolutionEvent] = crf.EvolutionEvent.objects.create(case=case, new_state="mds_ib1")
    rows[crf.NgsTest] = crf.NgsTest.objects.create(case=case, tissue="bone_marrow")
    rows[crf.NgsVariant] = crf.NgsVariant.objects.create(test=rows[crf.NgsTest], gene="TET2")
    rows[crf.SkinBiopsy] = SkinBiopsyFactory(case=case)
    rows[crf.CentralReview] = crf.CentralReview.objects.create(
        biopsy=rows[crf.SkinBiopsy], diagnosis="cle"
    )
    rows[crf.Treatment] = TreatmentFactory(case=case)
    rows[crf.LupusResponse] = crf.LupusResponse.objects.create(treatment=rows[crf.Treatment])
    rows[crf.HaematologicalResponse] = crf.HaematologicalResponse.objects.create(
        treatment=rows[crf.Treatment]
    )
    rows[crf.AdverseEvent] = crf.AdverseEvent.objects.create(
        case=case, treatment=rows[crf.Treatment], category="infection"
    )
    assert set(rows) == set(CRF_MODELS)
    return rows


def refused(sql: str, params: tuple = ()) -> str:
    """Run `sql` in a savepoint; return the database's refusal (fails if it was accepted)."""
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(error.value)


# ---- what is tracked ----


@pytest.mark.django_db
@pytest.mark.parametrize("model", AUDITED_MODELS, ids=lambda m: m._meta.label)
def test_every_audited_model_records_inserts_and_updates_append_only(model):
    event_model = model.pgh_event_model
    assert {"insert", "update"} <= set(model.pgh_event_models)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [event_model._meta.db_table],
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert any(name.startswith("pgtrigger_append_only_") for name in triggers), triggers


def test_every_audited_model_records_deletes():
    assert [m._meta.label for m in AUDITED_MODELS if "delete" not in m.pgh_event_models] == []


@pytest.mark.django_db
def test_every_crf_model_insert_is_captured_with_its_context(centre_a, investigator_a):
    with audit_context(source="web", user=investigator_a, reason="New case"):
        rows = fill_case(CaseFactory(centre=centre_a))
    for model, row in rows.items():
        (event,) = events_of(row)
        assert event.pgh_label == "insert", model
        assert context_of(event)["reason"] == "New case", model
        assert context_of(event)["user"] == investigator_a.pk, model


@pytest.mark.django_db
def test_identity_centre_membership_and_user_changes_are_captured(centre_a, case_a):
    identity = case_a.identity
    with audit_context(source="admin", reason="Corrected"):
        identity.initials = "AB"
        identity.save()
        centre_a.city = "Lyon"
        centre_a.save()
        user = user_with_role(Role.COORDINATOR, username="newcomer")
        Membership.objects.filter(user=user).update(is_active=False)
        User.objects.filter(pk=user.pk).update(first_name="Ada")

    assert [(e.pgh_label, e.initials) for e in events_of(identity)] == [
        ("insert", "JD"),
        ("update", "AB"),
    ]
    assert [(e.pgh_label, e.city) for e in events_of(centre_a)] == [
        ("insert", "Paris"),
        ("update", "Lyon"),
    ]
    membership = Membership.objects.get(user=user)
    assert [(e.pgh_label, e.is_active) for e in events_of(membership)] == [
        ("insert", True),
        ("update", False),
    ]
    assert [(e.pgh_label, e.first_name) for e in events_of(user)] == [
        ("insert", ""),
        ("update", "Ada"),
    ]
    assert {context_of(e)["reason"] for e in events_of(user)[1:] + events_of(identity)[1:]} == {
        "Corrected"
    }


@pytest.mark.django_db
def test_bulk_writes_queryset_update_and_raw_sql_are_captured(centre_a):
    with audit_context(source="import", reason="Bulk load"):
        centres = Centre.objects.bulk_create(
            [Centre(code="bk1", name="Bulk 1"), Centre(code="bk2", name="Bulk 2")]
        )
        for centre in centres:
            centre.city = "Nantes"
        Centre.objects.bulk_update(centres, ["city"])
        Centre.objects.filter(code__startswith="bk").update(is_active=False)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_centre SET name = name || ' (raw)' WHERE code LIKE 'bk%%'"
            )
        case = CaseFactory(centre=centre_a)
        lesions = crf.CutaneousLesion.objects.bulk_create(
            [crf.CutaneousLesion(case=case), crf.CutaneousLesion(case=case, site_ears=True)]
        )
        crf.CutaneousLesion.objects.filter(case=case).update(ulceration="yes")

    for centre in centres:
        history = [(e.pgh_label, e.city, e.is_active, e.name) for e in events_of(centre)]
        number = centre.code[-1]
        assert history == [
            ("insert", "", True, f"Bulk {number}"),
            ("update", "Nantes", True, f"Bulk {number}"),
            ("update", "Nantes", False, f"Bulk {number}"),
            ("update", "Nantes", False, f"Bulk {number} (raw)"),
        ]
        assert {context_of(e)["source"] for e in events_of(centre)} == {"import"}
        assert {context_of(e)["reason"] for e in events_of(centre)} == {"Bulk load"}
    for lesion in lesions:
        assert [(e.pgh_label, e.ulceration) for e in events_of(lesion)] == [
            ("insert", ""),
            ("update", "yes"),
        ]


# ---- context ----


@pytest.mark.django_db
def test_audit_context_records_user_centre_source_and_reason(centre_a, investigator_a):
    with audit_context(source="web", user=investigator_a, reason="Typo", form="demographics"):
        centre = Centre.objects.create(code="ctx", name="Context")
    assert context_of(events_of(centre)[0]) == {
        "source": "web",
        "user": investigator_a.pk,
        "username": "inv_a",
        "centre": centre_a.pk,
        "reason": "Typo",
        "form": "demographics",
    }


@pytest.mark.django_db
def test_a_nested_reason_stays_with_its_own_writes(coordinator):
    with audit_context(source="web", user=coordinator, reason="First"):
        centre = Centre.objects.create(code="nest", name="Nested")
        with audit_context(reason="Second"):
            Centre.objects.filter(pk=centre.pk).update(city="Lille")
        Centre.objects.filter(pk=centre.pk).update(city="Brest")

    contexts = [context_of(e) for e in events_of(centre)]
    assert [c["reason"] for c in contexts] == ["First", "Second", "First"]
    # The inner block inherits who and from where.
    assert {(c["source"], c["user"], c["centre"]) for c in contexts} == {
        ("web", coordinator.pk, None)
    }
    # One context (one id) for the whole block; each event keeps its own copy of the who/why.
    assert len({e.pgh_context_id for e in events_of(centre)}) == 1


@pytest.mark.django_db
def test_audit_context_needs_a_known_source():
    with pytest.raises(ValueError, match="needs a source"), audit_context(reason="why"):
        pass
    with pytest.raises(ValueError, match="Unknown audit source"), audit_context(source="email"):
        pass


def test_source_follows_the_path():
    assert source_of("/api/cases/") == "api"
    assert source_of("/admin/registry/centre/") == "admin"
    assert source_of("/cases/LE-2345678/") == "web"


@pytest.mark.django_db
def test_task_context_names_the_task(investigator_a):
    with task_context("exports.build", user=investigator_a, reason="Nightly export"):
        centre = Centre.objects.create(code="task", name="Task")
    metadata = context_of(events_of(centre)[0])
    assert (metadata["source"], metadata["task"], metadata["user"], metadata["reason"]) == (
        "task",
        "exports.build",
        investigator_a.pk,
        "Nightly export",
    )


# ---- requests: the middleware ----


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_admin_post_is_audited_as_admin_with_the_user(client):
    root = user_with_role(Role.REGISTRY_ADMIN, username="root", is_staff=True, is_superuser=True)
    centre = Centre.objects.create(code="adm", name="Admin target", city="Paris")
    client.force_login(root)
    response = client.post(
        f"/admin/registry/centre/{centre.pk}/change/",
        {
            "code": "adm",
            "name": "Admin target",
            "city": "Rennes",
            "country": "FR",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    update = events_of(centre)[-1]
    assert (update.pgh_label, update.city) == ("update", "Rennes")
    assert context_of(update) == {
        "source": "admin",
        "url": f"/admin/registry/centre/{centre.pk}/change/",
        "user": root.pk,
        "username": "root",
        "centre": None,
        "reason": "",
    }


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_api_user_authenticated_in_the_view_is_audited_with_their_centre(
    client, centre_a, investigator_a
):
    response = client.post(
        f"/api/centres/{centre_a.pk}/city/",
        {"city": "Toulouse"},
        content_type="application/json",
        HTTP_X_TEST_USER="inv_a",
    )
    assert response.status_code == 200, response.content
    update = events_of(centre_a)[-1]
    assert update.city == "Toulouse"
    assert context_of(update) == {
        "source": "api",
        "url": f"/api/centres/{centre_a.pk}/city/",
        "user": investigator_a.pk,
        "username": "inv_a",
        "centre": centre_a.pk,
        "reason": "",
    }


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_web_post_carries_the_user_and_the_reason_given_in_the_view(
    client, case_a, centre_a, investigator_a
):
    client.force_login(investigator_a)
    response = client.post(f"/cases/{case_a.pk}/consent/", {"reason": "Consent form found"})
    assert response.status_code == 200
    saved, with_reason = events_of(case_a)[-2:]
    who = {"user": investigator_a.pk, "username": "inv_a", "centre": centre_a.pk}
    assert saved.consent_date == dt.date(2024, 1, 5)
    assert context_of(saved) == {
        "source": "web",
        "url": f"/cases/{case_a.pk}/consent/",
        "reason": "",
        **who,
    }
    assert with_reason.consent == "yes"
    assert context_of(with_reason) == {**context_of(saved), "reason": "Consent form found"}


# ---- commands: manage.py ----


@pytest.mark.django_db
def test_a_command_under_manage_py_context_is_audited_as_shell(tmp_path):
    fixture = tmp_path / "centres.json"
    fixture.write_text(
        json.dumps([{"model": "registry.centre", "fields": {"code": "fx", "name": "Fixture"}}])
    )
    with command_context(["manage.py", "loaddata", str(fixture)]):
        call_command("loaddata", str(fixture), verbosity=0)
    metadata = context_of(events_of(Centre.objects.get(code="fx"))[0])
    assert metadata["source"] == "shell"
    assert metadata["command"] == "loaddata"
    assert metadata["os_user"]  # whoever runs the suite


@pytest.mark.django_db
def test_manage_py_wraps_every_command_shell_included(monkeypatch):
    monkeypatch.setattr("registry.audit._os_user", lambda: "operator")
    # A command closes the connections when done: that would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    code = "from registry.models import Centre; Centre.objects.create(code='sh', name='Shell')"
    manage.main(["manage.py", "shell", "-c", code])
    metadata = context_of(events_of(Centre.objects.get(code="sh"))[0])
    assert metadata == {"source": "shell", "command": "shell", "os_user": "operator"}


@pytest.mark.django_db
def test_a_command_that_sets_its_own_context_refines_the_shell_one(investigator_a):
    with command_context(["manage.py", "import_cases"]):
        with audit_context(source="import", user=investigator_a, reason="Spreadsheet v2"):
            centre = Centre.objects.create(code="imp", name="Imported")
    metadata = context_of(events_of(centre)[0])
    assert (metadata["source"], metadata["command"], metadata["reason"], metadata["user"]) == (
        "import",
        "import_cases",
        "Spreadsheet v2",
        investigator_a.pk,
    )


# ---- immutability ----


@pytest.mark.django_db
@pytest.mark.parametrize("model", [crf.Demographics, crf.Identity], ids=["crf", "identity"])
def test_event_rows_refuse_update_and_delete(model, case_a):
    row = case_a.identity if model is crf.Identity else DemographicsFactory(case=case_a)
    table = model.pgh_event_model._meta.db_table
    (event,) = events_of(row)

    assert "Cannot update or delete" in refused(f'UPDATE "{table}" SET pgh_label = %s', ("forged",))
    assert "Cannot update or delete" in refused(f'DELETE FROM "{table}"')
    assert [e.pgh_label for e in events_of(row)] == ["insert"]
    with pytest.raises(DatabaseError), transaction.atomic():
        model.pgh_event_model.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_each_event_keeps_its_own_context_so_later_writes_cannot_rewrite_it(coordinator):
    with audit_context(source="web", user=coordinator, reason="Original"):
        centre = Centre.objects.create(code="grd", name="Guarded")
        with audit_context(reason="Inner"):
            Centre.objects.filter(pk=centre.pk).update(city="Caen")
        Centre.objects.filter(pk=centre.pk).update(city="Metz")
    assert [context_of(e)["reason"] for e in events_of(centre)] == ["Original", "Inner", "Original"]


@pytest.mark.django_db
def test_a_temporary_table_named_like_an_event_table_receives_nothing(case_a, investigator_a):
    """The triggers write into the event table by schema-qualified name: a session's
    temporary table of the same name (first on the search path) cannot swallow events."""
    table = crf.Case.pgh_event_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE "{table}" (LIKE "public"."{table}" INCLUDING ALL)')
    with audit_context(source="web", user=investigator_a, reason="Consent found"):
        crf.Case.objects.filter(pk=case_a.pk).update(consent="yes")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM pg_temp."{table}"')
        assert cursor.fetchone() == (0,)
        cursor.execute(f'DROP TABLE pg_temp."{table}"')
    update = events_of(case_a)[-1]
    assert (update.pgh_label, update.consent, context_of(update)["reason"]) == (
        "update",
        "yes",
        "Consent found",
    )


@pytest.mark.django_db
def test_pgtrigger_ignore_cannot_skip_the_audit(case_a):
    """Any session may set pgtrigger.ignore; the audit triggers do not consult it."""
    with audit_context(source="shell", reason="trying to hide"), pgtrigger.ignore():
        crf.Case.objects.filter(pk=case_a.pk).update(consent="no")
    assert [(e.pgh_label, e.consent) for e in events_of(case_a)][-1] == ("update", "no")


@pytest.mark.django_db
def test_a_version_bump_alone_writes_no_case_event(case_a):
    before = len(events_of(case_a))
    crf.Case.objects.filter(pk=case_a.pk).update(version=models.F("version") + 1)
    assert len(events_of(case_a)) == before


@pytest.mark.django_db
def test_pgtrigger_ignore_skips_the_append_only_trigger_hence_the_role_separation(case_a):
    """Any session may set pgtrigger.ignore: the trigger alone does not bind the app role."""
    table = crf.Identity.pgh_event_model._meta.db_table
    with pgtrigger.ignore(f"{crf.Identity.pgh_event_model._meta.label}:append_only"):
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{table}"')
    assert events_of(case_a.identity) == []


@pytest.mark.django_db
def test_the_app_role_cannot_rewrite_history_even_ignoring_triggers(centre_a, investigator_a):
    """Production's role separation (docs/audit.md), with the very grants it runs."""
    role = f"audit_app_{uuid.uuid4().hex[:8]}"  # created and dropped with the test's transaction
    events = audit_tables()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        for statement in app_role_grants(role, connection.introspection.table_names(cursor)):
            cursor.execute(statement)
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (role,)
    try:
        # The application still writes, and its writes are still audited.
        with audit_context(source="web", user=investigator_a, reason="As the app"):
            case = CaseFactory(centre=centre_a)
            crf.Case.objects.filter(pk=case.pk).update(consent="yes")
        assert [e.pgh_label for e in events_of(case)] == ["insert", "update"]

        table = crf.Case.pgh_event_model._meta.db_table
        assert table in events
        with pgtrigger.ignore():
            for sql in (
                f"UPDATE \"{table}\" SET pgh_label = 'forged'",
                f'DELETE FROM "{table}"',
                f'TRUNCATE "{table}"',
                # A made-up event: only the audit triggers (as their owner) write events.
                f"INSERT INTO \"{table}\" (pgh_label, pgh_obj_id) VALUES ('forged', 1)",
                "UPDATE registry_auditseal SET digest = 'forged'",
            ):
                assert "permission denied" in refused(sql), sql
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert [e.pgh_label for e in events_of(case)] == ["insert", "update"]
    assert context_of(events_of(case)[0])["reason"] == "As the app"


# ---- reading: case_audit_trail ----


def entries_of(trail: list[AuditEntry], model) -> list[AuditEntry]:
    return [e for e in trail if e.model == model._meta.label]


@pytest.mark.django_db
def test_case_audit_trail_covers_every_crf_model_of_the_case_only(
    centre_a, centre_b, investigator_a, django_assert_max_num_queries
):
    with audit_context(source="web", user=investigator_a, reason="Entered"):
        case = CaseFactory(centre=centre_a)
        rows = fill_case(case)
    other = CaseFactory(centre=centre_b)
    fill_case(other)

    with django_assert_max_num_queries(1):
        trail = case_audit_trail(case, include_identity=True)

    assert {(e.model, e.object_id) for e in trail} == {
        (model._meta.label, row.pk) for model, row in rows.items()
    }
    assert {
        (e.operation, e.source, e.reason, e.user_id, e.username, e.centre_id) for e in trail
    } == {("insert", "web", "Entered", investigator_a.pk, "inv_a", centre_a.pk)}
    (variant,) = entries_of(trail, crf.NgsVariant)
    assert variant.changes["gene"] == (None, "TET2")
    assert variant.changes["test"] == (None, rows[crf.NgsTest].pk)
    (identity,) = entries_of(trail, crf.Identity)
    assert identity.changes["date_of_birth"] == (None, dt.date(1955, 3, 14))
    assert "updated_at" not in entries_of(trail, crf.Demographics)[0].changes

    without_identity = case_audit_trail(case)  # identity is opt-in
    assert entries_of(without_identity, crf.Identity) == []
    assert len(without_identity) == len(trail) - 1


@pytest.mark.django_db
def test_case_audit_trail_diffs_each_update_with_the_previous_event(
    centre_a, investigator_a, coordinator
):
    with audit_context(source="web", user=investigator_a):
        case = CaseFactory(centre=centre_a)
        demographics = DemographicsFactory(case=case, last_followup_date=dt.date(2023, 1, 10))
    with audit_context(source="web", user=investigator_a, reason="Follow-up visit"):
        demographics.last_followup_date = dt.date(2024, 2, 1)
        demographics.sex = "female"
        demographics.save()
    with audit_context(source="api", user=coordinator, reason="Query answered"):
        crf.Demographics.objects.filter(pk=demographics.pk).update(vital_status="dead")

    first, second, third = reversed(entries_of(case_audit_trail(case), crf.Demographics))
    assert first.operation == "insert"
    assert first.changes["last_followup_date"] == (None, dt.date(2023, 1, 10))
    assert (second.operation, second.reason, second.username) == (
        "update",
        "Follow-up visit",
        "inv_a",
    )
    assert second.changes == {
        "last_followup_date": (dt.date(2023, 1, 10), dt.date(2024, 2, 1)),
        "sex": ("male", "female"),
    }
    assert (third.operation, third.source, third.user_id, third.centre_id) == (
        "update",
        "api",
        coordinator.pk,
        None,
    )
    assert third.changes == {"vital_status": ("alive", "dead")}


def test_the_trail_compares_values_not_their_json():
    """Only the columns whose JSON differs are read back into values, and a value written
    differently ("3" and 3.0) is no change."""
    fields = history._fields(crf.Demographics)
    before = {"sex": "male", "followup_years": "3", "le_diagnosis_date": "2020-01-02"}
    after = {"sex": "female", "followup_years": 3.0, "le_diagnosis_date": "2020-01-02"}
    assert history._diff(before, after, "update", fields) == {"sex": ("male", "female")}
    assert history._diff(None, after, "insert", fields) == {
        "sex": (None, "female"),
        "followup_years": (None, 3.0),
        "le_diagnosis_date": (None, dt.date(2020, 1, 2)),
    }
    assert history._diff(None, {**after, "sex": ""}, "delete", fields) == {
        "followup_years": (3.0, None),
        "le_diagnosis_date": (dt.date(2020, 1, 2), None),
    }


@pytest.mark.django_db(transaction=True)
def test_case_audit_trail_is_newest_first_across_transactions(centre_a, investigator_a):
    """Each write here commits on its own, so each has its own timestamp."""
    with audit_context(source="web", user=investigator_a):
        case = CaseFactory(centre=centre_a)
        treatment = TreatmentFactory(case=case)
        response = crf.HaematologicalResponse.objects.create(treatment=treatment)
        crf.Case.objects.filter(pk=case.pk).update(consent="no")
        crf.HaematologicalResponse.objects.filter(pk=response.pk).update(category="unknown")

    trail = case_audit_trail(case)
    assert [(e.model, e.operation) for e in trail] == [
        ("crf.HaematologicalResponse", "update"),
        ("crf.Case", "update"),
        ("crf.HaematologicalResponse", "insert"),
        ("crf.Treatment", "insert"),
        ("crf.Case", "insert"),
    ]
    assert [e.when for e in trail] == sorted((e.when for e in trail), reverse=True)
    assert trail[0].changes == {"category": ("", "unknown")}


@pytest.mark.django_db
def test_case_audit_trail_keeps_rows_deleted_since(centre_a, investigator_a):
    with audit_context(source="web", user=investigator_a):
        case = CaseFactory(centre=centre_a)
        test = crf.NgsTest.objects.create(case=case, tissue="skin")
        variant = crf.NgsVariant.objects.create(test=test, gene="UBA1")
    with audit_context(source="web", user=investigator_a, reason="Entered in error"):
        test.delete()  # cascades to the variant

    trail = case_audit_trail(case)
    assert {e.object_id for e in entries_of(trail, crf.NgsVariant)} == {variant.pk}
    assert entries_of(trail, crf.NgsVariant)[-1].changes["gene"] == (None, "UBA1")
    assert entries_of(trail, crf.NgsTest)[-1].changes["tissue"] == (None, "skin")


@pytest.mark.django_db
def test_case_audit_trail_shows_deletes_with_their_reason(centre_a, investigator_a):
    with audit_context(source="web", user=investigator_a):
        case = CaseFactory(centre=centre_a)
        lesion = crf.CutaneousLesion.objects.create(case=case, site_face=True)
    with audit_context(source="web", user=investigator_a, reason="Entered in error"):
        lesion.delete()

    latest = entries_of(case_audit_trail(case), crf.CutaneousLesion)[0]
    assert (latest.operation, latest.reason) == ("delete", "Entered in error")
    assert latest.changes["site_face"] == (True, None)


@pytest.mark.django_db
def test_a_reason_typed_for_an_identity_change_stays_with_the_owning_centre(
    centre_a, investigator_a
):
    """The case's version bump writes no event: nothing carries the identity's reason into
    the history the network reads."""
    from crf import access
    from crf.services import section_save

    case = CaseFactory(centre=centre_a, status="submitted")
    identity = IdentityFactory(case=case)
    secret = "Maiden name was Dupont, see admission letter"
    section_save(
        actor=access.actor_for(investigator_a),
        case=case,
        model=crf.Identity,
        row_id=identity.pk,
        data={
            "local_identifier": "IPP-NEW-1",
            "initials": "MD",
            "date_of_birth": identity.date_of_birth,
        },  # fmt: skip
        based_on=case.version,
        reason=secret,
    )

    network = case_audit_trail(case)
    centre = case_audit_trail(case, include_identity=True)
    assert secret not in repr(network)
    assert [e.reason for e in centre if e.model == "crf.Identity"][0] == secret
