"""`koe run`: migrate, collect static files, then serve over ASGI with the task consumer inside."""

from __future__ import annotations

import logging
import os
import resource
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

log = logging.getLogger("koe")

#: Requests (open live streams, mostly) one Granian worker takes at once.
STREAMS_PER_WORKER = 20_000
#: Seconds a stopping worker gets before it is killed.
WORKER_KILL_SECONDS = 20


class Command(BaseCommand):
    help = "Migrate, then serve Koe over ASGI (Granian) with the background task consumer inside."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Server processes (PostgreSQL + Redis mode; SQLite wants one).",
        )
        parser.add_argument(
            "--no-consumer",
            action="store_true",
            help="Leave background tasks to separate `koe worker` processes.",
        )
        parser.add_argument("--skip-migrate", action="store_true")
        parser.add_argument(
            "--server",
            choices=["uvicorn", "granian"],
            default=os.environ.get("KOE_SERVER", "granian"),
            help="The ASGI server: Granian (faster; docs/PERFORMANCE.md, Read path) or uvicorn.",
        )

    def handle(self, *args, host, port, workers, no_consumer, skip_migrate, server, **options):
        if workers > 1 and not settings.CACHES["pages"]["BACKEND"].endswith("RedisCache"):
            # Each process would keep its own page cache, and a change made through one
            # would not retire the pages the others keep.
            raise CommandError("--workers above 1 needs KOE_REDIS_URL (a cache all share).")
        if not skip_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if server == "granian":
            self.stdout.write(f"Koe is serving on http://{host}:{port}/ (Ctrl+C to stop)")
            self._granian(host, port, workers, consumer=not no_consumer)
        consumer = None
        if not no_consumer:
            consumer = self._start_consumer()
        self.stdout.write(f"Koe is serving on http://{host}:{port}/ (Ctrl+C to stop)")
        try:
            self._uvicorn(host, port, workers)
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)

    def _uvicorn(self, host, port, workers):
        import uvicorn

        uvicorn.run(
            "koe.asgi:application",
            host=host,
            port=port,
            workers=workers if workers > 1 else None,  # one: in this process, with the consumer
            loop="uvloop",
            http="httptools",
            proxy_headers=True,
            forwarded_allow_ips=settings.KOE.trusted_proxies,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )

    def _granian(self, host, port, workers, consumer: bool):
        # Granian's workers are processes of their own: this one steps aside for Granian's
        # small supervisor (no Django in it), and each worker loads Koe and, unless the
        # consumer runs elsewhere, the task consumer (koe/core/serving.py).
        from koe.core import serving

        os.environ[serving.CONSUMER_ENV] = "1" if consumer else "0"
        # A live timeline is a request that lasts: Granian's default of backlog/workers
        # (1,024) requests at once per worker would stop the server at the 1,025th reader.
        # Each open stream costs about 33 KB; the file limit is raised to match.
        os.environ.setdefault("GRANIAN_BACKPRESSURE", str(STREAMS_PER_WORKER))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 65_536 if hard == resource.RLIM_INFINITY else hard
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        args = [
            sys.executable, "-m", "granian", "--interface", "asginl", "--factory",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--loop", "uvloop", "--log-level", "warning", "--no-access-log",
            # A worker whose request thread still waits on the stopped event loop never
            # ends (its exit joins that thread): it is killed after its views are written.
            "--workers-kill-timeout", str(WORKER_KILL_SECONDS),
            "koe.core.serving:application",
        ]  # fmt: skip
        sys.stdout.flush()
        os.execv(sys.executable, args)  # noqa: S606 - this interpreter, fixed arguments

    def _start_consumer(self):
        from koe.core import serving

        return serving.start_consumer()  # threads only: uvicorn keeps the signal handlers
