from django.urls import path

from koe.crisis.views import actions, pages, syndication

app_name = "crisis"

urlpatterns = [
    path("crisis/", pages.index, name="index"),
    path("crisis/archive/", pages.archive, name="archive"),
    path("crisis/declare/", pages.declare, name="declare"),
    path("crisis/lite/", syndication.lite, name="lite_current"),
    path("crisis/<int:crisis_id>/", pages.hub, name="hub"),
    path("crisis/<int:crisis_id>/lite/", syndication.lite, name="lite"),
    path("crisis/<int:crisis_id>/feed.atom", syndication.CrisisAtomFeed(), name="atom"),
    path("crisis/<int:crisis_id>/feed.json", syndication.json_feed, name="json"),
    path("crisis/<int:crisis_id>/people/", pages.people, name="people"),
    path("crisis/<int:crisis_id>/review/", pages.review, name="review"),
    path("crisis/<int:crisis_id>/end/", actions.end, name="end"),
    path("crisis/<int:crisis_id>/alerts/", actions.post_alert, name="post_alert"),
    path("crisis/<int:crisis_id>/check-in/", actions.check_in, name="check_in"),
    path("crisis/<int:crisis_id>/looking-for/", actions.look_for, name="look_for"),
    path("crisis/<int:crisis_id>/designate/", actions.designate, name="designate"),
    path("crisis/<int:crisis_id>/reports/<slug:kind>/", actions.report, name="report"),
    path("crisis/alerts/<int:alert_id>/pin/", actions.pin_alert, name="pin_alert"),
    path("crisis/looking-for/<int:search_id>/found/", actions.mark_found, name="mark_found"),
    path("crisis/reports/<int:report_id>/review/", actions.review_report, name="review_report"),
    path("crisis/reports/<int:report_id>/<slug:value>/", actions.vote, name="vote"),
]
