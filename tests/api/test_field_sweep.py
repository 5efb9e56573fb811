"""Every writable field of every section, written through the API with values of the wrong
JSON type, out of range or not finite: a 4xx or a save, never a 5xx, and the case still
reads afterwards (nothing stored that a JSON answer cannot carry).

The fuzzing (test_fuzz.py) samples this space; this sweeps it. It found numbers given for
dates, "1e999" and "nan" stored as infinities, and a year-1 date of birth breaking the
age-adjusted IPSS-R. Marked `security` (make security): about a minute on 2 cores.
"""

from __future__ import annotations

import pytest

from crf.api.sections import SECTIONS, is_repeating
from crf.models import Case
from crf.services import writable_fields
from tests.registry.test_admin import fill_case

pytestmark = pytest.mark.security

ODD_VALUES = [
    None, True, 10**20, 10**400, -1.5, 1e300, "", "1e999", "nan", "0001-01-01",
    "x" * 300, ["a"], {"a": 1},
]  # fmt: skip


def test_no_odd_value_in_any_field_gets_a_server_error(api_b, case_b):
    rows = fill_case(case_b, biopsy=True)
    api_b.raise_request_exception = False
    errors: set[tuple[str, str, str]] = set()
    swept = 0
    for name, model in sorted(SECTIONS.items()):
        row = rows.get(model)
        if row is None:
            continue
        path = f"/api/v1/cases/{case_b.code}/sections/{name}/"
        path += f"{row.pk}/" if is_repeating(model) else ""
        for field in sorted(writable_fields(model)):
            for value in ODD_VALUES:
                version = Case.objects.get(pk=case_b.pk).version
                response = api_b.patch(
                    path, {field: value}, format="json", HTTP_IF_MATCH=f'"{version}"'
                )
                swept += 1
                if response.status_code >= 500:
                    errors.add((name, field, repr(value)[:20]))
        if api_b.get(path).status_code != 200:
            errors.add((name, "read afterwards", ""))
    assert swept > 1000
    assert not errors, sorted(errors)
