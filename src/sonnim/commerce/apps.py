from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "sonnim.commerce"
    label = "commerce"
