from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "regions.schools"
    label = "schools"
    verbose_name = "Школы"
