"""Activates the viewer's language and time zone for each request."""

import zoneinfo
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils import timezone, translation

from koe.core.views import bad_encoding


class PreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = translation.get_language() or settings.LANGUAGE_CODE
        zone_name = None
        if user is not None and user.is_authenticated:
            if user.language and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
                language = user.language
                translation.activate(language)
                request.LANGUAGE_CODE = language
            zone_name = user.time_zone or None
        if not zone_name:
            zone_name = settings.KOE_DEFAULT_TIME_ZONES.get(language[:2], "UTC")
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo("UTC"))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class StrictFormEncodingMiddleware:
    """Refuse form posts whose fields are not UTF-8, rather than store them garbled.

    Django decodes form fields with errors="replace", so bytes that are not UTF-8 would
    silently become U+FFFD in a saved title; a clear 400 is kinder to the writer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            try:
                parse_qsl(
                    request.body.decode("latin-1"),
                    keep_blank_values=True,
                    encoding="utf-8",
                    errors="strict",
                )
            except UnicodeDecodeError:
                return bad_encoding(request)
            except RequestDataTooBig:
                pass  # Django answers this itself, with its own page
        return self.get_response(request)
