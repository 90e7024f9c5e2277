"""The sitemap: public posts and the blogs that have them."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from koe.blogs.models import Blog, Post


class PostSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Post.objects.public().select_related("blog__owner").order_by("-published_at", "-id")

    def lastmod(self, post: Post):
        return post.updated_at


class BlogSitemap(Sitemap):
    limit = 5000

    def items(self):
        return (
            Blog.objects.filter(pk__in=Post.objects.public().values("blog_id"))
            .select_related("owner")
            .annotate(last_post=Max("posts__published_at"))
            .order_by("pk")
        )

    def lastmod(self, blog: Blog):
        return blog.last_post


SITEMAPS = {"blogs": BlogSitemap, "posts": PostSitemap}
