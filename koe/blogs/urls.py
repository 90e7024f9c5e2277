from django.urls import path, re_path

from koe.blogs import feeds
from koe.blogs.views import dashboard, members, public

app_name = "blogs"
USER = r"@(?P<username>[A-Za-z0-9_-]{1,30})"

urlpatterns = [
    path("", public.front, name="front"),
    path("tags/<str:name>/", public.tag, name="tag"),
    path("tags/<str:name>/rss.xml", feeds.TagRssFeed(), name="tag_rss"),
    path("tags/<str:name>/feed.atom", feeds.TagAtomFeed(), name="tag_atom"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/posts/new/", dashboard.edit_post, name="new_post"),
    path("dashboard/posts/<int:post_id>/edit/", dashboard.edit_post, name="edit_post"),
    path("dashboard/posts/<int:post_id>/delete/", dashboard.delete_post, name="delete_post"),
    path("dashboard/posts/autosave", dashboard.autosave, name="autosave_new"),
    path("dashboard/posts/<int:post_id>/autosave", dashboard.autosave, name="autosave"),
    path("dashboard/preview", dashboard.preview, name="preview"),
    path("dashboard/images/", dashboard.upload_image, name="upload_image"),
    path("dashboard/blog/", dashboard.blog_settings, name="settings"),
    path("dashboard/categories/", dashboard.categories, name="categories"),
    path("dashboard/categories/<int:category_id>/", dashboard.categories, name="category"),
    path("dashboard/members/", members.manage_members, name="members"),
    re_path(rf"^{USER}/$", public.blog, name="blog"),
    re_path(rf"^{USER}/members/request$", members.request_membership, name="request_membership"),
    re_path(rf"^{USER}/members/leave$", members.leave_membership, name="leave_membership"),
    re_path(rf"^{USER}/(?P<post_id>[0-9]{{1,18}})/reblog/$", members.reblog, name="reblog"),
    re_path(rf"^{USER}/rss\.xml$", feeds.BlogRssFeed(), name="blog_rss"),
    re_path(rf"^{USER}/feed\.atom$", feeds.BlogAtomFeed(), name="blog_atom"),
    re_path(rf"^{USER}/(?P<post_id>[0-9]{{1,18}})/$", public.post, name="post"),
    re_path(
        rf"^{USER}/(?P<post_id>[0-9]{{1,18}})/(?P<slug>[^/]+)/$", public.post, name="post_slug"
    ),
]
