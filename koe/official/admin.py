"""Applications in the Django admin, to look at: deciding happens on /staff/official/,
where the actions set the badge and tell the applicant."""

from django.contrib import admin

from koe.official.models import OfficialApplication


@admin.register(OfficialApplication)
class OfficialApplicationAdmin(admin.ModelAdmin):
    list_display = ["applicant", "category", "real_name", "status", "created_at", "reviewed_at"]
    list_filter = ["status", "category"]
    search_fields = ["applicant__username", "real_name"]
    readonly_fields = [f.name for f in OfficialApplication._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
