from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports, data dictionary and import"

    def ready(self) -> None:
        from registry import home
        from registry.models import Role

        from .home import latest_exports, latest_study_tables

        # The statisticians' home area: their latest exports and the way to start one.
        home.register(
            home.Panel(
                role=Role.STATISTICIAN, template="exports/home_panel.html", context=latest_exports
            )
        )
        # Coordinators: the study's tables of the latest exports, numbers linked to cases.
        home.register(
            home.Panel(
                role=Role.COORDINATOR,
                template="exports/home_study_panel.html",
                context=latest_study_tables,
                order=80,
            )
        )
