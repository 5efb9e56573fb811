"""Shared fixtures: two centres and one user per role, the investigators one per centre."""

import pytest
from django.conf import settings
from django.utils import translation

from registry.models import Role
from tests.factories import CaseFactory, CentreFactory, IdentityFactory, user_with_role


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a French request activates French for its
    thread (LocaleMiddleware), which must not leak into the next test's messages."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def centre_a(db):
    return CentreFactory(code="alpha", name="Hôpital Alpha")


@pytest.fixture
def centre_b(db):
    return CentreFactory(code="beta", name="Hôpital Beta")


@pytest.fixture
def investigator_a(centre_a):
    return user_with_role(Role.INVESTIGATOR, centre_a, username="inv_a")


@pytest.fixture
def investigator_b(centre_b):
    return user_with_role(Role.INVESTIGATOR, centre_b, username="inv_b")


@pytest.fixture
def coordinator(db):
    return user_with_role(Role.COORDINATOR, username="coord")


@pytest.fixture
def central_reviewer(db):
    return user_with_role(Role.CENTRAL_REVIEWER, username="patho")


@pytest.fixture
def statistician(db):
    return user_with_role(Role.STATISTICIAN, username="stats")


@pytest.fixture
def registry_admin(db):
    return user_with_role(Role.REGISTRY_ADMIN, username="radmin", is_staff=True)


@pytest.fixture
def case_a(centre_a):
    """A case of centre A, with its identity."""
    case = CaseFactory(centre=centre_a)
    IdentityFactory(case=case)
    return case


@pytest.fixture
def case_b(centre_b):
    case = CaseFactory(centre=centre_b)
    IdentityFactory(case=case, local_identifier="IPP-B-1", initials="MB")
    return case
