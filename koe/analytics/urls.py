"""The analytics dashboards: the blogger's own, and staff's for the site or any blog."""

from django.urls import path, re_path

from koe.analytics import views

app_name = "analytics"
USER = r"@(?P<username>[A-Za-z0-9_-]{1,30})"

urlpatterns = [
    path("dashboard/analytics/", views.my_dashboard, name="dashboard"),
    path("dashboard/analytics/live/", views.my_live, name="live"),
    path("staff/analytics/", views.site_dashboard, name="site"),
    path("staff/analytics/live/", views.site_live, name="site_live"),
    re_path(rf"^staff/analytics/{USER}/$", views.blog_dashboard, name="blog"),
    re_path(rf"^staff/analytics/{USER}/live/$", views.blog_live, name="blog_live"),
]
