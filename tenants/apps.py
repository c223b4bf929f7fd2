from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = gettext_lazy("Регионы")

    def ready(self) -> None:
        # every change of a region or a domain moves the routing version (tenants.routing)
        from tenants import routing  # noqa: F401
