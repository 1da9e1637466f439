from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "sonnim.customers"
    label = "customers"
