"""What every section row shares: its case, and where the derived values came from."""

from django.db import models


class SectionOfCase(models.Model):
    """A one-per-case section (1:1 with Case)."""

    case = models.OneToOneField("crf.Case", on_delete=models.CASCADE, related_name="%(class)s")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} of {self.case.code}"


class RowOfCase(models.Model):
    """A repeating row of a case (N:1)."""

    case = models.ForeignKey("crf.Case", on_delete=models.CASCADE, related_name="%(class)s_set")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} of {self.case.code}"


def rule_version_field() -> models.CharField:
    """The rule version(s) the derived values on this row were computed with."""
    return models.CharField(max_length=200, blank=True, editable=False)
