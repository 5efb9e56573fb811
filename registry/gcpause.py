"""Pausing Python's cyclic garbage collector around bulk work.

A batch of 10,000 CRF rows builds some hundreds of thousands of objects (model instances,
findings, derived values) that all live until the batch ends. Each time allocations pass
the collector's threshold it walks them, finds nothing to free, and as they accumulate the
full passes grow: a third of a batch's time on this machine. Reference counting still
frees everything that is not in a cycle; the collector resumes when the outermost pause
ends and collects what cycles were left, as it would have.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without cyclic collection (nested or concurrent pauses: the one that
    found the collector running turns it back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
