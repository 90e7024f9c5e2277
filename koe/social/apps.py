from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "koe.social"
    label = "social"
    verbose_name = _("Social")

    def ready(self):
        from koe.core import slots
        from koe.social import panels, receivers  # noqa: F401 - receivers connect on import

        slots.register("post_footer", panels.post_reactions, order=10)
        slots.register("post_footer", panels.post_comments, order=20)
        slots.register("dashboard_side", panels.pending_comments, order=10)
        slots.register("blog_sidebar", panels.follow_box, order=10)
        slots.register("header_nav", panels.header_links, order=10)
