from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sonnim.core"
    label = "core"
    verbose_name = "Sonnim core"
