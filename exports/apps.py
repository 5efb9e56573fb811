from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports, data dictionary and import"

    def ready(self) -> None:
        from registry import home
        from registry.models import Role

        from .home import latest_exports

        # The statisticians' home area: their latest exports and the way to start one.
        home.register(
            home.Panel(
                role=Role.STATISTICIAN, template="exports/home_panel.html", context=latest_exports
            )
        )
