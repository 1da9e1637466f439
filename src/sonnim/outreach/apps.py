from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "sonnim.outreach"
    label = "outreach"
    default_auto_field = "django.db.models.BigAutoField"
