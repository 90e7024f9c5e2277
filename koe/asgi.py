"""The ASGI application that `koe run` serves: Django, with cached pages answered in front."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koe.settings")
django_application = get_asgi_application()

from koe.core import fastpath  # noqa: E402 - needs the settings configured above
from koe.now.asgi import StreamsShareOneThread  # noqa: E402

application = fastpath.wrap(django_application)
# Live streams (Koe Now) share one thread for their sync parts: koe/now/asgi.py says why.
application = StreamsShareOneThread(application)
