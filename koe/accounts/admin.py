from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from koe.accounts.models import User


@admin.register(User)
class KoeUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "email", "is_staff", "date_joined")
    search_fields = ("username", "display_name", "email")
    fieldsets = UserAdmin.fieldsets + (
        ("Koe", {"fields": ("display_name", "bio", "language", "time_zone")}),
    )
