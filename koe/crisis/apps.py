from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "koe.crisis"
    label = "crisis"
    verbose_name = _("Crisis hub")

    def ready(self):
        from koe.core import slots
        from koe.crisis import panels

        slots.register("site_banner", panels.banner, order=10)
        slots.register("footer_links", panels.footer_link, order=50)
