from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "sonnim.automation"
    label = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sonnim.core import config

        from .models import RoutingRule, Rule

        config.watch(RoutingRule, Rule)  # the pipeline caches them
