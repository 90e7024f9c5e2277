"""Koe's settings with page-view counting switched off, for bench/analytics.py only.

The benchmark starts a second `koe run` with DJANGO_SETTINGS_MODULE=bench.settings_nocount
(and PYTHONPATH=.) to compare the post page's throughput with and without counting.
Never used by Koe itself.
"""

from koe.settings import *  # noqa: F403
from koe.settings import MIDDLEWARE as _MIDDLEWARE

MIDDLEWARE = [m for m in _MIDDLEWARE if m != "koe.analytics.middleware.CountViewsMiddleware"]
