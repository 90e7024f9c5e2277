"""Site-wide endpoints: health, robots.txt and the error pages."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import serve as static_serve


@never_cache
@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /dashboard/",
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /a/",
        f"Sitemap: {settings.BASE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def media(request, path):
    """Uploaded files under server-made names never change, so caches may keep them."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _error(request, status, title, message):
    context = {"status": status, "title": title, "message": message}
    return render(request, "core/error.html", context, status=status)


def rate_limited(request, exception=None):
    return _error(
        request, 429, _("Slow down a little"), _("Too many requests. Please wait and try again.")
    )


def csrf_failure(request, reason=""):
    return _error(
        request,
        403,
        _("This form has expired"),
        _("Please go back, reload the page and try again."),
    )


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return _error(
            request,
            413,
            _("Too much at once"),
            _("What you sent is larger than Koe accepts. Please send less and try again."),
        )
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def bad_encoding(request):
    return _error(
        request,
        400,
        _("Bad request"),
        _("The form contained characters that are not valid text. Please check and try again."),
    )


def permission_denied(request, exception=None):
    return _error(request, 403, _("Not allowed"), _("You do not have permission to see this page."))


def page_not_found(request, exception=None):
    return _error(
        request, 404, _("Page not found"), _("There is nothing here. It may have been deleted.")
    )


def server_error(request):
    return _error(request, 500, _("Something went wrong"), _("Please try again in a moment."))
