"""RSS 2.0 and Atom feeds of a blog and of a hashtag: public posts only."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from koe.blogs.models import Blog, Post
from koe.blogs.services import is_tag_name, normalise_tag

FEED_SIZE = 20


class _PostFeed(Feed):
    def item_title(self, item: Post) -> str:
        return item.title

    def item_description(self, item: Post) -> str:
        return item.body_html

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Post):
        return item.published_at

    def item_updateddate(self, item: Post):
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return item.blog.owner.name

    def item_author_link(self, item: Post) -> str:
        return settings.BASE_URL + item.blog.get_absolute_url()

    def item_categories(self, item: Post):
        return [t.name for t in item.tags.all()]


class BlogRssFeed(_PostFeed):
    def get_object(self, request, username):
        return get_object_or_404(
            Blog.objects.select_related("owner"),
            owner__username=username.lower(),
            owner__is_active=True,
        )

    def title(self, blog: Blog) -> str:
        return blog.title

    def link(self, blog: Blog) -> str:
        return blog.get_absolute_url()

    def description(self, blog: Blog) -> str:
        return blog.description or blog.title

    def items(self, blog: Blog):
        return (
            Post.objects.public()
            .filter(blog=blog)
            .for_listing()
            .prefetch_related("tags")[:FEED_SIZE]
        )


class BlogAtomFeed(BlogRssFeed):
    feed_type = Atom1Feed
    subtitle = BlogRssFeed.description


class TagRssFeed(_PostFeed):
    def get_object(self, request, name):
        name = normalise_tag(name)
        if not is_tag_name(name):
            raise Http404
        return name

    def title(self, name: str) -> str:
        return _("#%(tag)s on Koe") % {"tag": name}

    def link(self, name: str) -> str:
        return f"/tags/{name}/"

    def description(self, name: str) -> str:
        return self.title(name)

    def items(self, name: str):
        return (
            Post.objects.public()
            .filter(tags__name=name)
            .for_listing()
            .prefetch_related("tags")[:FEED_SIZE]
        )


class TagAtomFeed(TagRssFeed):
    feed_type = Atom1Feed
    subtitle = TagRssFeed.description
