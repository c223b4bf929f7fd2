from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class AcademicsConfig(AppConfig):
    name = "regions.academics"
    label = "academics"
    verbose_name = gettext_lazy("Учебный год и оценивание")
