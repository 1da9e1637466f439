from django.apps import AppConfig


class InboxesConfig(AppConfig):
    name = "sonnim.inboxes"
    label = "inboxes"
