from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlogsConfig(AppConfig):
    name = "koe.blogs"
    label = "blogs"
    verbose_name = _("Blogs")

    def ready(self):
        from koe.blogs import panels, receivers  # noqa: F401 - receivers connect on import
        from koe.core import slots

        slots.register("blog_sidebar", panels.membership_box, order=20)
        slots.register("post_footer", panels.reblogs_box, order=15)
