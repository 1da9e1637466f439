from django.apps import AppConfig


class WebchatConfig(AppConfig):
    name = "sonnim.webchat"
    label = "webchat"
