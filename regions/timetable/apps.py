from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class TimetableConfig(AppConfig):
    name = "regions.timetable"
    label = "timetable"
    verbose_name = gettext_lazy("Расписание")
