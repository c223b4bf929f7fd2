"""``manage.py identity``: the identity provider's realms and accounts, from the command line.

identity ensure --all | --code 05 | --federal   realm, client, roles, school groups
identity provision --code 05                    the region's accounts (progress shown)
identity secret --code 05 | --federal           the client secret derived for the realm
identity status                                 realm status of every region
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.sso.config import federal_realm, region_realm
from tenants.identity.keycloak import IdentityError
from tenants.identity.services import accounts_provision, federal_realm_ensure, realm_ensure
from tenants.selectors import region_queryset
from tenants.services import RegionError, region_get


class Command(BaseCommand):
    help = "Realm'ы и учётные записи на сервере входа (Keycloak)"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["ensure", "provision", "secret", "status"])
        parser.add_argument("--code", help="код региона")
        parser.add_argument("--all", action="store_true", help="федеральный realm и все регионы")
        parser.add_argument("--federal", action="store_true", help="realm федеральных операторов")

    def handle(self, *args, action: str, code: str | None, all: bool, federal: bool, **options):
        try:
            if action == "status":
                for region in region_queryset():
                    self.stdout.write(
                        f"{region.code}  {region_realm(region).name:<12} {region.get_identity_status_display()}"
                        f"  {region.identity_detail}"
                    )
                return
            regions = list(region_queryset()) if all else ([region_get(code=code)] if code else [])
            if action == "secret":
                realm = federal_realm() if federal else region_realm(regions[0]) if regions else None
                if realm is None:
                    raise CommandError("Укажите --code или --federal")
                self.stdout.write(realm.client_secret)
                return
            if action == "ensure":
                if federal or all:
                    report = federal_realm_ensure()
                    self.stdout.write(f"{report.realm}: {', '.join(report.writes) or 'без изменений'}")
                for region in regions:
                    report = realm_ensure(region=region)
                    self.stdout.write(f"{report.realm}: {', '.join(report.writes) or 'без изменений'}")
                if not (federal or regions):
                    raise CommandError("Укажите --code, --federal или --all")
                return
            if not regions:
                raise CommandError("Укажите --code или --all")
            for region in regions:

                def progress(done: int, total: int, code: str = str(region.code)) -> None:
                    self.stdout.write(f"\r{code}: {done}/{total}", ending="")

                accounts = accounts_provision(region=region, progress=progress)
                self.stdout.write(
                    f"\n{accounts.realm}: создано {accounts.added}, обновлено {accounts.updated}, "
                    f"без изменений {accounts.unchanged}, найдено готовыми {accounts.skipped}"
                )
        except (IdentityError, RegionError) as exc:
            raise CommandError(str(exc)) from exc
