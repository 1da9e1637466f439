from django.contrib import admin

from .models import Conversation, Message, Tag


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "workspace", "inbox", "status", "priority", "assignee", "last_message_at")
    list_filter = ("status", "priority")
    list_select_related = ("workspace", "inbox", "assignee")
    raw_id_fields = ("customer", "assignee", "team", "inbox")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation_id", "direction", "delivery_status", "created_at")
    list_filter = ("direction", "delivery_status")
    raw_id_fields = ("conversation", "author_agent", "inbox")


admin.site.register(Tag)
