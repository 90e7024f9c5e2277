from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "koe.discovery"
    label = "discovery"
    verbose_name = _("Discovery")

    def ready(self):
        from koe.core import slots
        from koe.discovery import ranking_panels, ranking_tasks, receivers  # noqa: F401 - connect

        slots.register("front_top", ranking_panels.front_picks, order=10)
        slots.register("dashboard_side", ranking_panels.dashboard_notices, order=5)
        slots.register("post_footer", ranking_panels.staff_pick_link, order=90)
