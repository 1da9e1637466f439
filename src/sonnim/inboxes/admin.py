from django.contrib import admin

from .models import Inbox


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "kind", "workspace", "is_active")
    exclude = ("key", "key_hash", "credentials", "signing_secret")
