from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class ImportsConfig(AppConfig):
    name = "tenants.imports"
    label = "imports"
    verbose_name = gettext_lazy("Импорт из реестра")
