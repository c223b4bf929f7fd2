from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = gettext_lazy("Регионы")
