"""The notifications page, the unread count in the header, and the per-kind settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from koe.social import notifications
from koe.social.models import Notification


@login_required
@require_safe
def notification_list(request):
    items = Notification.objects.filter(recipient=request.user).select_related(
        "actor", "blog__owner", "post__blog__owner"
    )
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    # Deny by default: what the reader may no longer see is named by nothing.
    page.object_list = notifications.with_links(list(page.object_list), request.user)
    return render(request, "social/notifications.html", {"page": page})


@login_required
@require_POST
def mark_read(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    notifications.do_mark_read(request.user, ids)
    if request.htmx:
        return render(request, "social/_unread.html", {"unread": 0 if ids is None else None})
    return redirect("social:notifications")


@require_safe
def unread(request):
    """The header's count; htmx asks again every 30 seconds."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    count = notifications.unread_count(request.user)
    return render(request, "social/_unread.html", {"unread": count})


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    kinds = Notification.Kind.choices
    if request.method == "POST":
        choices = {
            kind: (f"site-{kind}" in request.POST, f"email-{kind}" in request.POST)
            for kind, _label in kinds
        }
        notifications.do_set_preferences(request.user, choices)
        messages.success(request, _("Your notification settings have been saved."))
        return redirect("social:notification_settings")
    chosen = notifications.preferences_for(request.user)
    rows = [(kind, label, *chosen[kind]) for kind, label in kinds]
    return render(request, "social/notification_settings.html", {"rows": rows})
