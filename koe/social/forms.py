from django import forms
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    body = forms.CharField(
        label=_("Comment"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    # People do not fill in hidden fields; some robots do.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("website"):
            raise forms.ValidationError(_("Something went wrong. Please try again."))
        return data
