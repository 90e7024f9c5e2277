from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "koe.demo"
    label = "demo"
    verbose_name = "Demo content"
