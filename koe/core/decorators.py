"""View decorators shared by the apps."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
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


def staff_required(view):
    """Staff only: others are asked to log in, or (signed in) find no page here at all."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
