"""The search page, readable without an account; htmx asks for the results alone."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from koe.blogs.models import Genre
from koe.discovery import services


class SearchForm(forms.Form):
    """The filters in the search page's URL (the query is cleaned apart, see clean_query).
    Only dates and the page number can be wrong enough to refuse."""

    blog = forms.CharField(required=False)
    official = forms.BooleanField(required=False)
    genre = forms.CharField(required=False)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("", _("Any time"))] + [(k, label) for k, (_d, label) in services.PERIODS.items()],
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )
    page = forms.IntegerField(required=False, min_value=1)
    prefix = forms.BooleanField(required=False)

    def clean_period(self):
        return self.cleaned_data["period"] or ""

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The first date must not be after the second."))
        return data

    def filters(self) -> services.Filters:
        data = self.cleaned_data
        return services.Filters(
            blog=(data.get("blog") or "")[:30],
            official=bool(data.get("official")),
            genre=(data.get("genre") or "")[:50],
            period=data.get("period") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


@require_safe
def search(request):
    form = SearchForm(request.GET, auto_id="search-%s")
    valid = form.is_valid()
    query = services.clean_query(request.GET.get("q", ""))
    filters = form.filters() if valid else services.Filters(blog=request.GET.get("blog", "")[:30])
    page = (form.cleaned_data.get("page") or 1) if valid else 1
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    # As one types, the last word may be unfinished; "more results" keep the first page's way.
    prefix = (partial and page == 1) or (valid and form.cleaned_data.get("prefix"))
    if valid:
        results = services.do_search(
            query, request.user, filters, page=page, as_you_type=bool(prefix)
        )
    else:
        results = services.Results(query=query)
    context = {
        "results": results,
        "query": query,
        "filters": filters,
        "form": form,
        "prefix": prefix,
        "next_page": results.page + 1,
    }
    status = 200 if valid else 400
    if partial and page > 1:
        return render(request, "discovery/_search_posts.html", context, status=status)
    if partial:
        return render(request, "discovery/_results.html", context, status=status)
    context["genres"] = Genre.objects.all()
    return render(request, "discovery/search.html", context, status=status)
