"""Koe's URLs: each app's own, the sitemap, health and robots."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path

from koe.analytics import beacon
from koe.blogs.sitemaps import SITEMAPS
from koe.core import views as core_views

handler400 = "koe.core.views.bad_request"
handler403 = "koe.core.views.permission_denied"
handler404 = "koe.core.views.page_not_found"
handler500 = "koe.core.views.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("robots.txt", core_views.robots_txt, name="robots"),
    path("a/t", beacon.time_on_page, name="beacon"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("koe.accounts.urls")),
    path("", include("koe.social.urls")),
    path("", include("koe.official.urls")),
    path("", include("koe.crisis.urls")),
    path("now/", include("koe.now.urls")),
    path("", include("koe.analytics.urls")),
    path("", include("koe.discovery.urls")),
    path("", include("koe.blogs.urls")),
    # Media under server-made names; a proxy or object storage serves them at scale.
    re_path(r"^media/(?P<path>.+)$", core_views.media, name="media"),
]
