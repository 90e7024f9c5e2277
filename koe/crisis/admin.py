"""Crises in the Django admin, to look at and to withdraw a designation; the hub's pages act."""

from django.contrib import admin

from koe.crisis.models import Alert, Crisis, Designation, Report


@admin.register(Crisis)
class CrisisAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "started_at", "ended_at", "declared_by"]
    search_fields = ["name", "area"]
    readonly_fields = [f.name for f in Crisis._meta.fields]

    def has_add_permission(self, request):
        return False  # declared on /crisis/declare/, which clears the banner's cache


@admin.register(Designation)
class DesignationAdmin(admin.ModelAdmin):
    list_display = ["user", "crisis", "granted_by", "created_at"]
    search_fields = ["user__username"]
    readonly_fields = [f.name for f in Designation._meta.fields]

    def has_add_permission(self, request):
        return False  # granted on the hub, which checks that the account is verified


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["crisis", "author", "pinned", "created_at"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["crisis", "kind", "place", "subject", "status", "state", "flags", "observed_at"]
    list_filter = ["kind", "state"]
    readonly_fields = [f.name for f in Report._meta.fields]
