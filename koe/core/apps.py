from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "koe.core"
    label = "core"
    verbose_name = "Koe core"
