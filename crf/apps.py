from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrfConfig(AppConfig):
    name = "crf"
    verbose_name = _("Case report form")

    def ready(self) -> None:
        from crf import completeness, lifecycle

        # A draft is submitted once its required answers are all given.
        lifecycle.guard("submit")(completeness.submission_blockers)
