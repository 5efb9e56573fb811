"""Computing the next part of a bulk job while the database writes the current one.

The batch path alternates pure Python work (judging cases in memory) with statements that
keep the database busy while Python waits on the socket, the GIL released. `computed_ahead`
runs the pure part of chunk n + 1 in one worker thread while the caller writes chunk n, in
the same transaction: the caller alone talks to the database, in order, so all-or-nothing
and the order of the statements stay as they were.

The work handed over must not query: the worker has no part in the caller's transaction
(a query there is refused, `QueryInWorker`). It runs in the caller's language, pinned
(`registry.i18n.language_pinned`), since translation state is per thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connection
from django.utils import translation

from registry.i18n import language_pinned

T = TypeVar("T")
R = TypeVar("R")


class QueryInWorker(RuntimeError):
    pass


def computed_ahead(compute: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """`compute(item)` for each item, in order; while the caller handles one result, the
    next is computed in a worker thread. A single item is computed here, without a thread."""
    if len(items) <= 1:
        yield from (compute(item) for item in items)
        return
    language = translation.get_language()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ahead") as pool:
        pending: Future[R] = pool.submit(_in_worker, compute, items[0], language)
        for item in items[1:]:
            following = pool.submit(_in_worker, compute, item, language)
            yield pending.result()
            pending = following
        yield pending.result()


def _in_worker(compute: Callable[[T], R], item: T, language: str | None) -> R:
    with (
        translation.override(language),
        language_pinned(),
        connection.execute_wrapper(_refuse_query),
    ):
        return compute(item)


def _refuse_query(*args: Any) -> None:
    raise QueryInWorker("Work computed ahead must not query: it is outside the transaction.")
