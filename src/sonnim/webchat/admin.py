from django.contrib import admin

from .models import Widget


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    """Where an operator finds the widget key for the shop's <script> tag."""

    list_display = ("id", "inbox", "public_key", "workspace", "created_at")
    readonly_fields = ("inbox", "public_key", "workspace", "created_at")
