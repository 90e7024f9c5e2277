from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "koe.discovery"
    label = "discovery"
    verbose_name = _("Discovery")

    def ready(self):
        from koe.core import slots
        from koe.discovery import receivers, trend_views  # noqa: F401 - receivers connect on import

        slots.register("front_top", trend_views.front_trends, order=20)
        slots.register("dashboard_side", trend_views.dashboard_suggestions, order=50)
        slots.register("post_footer", trend_views.related_posts, order=15)
        slots.register("footer_links", trend_views.footer_link, order=20)
