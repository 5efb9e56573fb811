"""The batch write path (validated, audited), 10,000 rows, against `COPY FROM` of the same
rows. Written in a transaction that is rolled back: the benchmark database stays as built."""

from __future__ import annotations

import random

from django.db import transaction

from benchmarks import reference
from benchmarks.harness import Bench, timed

ROWS = 10_000
TARGET_ROWS_PER_S = 5_000


def synthetic_items(rows: int, seed: int = 99) -> list:
    """New synthetic patients, whole, until `rows` rows (about ten a patient)."""
    from demo import synthetic
    from registry.models import Centre

    centres = list(Centre.objects.values_list("pk", flat=True))
    rng = random.Random(seed)
    items: list = []
    while len(items) < rows:
        items += synthetic.patient(rng, rng.choice(centres), 990_000_000 + len(items))
    return items


def batch_write(bench: Bench) -> None:
    from crf import access
    from crf.batch import WRITE_ORDER, batch_save
    from crf.models import Case
    from registry.audit import Source

    items = synthetic_items(ROWS)
    models = [Case, *WRITE_ORDER]
    with transaction.atomic():
        before = {m: reference.last_id(m) for m in models}
        with timed() as t:
            result = batch_save(
                actor=access.SYSTEM,
                items=items,
                source=Source.IMPORT,
                reason="benchmark",
                acknowledge_all=True,
            )
        rows = sum(result.created.values())
        copy_seconds = 0.0
        for model in models:
            data, _n, _s = reference.copy_out(model, reference.newer_than(model, before[model]))
            copy_seconds += reference.copy_in(model, data)
        transaction.set_rollback(True)
    seconds = t[0]
    bench.record("batch write: rows/s (validated, audited)", rows / seconds, "rows/s",
                 f">= {TARGET_ROWS_PER_S}")  # fmt: skip
    bench.record("batch write: seconds for the rows", seconds, "s")
    bench.record("batch write: rows written", rows, "rows")
    bench.record("batch write / COPY FROM of the same rows", seconds / copy_seconds, "x",
                 reference=f"COPY FROM {copy_seconds:.3f} s")  # fmt: skip
