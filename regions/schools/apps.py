from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class SchoolsConfig(AppConfig):
    name = "regions.schools"
    label = "schools"
    verbose_name = gettext_lazy("Школы")
