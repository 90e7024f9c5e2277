"""The composer. Length and image limits are checked by the action, which says why."""

from django import forms
from django.utils.translation import gettext_lazy as _

from koe.now.models import MAX_LENGTH, ShortPost


class ComposeForm(forms.Form):
    text = forms.CharField(
        label=_("What is happening?"),
        required=False,
        max_length=MAX_LENGTH * 4,  # longer is refused by the action with the count
        widget=forms.Textarea(attrs={"rows": 3, "data-limit": MAX_LENGTH}),
    )
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        choices=ShortPost.Visibility.choices,
        initial=ShortPost.Visibility.PUBLIC,
    )
    alt = forms.CharField(
        label=_("Describe the images (for people who cannot see them)"),
        required=False,
        max_length=200,
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
