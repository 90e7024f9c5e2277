from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficialConfig(AppConfig):
    name = "koe.official"
    label = "official"
    verbose_name = _("Official blogs")
