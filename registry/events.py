"""The base of every audit event table: pghistory's Event plus a hash chaining each event to
the previous event of the same object (see registry.integrity).

Declared as `PGHISTORY_BASE_MODEL`, so every tracked model's event table carries
`pgh_hash`, filled by a database trigger at insert time (never by the application).
"""

from django.db import models
from pghistory import models as pghistory_models


# Named "Event" on purpose: pghistory names each event model after its base (CaseEvent).
class Event(pghistory_models.Event):
    pgh_hash = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        abstract = True
