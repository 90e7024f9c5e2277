"""What a Granian worker serves: Koe's ASGI application, with the task consumer inside.

Granian's workers are processes of their own, so the consumer runs in the worker, where
the local-memory page cache its jobs retire pages from lives (`koe run --server granian`).
"""

from __future__ import annotations

import gc
import multiprocessing.util
import os

CONSUMER_ENV = "KOE_RUN_CONSUMER"


def start_consumer():
    """Huey's consumer as threads of this process (the process keeps its signal handlers)."""
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    options = dict(settings.HUEY.get("consumer", {}))
    consumer = HUEY.create_consumer(
        workers=options.get("workers", 2),
        worker_type="thread",
        periodic=True,
        max_delay=options.get("max_delay", 0.5),
    )
    consumer.start()
    return consumer


def application():
    """Granian's factory: the application, the client's address from a trusted proxy's
    X-Forwarded-For (as uvicorn's proxy_headers does), and the consumer when asked."""
    from django.conf import settings
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from koe.asgi import application as koe_application

    if os.environ.get(CONSUMER_ENV) == "1":
        consumer = start_consumer()
        # A worker process ends with os._exit(): atexit's handlers would not run.
        multiprocessing.util.Finalize(
            None, consumer.stop, kwargs={"graceful": True}, exitpriority=5
        )
    app = ProxyHeadersMiddleware(koe_application, trusted_hosts=settings.KOE.trusted_proxies)
    # Everything loaded so far (Django, the apps, the templates) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it.
    gc.collect()
    gc.freeze()
    return app
