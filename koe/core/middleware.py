"""Activates the viewer's language and time zone for each request."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


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
