from django.apps import AppConfig


class CrfConfig(AppConfig):
    name = "crf"
    verbose_name = "Case report form"
