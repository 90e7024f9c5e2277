from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NowConfig(AppConfig):
    name = "koe.now"
    label = "now"
    verbose_name = _("Koe Now")

    def ready(self):
        from koe.core import slots
        from koe.now import panels, receivers  # noqa: F401 (receivers connect on import)

        slots.register("footer_links", panels.footer_link, order=20)
        slots.register("blog_sidebar", panels.latest_bubble, order=5)
