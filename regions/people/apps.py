from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "regions.people"
    label = "people"
    verbose_name = "Люди"
