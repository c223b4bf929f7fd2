from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "regions.academics"
    label = "academics"
    verbose_name = "Учебный год и оценивание"
