from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "regions.journal"
    label = "journal"
    verbose_name = "Журнал и дневник"
