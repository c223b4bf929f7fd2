from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class TeachingConfig(AppConfig):
    name = "regions.teaching"
    label = "teaching"
    verbose_name = gettext_lazy("Предметы и нагрузка")
