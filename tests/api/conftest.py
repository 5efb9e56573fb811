"""API test helpers: clients authenticated by a token of each scope."""

import pytest
from rest_framework.test import APIClient

from registry import tokens
from tests.registry.test_admin import fill_case


def token_client(user, scope="read_write", days=30):
    _token, secret = tokens.issue(user, name=f"{scope}-{days}-{user.pk}", scope=scope, days=days)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.secret = secret
    return client


@pytest.fixture
def api_a(investigator_a):
    return token_client(investigator_a)


@pytest.fixture
def api_b(investigator_b):
    return token_client(investigator_b)


@pytest.fixture
def filled_a(case_a):
    return fill_case(case_a, biopsy=True)


@pytest.fixture
def filled_b(case_b):
    return fill_case(case_b, biopsy=False)
