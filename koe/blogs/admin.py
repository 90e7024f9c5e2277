from django.contrib import admin

from koe.blogs.models import Blog, Category, Genre, Image, Post, Tag


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_ja", "name_en", "position")


@admin.register(Blog)
class BlogAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "genre", "theme", "created_at")
    search_fields = ("title", "owner__username")
    raw_id_fields = ("owner",)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("title", "blog", "status", "visibility", "published_at")
    list_filter = ("status", "visibility")
    search_fields = ("title",)
    raw_id_fields = ("blog", "category", "cover")


admin.site.register(Category)
admin.site.register(Tag)
admin.site.register(Image)
