from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sonnim.sla"
    label = "sla"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sonnim.core import config

        from .models import BusinessHours, BusinessHoursOverride, SlaPolicy

        config.watch(BusinessHours, BusinessHoursOverride, SlaPolicy)  # the pipeline caches them
