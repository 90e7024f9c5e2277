"""A person on Koe."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.files.storage import default_storage
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

username_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{1,29}\Z",
    _("Use 2–30 lower-case letters, digits, '-' or '_', starting with a letter or digit."),
    code="invalid_username",
)
LANGUAGE_CHOICES = [("", _("Automatic")), ("ja", "日本語"), ("en", "English")]


class User(AbstractUser):
    username = models.CharField(
        _("username"),
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text=_("Your blog's address: /@username/. It cannot be changed later."),
        error_messages={"unique": _("This username is already taken.")},
    )
    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("display name"), max_length=50)
    bio = models.TextField(_("about you"), max_length=500, blank=True)
    avatar = models.CharField(max_length=200, blank=True, editable=False)
    avatar_small = models.CharField(max_length=200, blank=True, editable=False)
    language = models.CharField(_("language"), max_length=8, blank=True, choices=LANGUAGE_CHOICES)
    # Validated by the profile form against the installed time zones; no choices here,
    # so a tzdata update never asks for a migration.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def avatar_url(self) -> str:
        return default_storage.url(self.avatar) if self.avatar else ""

    @property
    def avatar_small_url(self) -> str:
        return default_storage.url(self.avatar_small) if self.avatar_small else ""


class Block(models.Model):
    """One person refusing another: no follows, comments, likes, reblogs or memberships."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="accounts_block_once")
        ]

    def __str__(self) -> str:
        return f"{self.blocker} ⊘ {self.blocked}"
