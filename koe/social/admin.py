from django.contrib import admin

from koe.social.models import Comment, Like


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("name", "post", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("post", "author")


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("user", "post", "created_at")
    raw_id_fields = ("post", "user")
