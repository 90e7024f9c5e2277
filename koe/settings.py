"""Django settings for Koe, derived from KoeConfig (KOE_* environment variables)."""

from __future__ import annotations

import os
from datetime import timedelta

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from koe.config import KoeConfig

KOE = KoeConfig()
DATA_DIR = KOE.data_dir.resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
BASE_URL = KOE.base_url.rstrip("/")

SECRET_KEY = KOE.ensure_secret_key()
DEBUG = KOE.debug
ALLOWED_HOSTS = KOE.host_list()
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "koe.core",
    "koe.accounts",
    "koe.blogs",
    "koe.social",
    "koe.analytics",
    "koe.discovery",
    "koe.official",
    "koe.crisis",
    "koe.now",
    "koe.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "koe.analytics.middleware.CountViewsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Signed-out readers' pages from the cache; inside the counter, so cached views count.
    "koe.core.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "koe.core.middleware.StrictFormEncodingMiddleware",
    "django.middleware.common.CommonMiddleware",
    "koe.core.pagecache.TokenlessCsrfMiddleware",  # Django's, plus Origin-checked cached forms
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "koe.core.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "koe.urls"
ASGI_APPLICATION = "koe.asgi.application"
WSGI_APPLICATION = "koe.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "koe.core.context_processors.site",
            ],
            "builtins": ["koe.core.templatetags.koe"],
        },
    }
]

# --- Database: SQLite in WAL mode by default, anything dj-database-url reads otherwise.
if KOE.database_url:
    DATABASES = {"default": dj_database_url.parse(KOE.database_url, conn_max_age=60)}
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each request's synchronous code runs on a thread of its own, so a
        # connection kept per thread (CONN_MAX_AGE) was a new connection per request: about
        # 4 ms of CPU, 150 answers a second. A pool hands connections from request to request.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": max(2, KOE.database_pool_size),
            "timeout": 10,
            "name": "koe",
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "koe.sqlite3",
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; "
                    # 64 MB of page cache and memory-mapped reads: fan-out and feeds 3x faster.
                    "PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, task queue and channel layer: in-process by default, Redis when configured.
if KOE.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "koe.core.rediscache.SharedRedisCache",
            "LOCATION": KOE.redis_url,
            "KEY_PREFIX": "koe",
        },
        # Rendered pages for signed-out readers (koe/core/pagecache.py), shared by all workers.
        "pages": {
            "BACKEND": "koe.core.rediscache.SharedRedisCache",
            "LOCATION": KOE.redis_url,
            "KEY_PREFIX": "koe-pages",
        },
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "koe",
        "immediate": False,
        "url": KOE.redis_url,
        "consumer": {"workers": 2, "worker_type": "thread", "max_delay": 0.5},
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [KOE.redis_url], "prefix": "koe"},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rendered pages for signed-out readers: 2,000 pages of ~30-80 KB stay well in memory.
        "pages": {
            "BACKEND": "koe.core.pagecache.PageStore",  # Django's LocMemCache, leaner keys
            "LOCATION": "koe-pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "koe",
        "immediate": False,
        "filename": str(DATA_DIR / "tasks.sqlite3"),
        # An idle SQLite queue is polled at least twice a second (Huey backs off to 10 s).
        "consumer": {"workers": 2, "worker_type": "thread", "max_delay": 0.5},
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts and security.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "koe.accounts.backends.UsernameOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "blogs:dashboard"
#: Where a newcomer goes right after signing up: discovery's step to follow a few blogs.
KOE_AFTER_SIGN_UP = "discovery:welcome"
LOGOUT_REDIRECT_URL = "blogs:front"

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
KOE_PROXY_COUNT = KOE.proxy_count
AXES_IPWARE_PROXY_COUNT = KOE.proxy_count or None
RATELIMIT_VIEW = "koe.core.views.rate_limited"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "koe.core.views.csrf_failure"
# TokenlessCsrfMiddleware is Django's CsrfViewMiddleware (a subclass), which the check
# looks for by name only.
SILENCED_SYSTEM_CHECKS = ["security.W003"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if KOE.is_https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    LANGUAGE_COOKIE_SECURE = True

# Scripts and styles only from our own static files; nothing framed, no plug-ins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Uploads: large bodies are refused before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
KOE_MAX_UPLOAD_BYTES = KOE.max_upload_bytes
KOE_MAX_IMAGE_PIXELS = 40_000_000

# --- E-mail: printed to the console unless an SMTP server is configured.
if KOE.email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = KOE.email_host
    EMAIL_PORT = KOE.email_port
    EMAIL_HOST_USER = KOE.email_user
    EMAIL_HOST_PASSWORD = KOE.email_password
    EMAIL_USE_TLS = KOE.email_use_tls
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = KOE.email_from
SERVER_EMAIL = KOE.email_from

# --- Languages and time: Japanese and English, stored in UTC.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [os.path.join(os.path.dirname(__file__), "locale")]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
KOE_DEFAULT_TIME_ZONES = {"ja": "Asia/Tokyo", "en": "Asia/Tokyo"}

# --- Static files and media.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600  # unhashed names; hashed ones are kept for good (immutable)

# --- Page cache for signed-out readers (docs/PERFORMANCE.md "Read path").
KOE_PAGE_CACHE = KOE.page_cache
KOE_PAGE_CACHE_SECONDS = 300  # a blog's pages at most (related posts from other blogs)
KOE_PAGE_CACHE_SITE_SECONDS = 30  # front, tag and ranking pages at most (cards' counts)
KOE_PAGE_CACHE_SHARED_SECONDS = KOE.page_cache_shared_seconds  # s-maxage for nginx / a CDN
#: Middleware outside the page cache that must see every answer from it (the others' headers
#: are the same for the same page, so koe/core/fastpath.py reuses them).
KOE_PAGE_CACHE_EVERY_ANSWER = ["koe.analytics.middleware.CountViewsMiddleware"]

# --- Analytics: hits are buffered and written in batches; raw hits kept this many days.
KOE_ANALYTICS_BUFFERED = True
KOE_ANALYTICS_KEEP_DAYS = KOE.analytics_keep_days
KOE_ANALYTICS_DEFAULT_ZONE = "Asia/Tokyo"
KOE_GEOIP_PATH = str(KOE.geoip_path) if KOE.geoip_path else ""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"koe": {"level": "INFO"}},
}
