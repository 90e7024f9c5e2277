"""Sign-up, log-in, profile and account views: parse, call an action, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from koe.accounts import services
from koe.accounts.forms import DeleteAccountForm, LoginForm, ProfileForm, SignUpForm
from koe.accounts.models import Block, User


def _posted(request, *, files=False):
    """The sent data on POST, even when empty, so an empty form is refused, not shown anew."""
    if request.method != "POST":
        return None
    return request.FILES if files else request.POST


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("blogs:dashboard")
    form = SignUpForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.do_sign_up(
            username=data["username"],
            email=data["email"],
            password=data["password"],
            display_name=data["display_name"],
            language=(get_language() or "")[:2],
        )
        login(request, user, backend="koe.accounts.backends.UsernameOrEmailBackend")
        messages.success(request, _("Welcome to Koe! Your blog is ready."))
        # A URL name from settings, so a higher app can greet newcomers without accounts
        # knowing it.
        return redirect(settings.KOE_AFTER_SIGN_UP)
    return render(
        request, "accounts/sign_up.html", {"form": form}, status=400 if form.errors else 200
    )


class RefusedIsBadRequest:
    """A form sent back with errors answers 400, as Koe's own views do."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LoginView(RefusedIsBadRequest, auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(RefusedIsBadRequest, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordResetConfirmView(RefusedIsBadRequest, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


@method_decorator(ratelimit(key="ip", rate="5/h", method="POST", block=True), name="post")
class PasswordResetView(RefusedIsBadRequest, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(_posted(request), _posted(request, files=True), instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            upload = data.pop("avatar_upload", None)
            if data.pop("remove_avatar", False) and not upload:
                services.do_remove_avatar(request.user)
            services.do_update_profile(request.user, avatar_upload=upload, **data)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        # A failed form must not leave its half-validated values on the signed-in user.
        request.user.refresh_from_db()
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    form = DeleteAccountForm(request.user, _posted(request))
    if request.method == "POST" and form.is_valid():
        services.do_delete_account(request.user)
        messages.success(request, _("Your account and everything in it have been deleted."))
        return redirect("blogs:front")
    status = 400 if form.errors else 200
    return render(request, "accounts/delete.html", {"form": form}, status=status)


@login_required
@require_POST
def block(request, username):
    other = get_object_or_404(User, username=username.lower(), is_active=True)
    try:
        services.do_block(request.user, other)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("accounts:blocks")
    messages.success(
        request,
        _("You blocked @%(name)s. They can no longer follow you or react to your posts.")
        % {"name": other.username},
    )
    return redirect("accounts:blocks")


@login_required
@require_POST
def unblock(request, username):
    other = get_object_or_404(User, username=username.lower())
    if services.do_unblock(request.user, other):
        messages.success(request, _("You unblocked @%(name)s.") % {"name": other.username})
    return redirect("accounts:blocks")


@login_required
@require_safe
def blocks(request):
    blocked = Block.objects.filter(blocker=request.user).select_related("blocked")
    return render(request, "accounts/blocks.html", {"blocks": blocked})
