from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = "Cohorts, eligibility and review"

    def ready(self) -> None:
        # crf offers hooks; cohorts registers here (crf never imports cohorts).
        from cohorts import extensions

        extensions.register_all()
