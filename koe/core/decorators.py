"""View decorators shared by the apps."""

from functools import wraps

from django.http import JsonResponse
from django.utils.translation import gettext as _


def login_required_json(view):
    """For endpoints scripts call: a 401 with a message instead of a redirect to log in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            message = _("Your session has ended. Please log in again.")
            return JsonResponse({"error": message}, status=401)
        return view(request, *args, **kwargs)

    return wrapper
