"""registry.ahead: the next chunk computed in a worker while the caller writes this one."""

import threading

import pytest
from django.db import connection
from django.utils import translation

from crf.models import Case
from registry import i18n
from registry.ahead import QueryInWorker, computed_ahead


def test_results_come_in_order_and_the_next_is_computed_while_one_is_handled():
    second_done = threading.Event()

    def compute(n: int) -> int:
        if n == 2:
            second_done.set()
        return n * n

    seen = []
    for result in computed_ahead(compute, [1, 2, 3]):
        if result == 1:  # while the caller handles the first, the worker computes the second
            assert second_done.wait(timeout=10)
        seen.append(result)
    assert seen == [1, 4, 9]


def test_the_worker_words_in_the_callers_language_pinned():
    def compute(_n: int) -> tuple[str, str]:
        return i18n.gettext("not entered"), threading.current_thread().name

    for language, words in (("fr", "non saisi"), ("en", "not entered")):
        with translation.override(language):
            results = list(computed_ahead(compute, [1, 2]))
        assert [w for w, _ in results] == [words, words]
        assert all(name.startswith("ahead") for _, name in results)


def test_one_item_is_computed_in_the_callers_thread():
    assert list(computed_ahead(lambda _n: threading.current_thread().name, [1])) == [
        threading.current_thread().name
    ]


@pytest.mark.django_db
def test_a_query_in_the_worker_is_refused_and_raised_to_the_caller():
    def compute(_n: int) -> int:
        return Case.objects.count()

    with pytest.raises(QueryInWorker):
        list(computed_ahead(compute, [1, 2]))
    assert connection.in_atomic_block  # the caller's transaction is untouched
    assert Case.objects.count() == 0
