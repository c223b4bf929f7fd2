from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class JournalConfig(AppConfig):
    name = "regions.journal"
    label = "journal"
    verbose_name = gettext_lazy("Журнал и дневник")
