"""Forms for signing up, logging in and editing one's profile."""

import zoneinfo

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from koe.accounts.models import User, username_validator
from koe.core import images
from koe.core.text import clean_line, clean_text


class SignUpForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("Your blog's address: /@username/. It cannot be changed later."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=50)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    # People do not fill in hidden fields; some robots do.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_username(self):
        username = self.cleaned_data["username"].strip().lower()
        username_validator(username)
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("This username is already taken."), code="taken")
        return username

    def clean_display_name(self):
        name = clean_line(self.cleaned_data["display_name"])
        if not name:
            raise forms.ValidationError(_("Please enter a display name."), code="required")
        return name

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists."), code="taken"
            )
        return email

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(_("Something went wrong. Please try again."))
        password = data.get("password")
        if password:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


def time_zone_choices():
    zones = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")
    )
    return [("", _("Automatic (Asia/Tokyo)")), ("UTC", "UTC"), *((z, z) for z in zones)]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, required=False)
    avatar_upload = forms.FileField(
        label=_("Profile picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    remove_avatar = forms.BooleanField(label=_("Remove the profile picture"), required=False)

    class Meta:
        model = User
        fields = ["display_name", "bio", "language", "time_zone"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.avatar:
            del self.fields["remove_avatar"]

    def clean_display_name(self):
        name = clean_line(self.cleaned_data["display_name"])
        if not name:
            raise forms.ValidationError(_("Please enter a display name."), code="required")
        return name

    def clean_bio(self):
        return clean_text(self.cleaned_data["bio"]).strip()

    def clean_avatar_upload(self):
        upload = self.cleaned_data.get("avatar_upload")
        if upload:
            images.validate_image(upload)
        return upload


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="wrong")
        return password
