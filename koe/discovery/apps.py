from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "koe.discovery"
    label = "discovery"
    verbose_name = _("Discovery")

    def ready(self):
        from koe.core import slots
        from koe.discovery import ranking_panels, ranking_tasks, receivers, trend_views  # noqa: F401

        slots.register("front_top", ranking_panels.front_picks, order=10)
        slots.register("dashboard_side", ranking_panels.dashboard_notices, order=5)
        slots.register("post_footer", ranking_panels.staff_pick_link, order=90)
        slots.register("footer_links", ranking_panels.footer_links, order=15)
        from koe.discovery import search_panels

        slots.register("blog_sidebar", search_panels.blog_search_box, order=30)
        slots.register("front_top", trend_views.front_trends, order=20)
        slots.register("dashboard_side", trend_views.dashboard_suggestions, order=50)
        slots.register("post_footer", trend_views.related_posts, order=15)
        slots.register("footer_links", trend_views.footer_link, order=20)
