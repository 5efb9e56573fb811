"""What every section row shares: its case, and where the derived values came from."""

from django.db import models

from .fields import CLINICAL, QUASI_IDENTIFIER, classify


class SectionOfCase(models.Model):
    """A one-per-case section (1:1 with Case)."""

    # The case's internal id, also in URLs and audit: exported only under the key rules.
    case = classify(
        models.OneToOneField("crf.Case", on_delete=models.CASCADE, related_name="%(class)s"),
        QUASI_IDENTIFIER,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} of {self.case.code}"


class RowOfCase(models.Model):
    """A repeating row of a case (N:1)."""

    case = classify(
        models.ForeignKey("crf.Case", on_delete=models.CASCADE, related_name="%(class)s_set"),
        QUASI_IDENTIFIER,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} of {self.case.code}"


def rule_version_field() -> models.CharField:
    """The rule version(s) the derived values on this row were computed with."""
    # Written by the registry, never typed: not free text.
    return classify(models.CharField(max_length=200, blank=True, editable=False), CLINICAL)
