from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "koe.discovery"
    label = "discovery"
    verbose_name = _("Discovery")

    def ready(self):
        from koe.discovery import receivers  # noqa: F401 - receivers connect on import
