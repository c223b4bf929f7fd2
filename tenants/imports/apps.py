from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "tenants.imports"
    label = "imports"
    verbose_name = "Импорт из реестра"
