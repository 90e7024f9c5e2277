"""Test settings: Koe's own, with a throw-away data dir, tasks run inline, fast hashing.

When KOE_REDIS_URL is set, each pytest-xdist worker gets a Redis database of its own,
so clearing the cache in one worker never touches another's.
"""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_index = int(_worker[2:] or 0) if _worker.startswith("gw") else 0
os.environ["KOE_DATA_DIR"] = tempfile.mkdtemp(prefix=f"koe-test-{_worker}-")
if os.environ.get("KOE_REDIS_URL"):
    parts = urlsplit(os.environ["KOE_REDIS_URL"])
    os.environ["KOE_REDIS_URL"] = urlunsplit(parts._replace(path=f"/{1 + _index % 15}"))

from koe.settings import *  # noqa: E402,F403
from koe.settings import HUEY  # noqa: E402

HUEY = {**HUEY, "immediate": True}
KOE_ANALYTICS_BUFFERED = False  # each counted view is written at once, so tests can see it
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"  # tests that need Japanese ask for it with Accept-Language
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

_run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8]
if _run and "postgresql" in DATABASES["default"]["ENGINE"]:  # noqa: F405
    # Two checkouts testing at once on one server must not share test databases.
    DATABASES["default"]["TEST"] = {"NAME": f"test_koe_{_run}"}  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file in WAL mode, as in production: in-memory SQLite cannot wait for a lock.
    _test_db = os.path.join(os.environ["KOE_DATA_DIR"], "test.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _test_db}  # noqa: F405
