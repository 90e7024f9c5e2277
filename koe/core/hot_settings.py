"""Settings read on every request, from a plain dict.

django.conf.settings is a lazy object: each attribute read goes through its
__getattribute__, about a microsecond, and a cached page is answered in a few tens of
them. The dict is emptied whenever a setting changes (override_settings in tests sends
setting_changed), so what is read here is always what settings say.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_values: dict[str, object] = {}
_MISSING = object()


def get(name: str, default=None):
    value = _values.get(name, _MISSING)
    if value is _MISSING:
        value = _values[name] = getattr(settings, name, default)
    return value


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    _values.clear()
