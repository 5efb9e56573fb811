"""`registry.addresses.address_of`: the addresses `reverse` gives, from one reverse."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.addresses import address_of


@pytest.mark.parametrize("code", ["LE-ABC123", "a b", "ü é?#%", "x:y@z~!$&'()*+,;="])
def test_a_case_address_is_what_reverse_gives(code):
    assert address_of("crf:case_detail")(code) == reverse("crf:case_detail", args=[code])


def test_a_section_address_keeps_the_case_and_sets_the_slug():
    address = address_of("crf:section", "LE 1?")
    for slug in ("demographics", "skin-biopsies"):
        assert address(slug) == reverse("crf:section", args=["LE 1?", slug])
