from django.apps import AppConfig


class TeachingConfig(AppConfig):
    name = "regions.teaching"
    label = "teaching"
    verbose_name = "Предметы и нагрузка"
