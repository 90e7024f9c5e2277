"""Koe's configuration: environment variables with the KOE_ prefix, all optional."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict


class KoeConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOE_", extra="ignore")

    #: Where the SQLite database, the task queue, media and the secret key live.
    data_dir: Path = Path("var")
    #: A database URL (postgres://user@host/db); SQLite in the data dir when unset.
    database_url: str | None = None
    #: Most PostgreSQL connections one server process keeps in its pool (requests wait for one
    #: when all are busy); PostgreSQL's own limit must cover every process's pool.
    database_pool_size: int = 10
    #: A Redis URL; when set, Redis carries the cache, the task queue and the channel layer.
    redis_url: str | None = None
    #: Django's secret key; generated once and kept in the data dir when unset.
    secret_key: str | None = None
    #: Django's debug mode; never in production.
    debug: bool = False
    #: Comma-separated host names this server answers for (besides the one in base_url).
    allowed_hosts: str = "127.0.0.1,localhost,[::1]"
    #: The public address of the site, used in feeds, e-mails and canonical links.
    base_url: str = "http://127.0.0.1:8000"
    #: SMTP server for e-mail; e-mails are printed to the console when unset.
    email_host: str | None = None
    email_port: int = 587
    email_user: str = ""
    email_password: str = ""
    email_use_tls: bool = True
    #: The sender of Koe's e-mails.
    email_from: str = "Koe <noreply@localhost>"
    #: How many reverse proxies stand in front (their X-Forwarded-For tells the address).
    proxy_count: int = 0
    #: Comma-separated addresses of those proxies, whose X-Forwarded-* headers are believed.
    trusted_proxies: str = "127.0.0.1"
    #: Days to keep raw page views; the daily counts made from them are kept forever.
    analytics_keep_days: int = 30
    #: A local MaxMind country database (.mmdb); when set, analytics shows readers' countries.
    geoip_path: Path | None = None
    #: Largest image upload accepted, in bytes.
    max_upload_bytes: int = 20 * 1024 * 1024
    #: Serve signed-out readers' public pages from a cache (on unless set to false).
    page_cache: bool = True
    #: How long nginx or a CDN in front may keep a public page (s-maxage); 0 keeps every
    #: view on Koe, where analytics counts it.
    page_cache_shared_seconds: int = 0

    @property
    def base_host(self) -> str:
        return urlsplit(self.base_url).hostname or "127.0.0.1"

    @property
    def is_https(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def host_list(self) -> list[str]:
        hosts = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        if self.base_host not in hosts:
            hosts.append(self.base_host)
        return hosts

    def ensure_secret_key(self) -> str:
        """The configured key, or one generated once and kept (mode 600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written aside, then linked into place: processes starting together agree on one key.
            fd, tmp = tempfile.mkstemp(dir=self.data_dir)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(50))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        return path.read_text().strip()
