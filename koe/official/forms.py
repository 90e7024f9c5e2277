"""Forms of the application page and the moderation page; the actions check again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from koe.blogs.models import OFFICIAL_CATEGORIES
from koe.official.models import MAX_EVIDENCE, MAX_REAL_NAME, MAX_REASON


class ApplicationForm(forms.Form):
    category = forms.ChoiceField(
        label=pgettext_lazy("official", "Category"),
        choices=[("", _("Choose a category"))] + OFFICIAL_CATEGORIES,
    )
    real_name = forms.CharField(
        label=_("Real name or organisation"),
        max_length=MAX_REAL_NAME,
        help_text=_("Staff see this; it is not shown on your blog."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=MAX_EVIDENCE,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Links to your official website or verified social accounts that mention this "
            "blog, and anything else that helps staff see it is you."
        ),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_REASON)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_REASON, required=False)


class TopBloggerForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=30)
    on = forms.TypedChoiceField(
        label=_("Mark"),
        choices=[("1", _("Mark as top blogger")), ("0", _("Remove the mark"))],
        coerce=lambda value: value == "1",
    )
