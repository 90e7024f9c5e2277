from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlogsConfig(AppConfig):
    name = "koe.blogs"
    label = "blogs"
    verbose_name = _("Blogs")

    def ready(self):
        from koe.blogs import receivers  # noqa: F401
