from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "regions.timetable"
    label = "timetable"
    verbose_name = "Расписание"
