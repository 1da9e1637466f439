from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "sonnim.conversations"
    label = "conversations"
