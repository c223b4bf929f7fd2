from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Регионы"

    def ready(self) -> None:
        # every change of a region or a domain moves the routing version (tenants.routing)
        from tenants import routing  # noqa: F401
