from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrfConfig(AppConfig):
    name = "crf"
    verbose_name = _("Case report form")

    def ready(self) -> None:
        from crf import completeness, home, lifecycle
        from registry import home as registry_home
        from registry.models import Role

        # A draft is submitted once its required answers are all given.
        lifecycle.guard("submit")(completeness.submission_blockers)
        registry_home.register(
            registry_home.Panel(
                role=Role.INVESTIGATOR,
                template="crf/home/investigator.html",
                context=home.investigator_panel,
                order=10,
            )
        )
