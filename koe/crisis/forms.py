"""Forms of the crisis hub; the actions check everything again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from koe.crisis.models import (
    MAX_ALERT,
    MAX_AREA,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_NOTE,
    MAX_PLACE,
    STATUSES,
    Report,
)

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
#: The crisis's own areas are offered as one types (a <datalist> on the page).
_AREA = forms.TextInput(attrs={"list": "crisis-areas"})


class DeclareForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the crisis"),
        max_length=MAX_NAME,
        help_text=_("For example: 能登半島地震 / Typhoon No. 15"),
    )
    area = forms.CharField(label=_("Area"), max_length=MAX_AREA)
    started_at = forms.DateTimeField(
        label=_("Start time"), widget=_DATETIME, input_formats=_FORMATS
    )
    areas = forms.CharField(
        label=_("Smaller areas (optional)"),
        required=False,
        max_length=1200,
        help_text=_("Separated by commas; each gets its own hashtag."),
    )


class AlertForm(forms.Form):
    body = forms.CharField(
        label=_("Alert"), max_length=MAX_ALERT, widget=forms.Textarea(attrs={"rows": 3})
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)


class CheckInForm(forms.Form):
    message = forms.CharField(
        label=_("Message (optional)"),
        max_length=MAX_MESSAGE,
        required=False,
        help_text=_("Everyone can read your check-in."),
    )
    area = forms.CharField(
        label=_("Where you are (optional)"), max_length=MAX_AREA, required=False, widget=_AREA
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=MAX_NAME, required=False)


class LookingForForm(forms.Form):
    name = forms.CharField(label=_("Their name"), max_length=MAX_NAME)
    area = forms.CharField(
        label=_("Area (optional)"), max_length=MAX_AREA, required=False, widget=_AREA
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


#: Per kind: the labels of `place` and `subject` (None: the kind has no subject).
REPORT_LABELS = {
    Report.Kind.TRANSIT: (_("Line or route"), None),
    Report.Kind.SUPPLIES: (_("Place"), _("Item")),
    Report.Kind.SHELTER: (_("Place"), _("Shelter name")),
}


class ReportForm(forms.Form):
    place = forms.CharField(max_length=MAX_PLACE)
    subject = forms.CharField(max_length=MAX_PLACE, required=False)
    status = forms.ChoiceField(label=_("Status"), widget=forms.RadioSelect)
    area = forms.CharField(
        label=_("Area (optional)"), max_length=MAX_AREA, required=False, widget=_AREA
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=MAX_NOTE, required=False)
    observed_at = forms.DateTimeField(
        label=_("Seen at"),
        widget=_DATETIME,
        input_formats=_FORMATS,
        required=False,
        help_text=_("Leave empty for now."),
    )

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("prefix", kind)
        super().__init__(*args, **kwargs)
        self.kind = kind
        place_label, subject_label = REPORT_LABELS[kind]
        self.fields["place"].label = place_label
        if subject_label is None:
            del self.fields["subject"]
        else:
            self.fields["subject"].label = subject_label
            self.fields["subject"].required = True
            # Name before place reads naturally for shelters and items alike.
            self.order_fields(["subject", "place"])
        labels = dict(Report.Status.choices)
        self.fields["status"].choices = [(s.value, labels[s]) for s in STATUSES[kind]]

    @property
    def title(self) -> str:
        return Report.Kind(self.kind).label


class DesignateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=30)
    everywhere = forms.BooleanField(
        label=_("In every crisis (may also declare and end crises)"), required=False
    )
