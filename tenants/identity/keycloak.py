"""The Keycloak admin adapter: realms, clients, roles, school groups and accounts.

Every function is idempotent and writes only what differs from what Keycloak already has:
an unchanged re-run only reads. The same code provisions a real Keycloak (production) and the
development identity provider (``deploy/dev-idp``), which implements the subset of the Keycloak
Admin REST API used here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any

from django.conf import settings
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakError

from core.roles import Role
from core.sso.config import RealmConfig, client_urls, internal_url, keycloak_url

logger = logging.getLogger(__name__)

PERSON_ATTRIBUTE = "msh_person_id"
ROLE_DESCRIPTIONS = {str(role): str(role.label) for role in Role}
ProgressCallback = Callable[[int, int], None]


class IdentityError(Exception):
    """The identity provider refused or failed a request; the message says which, in Russian."""


@dataclass(frozen=True)
class SchoolGroup:
    ogrn: str
    school_id: int
    name: str
    active: bool

    def attributes(self) -> dict[str, list[str]]:
        return {
            "ogrn": [self.ogrn],
            "msh_school_id": [str(self.school_id)],
            "msh_school_active": ["true" if self.active else "false"],
        }


@dataclass
class RealmReport:
    realm: str
    created: bool = False
    writes: list[str] = field(default_factory=list)


def admin_client(realm: RealmConfig) -> KeycloakAdmin:
    """An admin session (master realm's admin-cli, or a service account) acting on ``realm``."""
    base = internal_url(keycloak_url()) + "/"
    if not (settings.KEYCLOAK_ADMIN_USER or settings.KEYCLOAK_ADMIN_CLIENT_SECRET):
        raise IdentityError(
            "Не заданы учётные данные администратора Keycloak "
            "(KEYCLOAK_ADMIN_USER/KEYCLOAK_ADMIN_PASSWORD или KEYCLOAK_ADMIN_CLIENT_SECRET)"
        )
    connection = KeycloakOpenIDConnection(
        server_url=base,
        username=settings.KEYCLOAK_ADMIN_USER or None,
        password=settings.KEYCLOAK_ADMIN_PASSWORD or None,
        client_id=settings.KEYCLOAK_ADMIN_CLIENT_ID,
        client_secret_key=settings.KEYCLOAK_ADMIN_CLIENT_SECRET or None,
        realm_name=realm.name,
        user_realm_name=settings.KEYCLOAK_ADMIN_REALM,
        timeout=settings.SSO_HTTP_TIMEOUT,
        verify=True,
    )
    return KeycloakAdmin(connection=connection)


# --- representations ----------------------------------------------------------------------------


def protocol_mappers(client_id: str) -> list[dict[str, Any]]:
    """Claims the platform reads: the client in ``aud`` of access tokens, ``msh_person_id``,
    ``groups`` (school OGRNs) and the realm roles in the ID token as well."""
    both = {"id.token.claim": "true", "access.token.claim": "true", "userinfo.token.claim": "true"}
    return [
        {
            "name": "msh-audience",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-audience-mapper",
            "consentRequired": False,
            "config": {
                "included.client.audience": client_id,
                "id.token.claim": "false",
                "access.token.claim": "true",
                "introspection.token.claim": "true",
            },
        },
        {
            "name": PERSON_ATTRIBUTE,
            "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-attribute-mapper",
            "consentRequired": False,
            "config": {
                **both,
                "user.attribute": PERSON_ATTRIBUTE,
                "claim.name": PERSON_ATTRIBUTE,
                "jsonType.label": "String",
                "introspection.token.claim": "true",
            },
        },
        {
            "name": "groups",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-group-membership-mapper",
            "consentRequired": False,
            "config": {**both, "claim.name": "groups", "full.path": "false"},
        },
        {
            "name": "realm roles",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-usermodel-realm-role-mapper",
            "consentRequired": False,
            "config": {
                **both,
                "claim.name": "realm_access.roles",
                "jsonType.label": "String",
                "multivalued": "true",
            },
        },
    ]


def client_representation(realm: RealmConfig, domains: Iterable[str], primary: str) -> dict[str, Any]:
    urls = client_urls(domains, primary)
    return {
        "clientId": realm.client_id,
        "name": "Моя школа",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": realm.client_secret,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": False,
        "redirectUris": urls["redirect_uris"],
        "webOrigins": urls["web_origins"],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(urls["post_logout_redirect_uris"]),
            "backchannel.logout.url": urls["backchannel_logout_url"],
            "backchannel.logout.session.required": "true",
            "backchannel.logout.revoke.offline.tokens": "false",
        },
        "protocolMappers": protocol_mappers(realm.client_id),
    }


def login_header_html(realm: RealmConfig, display_name: str) -> str:
    """What the realm's sign-in page shows above the form (Keycloak's ``displayNameHtml``): whose
    sign-in it is and, in a region, that another region's account does not work here — a person
    of region A who opens region B's site reaches B's realm, where their login is unknown, and
    the identity provider alone can tell them why."""
    if realm.is_federal:
        hint = "Вход для федеральных операторов платформы «Моя школа»."
    else:
        hint = (
            "Вход для школ этого региона. Учётная запись другого региона здесь не действует: "
            "войдите на сайте своего региона."
        )
    return f"<strong>{escape(display_name)}</strong><br><small>{hint}</small>"


def realm_representation(
    realm: RealmConfig, *, display_name: str, domains: Iterable[str], primary: str, schools: list[SchoolGroup]
) -> dict[str, Any]:
    return {
        "realm": realm.name,
        "displayName": display_name,
        "displayNameHtml": login_header_html(realm, display_name),
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": False,
        "duplicateEmailsAllowed": True,
        "roles": {"realm": [{"name": name, "description": d} for name, d in ROLE_DESCRIPTIONS.items()]},
        "clients": [client_representation(realm, domains, primary)],
        "groups": [{"name": s.ogrn, "attributes": s.attributes()} for s in schools],
    }


# --- realm --------------------------------------------------------------------------------------


def _status(exc: KeycloakError) -> int | None:
    return getattr(exc, "response_code", None)


def _fail(what: str, exc: KeycloakError) -> IdentityError:
    return IdentityError(f"Keycloak отказал ({what}): HTTP {_status(exc)}")


def _get_client(admin: KeycloakAdmin, client_id: str) -> dict[str, Any] | None:
    response = admin.connection.raw_get(
        f"admin/realms/{admin.connection.realm_name}/clients", clientId=client_id
    )
    if response.status_code != 200:
        raise IdentityError(f"Keycloak отказал (клиент {client_id}): HTTP {response.status_code}")
    return next((c for c in response.json() if c.get("clientId") == client_id), None)


def _client_differs(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for key in (
        "enabled",
        "publicClient",
        "standardFlowEnabled",
        "implicitFlowEnabled",
        "directAccessGrantsEnabled",
    ):
        if current.get(key) != wanted[key]:
            return True
    if sorted(current.get("redirectUris") or []) != sorted(wanted["redirectUris"]):
        return True
    if sorted(current.get("webOrigins") or []) != sorted(wanted["webOrigins"]):
        return True
    if "secret" in current and current["secret"] != wanted["secret"]:
        return True
    attributes = current.get("attributes") or {}
    return any(attributes.get(k) != v for k, v in wanted["attributes"].items())


def _ensure_client(admin: KeycloakAdmin, wanted: dict[str, Any], report: RealmReport) -> None:
    current = _get_client(admin, wanted["clientId"])
    if current is None:
        admin.create_client(wanted)
        report.writes.append(f"client {wanted['clientId']} created")
        return
    if _client_differs(current, wanted):
        merged = {**current, **{k: v for k, v in wanted.items() if k != "protocolMappers"}}
        merged["attributes"] = {**(current.get("attributes") or {}), **wanted["attributes"]}
        merged.pop("protocolMappers", None)
        admin.update_client(current["id"], merged)
        report.writes.append(f"client {wanted['clientId']} updated")
    have = {m.get("name") for m in current.get("protocolMappers") or []}
    for mapper in wanted["protocolMappers"]:
        if mapper["name"] not in have:
            admin.add_mapper_to_client(current["id"], mapper)
            report.writes.append(f"mapper {mapper['name']} added")


def _ensure_person_attribute(admin: KeycloakAdmin, report: RealmReport) -> None:
    """Keycloak 24+ drops user attributes its user profile does not declare."""
    profile = admin.get_realm_users_profile()
    if any(a.get("name") == PERSON_ATTRIBUTE for a in profile.get("attributes", [])):
        return
    profile.setdefault("attributes", []).append(
        {
            "name": PERSON_ATTRIBUTE,
            "displayName": "Идентификатор человека в платформе",
            "permissions": {"view": ["admin"], "edit": ["admin"]},
            "multivalued": False,
        }
    )
    admin.update_realm_users_profile(profile)
    report.writes.append("user profile: msh_person_id declared")


def _ensure_roles(admin: KeycloakAdmin, report: RealmReport) -> None:
    have = {r["name"] for r in admin.get_realm_roles(brief_representation=True)}
    for name, description in ROLE_DESCRIPTIONS.items():
        if name not in have:
            admin.create_realm_role({"name": name, "description": description}, skip_exists=True)
            report.writes.append(f"role {name} created")


def _ensure_groups(admin: KeycloakAdmin, schools: list[SchoolGroup], report: RealmReport) -> None:
    if not schools:
        return
    have = {g["name"]: g for g in admin.get_groups({"briefRepresentation": False})}
    for school in schools:
        current = have.get(school.ogrn)
        if current is None:
            admin.create_group({"name": school.ogrn, "attributes": school.attributes()}, skip_exists=True)
            report.writes.append(f"group {school.ogrn} created")
        elif (current.get("attributes") or {}) != school.attributes():
            admin.update_group(current["id"], {"name": school.ogrn, "attributes": school.attributes()})
            report.writes.append(f"group {school.ogrn} updated")


def realm_apply(
    realm: RealmConfig,
    *,
    display_name: str,
    domains: list[str],
    primary: str,
    schools: list[SchoolGroup],
    admin: KeycloakAdmin | None = None,
) -> RealmReport:
    """Bring ``realm`` to the wanted state: realm, the six roles, the client, school groups."""
    admin = admin or admin_client(realm)
    report = RealmReport(realm=realm.name)
    try:
        try:
            current = admin.get_realm(realm.name)
        except KeycloakError as exc:
            if _status(exc) != 404:
                raise
            current = None
        if current is None:
            admin.create_realm(
                realm_representation(
                    realm, display_name=display_name, domains=domains, primary=primary, schools=schools
                )
            )
            report.created = True
            report.writes.append(f"realm {realm.name} created")
            _ensure_person_attribute(admin, report)
            return report
        header = login_header_html(realm, display_name)
        if (
            current.get("displayName") != display_name
            or current.get("displayNameHtml") != header
            or not current.get("enabled")
        ):
            admin.update_realm(
                realm.name, {"displayName": display_name, "displayNameHtml": header, "enabled": True}
            )
            report.writes.append("realm updated")
        _ensure_person_attribute(admin, report)
        _ensure_roles(admin, report)
        _ensure_client(admin, client_representation(realm, domains, primary), report)
        _ensure_groups(admin, schools, report)
    except KeycloakError as exc:
        raise _fail(f"realm {realm.name}", exc) from exc
    return report


def client_apply(
    realm: RealmConfig, *, domains: list[str], primary: str, admin: KeycloakAdmin | None = None
) -> RealmReport:
    """Only the client: redirect URIs after a domain was added or removed."""
    admin = admin or admin_client(realm)
    report = RealmReport(realm=realm.name)
    try:
        _ensure_client(admin, client_representation(realm, domains, primary), report)
    except KeycloakError as exc:
        raise _fail(f"client {realm.client_id}", exc) from exc
    return report


def groups_apply(
    realm: RealmConfig, schools: list[SchoolGroup], *, admin: KeycloakAdmin | None = None
) -> RealmReport:
    """Only the school groups. Accounts are imported into their schools' groups, and Keycloak
    refuses (HTTP 500, the whole batch) a user whose group does not exist — while the schools
    usually come with the registry import, after the realm was made."""
    admin = admin or admin_client(realm)
    report = RealmReport(realm=realm.name)
    try:
        _ensure_groups(admin, schools, report)
    except KeycloakError as exc:
        raise _fail(f"группы школ realm {realm.name}", exc) from exc
    return report


# --- accounts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSpec:
    """What one platform account should look like in Keycloak."""

    user_id: int
    username: str
    enabled: bool
    roles: tuple[str, ...]
    groups: tuple[str, ...]  # school OGRNs
    person_id: int | None
    subject: str | None  # Keycloak user id once known
    synced_hash: str

    @property
    def state_hash(self) -> str:
        payload = [self.username, self.enabled, self.roles, self.groups, self.person_id]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()

    def attributes(self) -> dict[str, list[str]]:
        return {PERSON_ATTRIBUTE: [str(self.person_id)]} if self.person_id else {}

    def import_representation(self, password: str | None) -> dict[str, Any]:
        rep: dict[str, Any] = {
            "username": self.username,
            "enabled": self.enabled,
            "attributes": self.attributes(),
            "realmRoles": list(self.roles),
            "groups": [f"/{g}" for g in self.groups],
        }
        if password:
            rep["credentials"] = [{"type": "password", "value": password, "temporary": False}]
        return rep


@dataclass
class ProvisionReport:
    realm: str
    total: int = 0
    added: int = 0
    skipped: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _chunks(items: list[AccountSpec], size: int) -> Iterator[list[AccountSpec]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _update_account(
    admin: KeycloakAdmin,
    spec: AccountSpec,
    role_reps: dict[str, dict[str, Any]],
    group_ids: dict[str, str],
) -> None:
    """Apply enabled flag, attribute, realm roles and groups to an existing Keycloak user."""
    subject = spec.subject or ""
    admin.update_user(
        subject, {"username": spec.username, "enabled": spec.enabled, "attributes": spec.attributes()}
    )
    current_roles = {r["name"] for r in admin.get_realm_roles_of_user(subject)} & set(ROLE_DESCRIPTIONS)
    add = [role_reps[r] for r in spec.roles if r not in current_roles and r in role_reps]
    remove = [role_reps[r] for r in current_roles - set(spec.roles) if r in role_reps]
    if add:
        admin.assign_realm_roles(subject, add)
    if remove:
        admin.delete_realm_roles_of_user(subject, remove)
    current_groups = {g["name"]: g["id"] for g in admin.get_user_groups(subject)}
    for ogrn in spec.groups:
        if ogrn not in current_groups and ogrn in group_ids:
            admin.group_user_add(subject, group_ids[ogrn])
    for ogrn, group_id in current_groups.items():
        if ogrn not in spec.groups:
            admin.group_user_remove(subject, group_id)


def accounts_apply(
    realm: RealmConfig,
    specs: list[AccountSpec],
    *,
    passwords: dict[str, str] | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    admin: KeycloakAdmin | None = None,
) -> tuple[ProvisionReport, dict[int, tuple[str, str]]]:
    """Create the new accounts in batches (partialImport, SKIP), update the changed ones.

    Returns the report and, per platform user id, the (Keycloak id, state hash) to remember.
    Accounts whose hash equals the remembered one are not touched at all."""
    admin = admin or admin_client(realm)
    passwords = passwords or {}
    size = batch_size or settings.SSO_PROVISION_BATCH
    report = ProvisionReport(realm=realm.name, total=len(specs))
    synced: dict[int, tuple[str, str]] = {}
    new = [s for s in specs if not s.subject]
    changed = [s for s in specs if s.subject and s.state_hash != s.synced_hash]
    report.unchanged = len(specs) - len(new) - len(changed)
    done = report.unchanged
    if progress:
        progress(done, report.total)
    repair: list[AccountSpec] = []  # accounts Keycloak already had (SKIPPED): update them too
    try:
        for batch in _chunks(new, size):
            result = admin.partial_import_realm(
                realm.name,
                {
                    "ifResourceExists": "SKIP",
                    "users": [s.import_representation(passwords.get(s.username)) for s in batch],
                },
            )
            ids = {r["resourceName"]: (r["action"], r["id"]) for r in result.get("results", [])}
            for spec in batch:
                action, subject = ids.get(spec.username, (None, None))
                if subject is None:
                    raise IdentityError(f"Keycloak не вернул идентификатор учётной записи {spec.user_id}")
                if action == "SKIPPED":
                    # left by an earlier run that stopped before remembering it: bring it up to date
                    report.skipped += 1
                    repair.append(AccountSpec(**{**spec.__dict__, "subject": subject, "synced_hash": ""}))
                else:
                    report.added += 1
                    synced[spec.user_id] = (subject, spec.state_hash)
            done += len(batch)
            if progress:
                progress(done, report.total)
        if changed or repair:
            role_reps = {
                r["name"]: {"id": r["id"], "name": r["name"]}
                for r in admin.get_realm_roles(brief_representation=True)
            }
            group_ids = {g["name"]: g["id"] for g in admin.get_groups({"briefRepresentation": True})}
            for spec in repair:
                _update_account(admin, spec, role_reps, group_ids)
                synced[spec.user_id] = (spec.subject or "", spec.state_hash)
            for spec in changed:
                _update_account(admin, spec, role_reps, group_ids)
                synced[spec.user_id] = (spec.subject or "", spec.state_hash)
                report.updated += 1
                done += 1
                if progress:
                    progress(done, report.total)
    except KeycloakError as exc:
        raise _fail(f"учётные записи realm {realm.name}", exc) from exc
    return report, synced


def account_ensure(
    realm: RealmConfig,
    *,
    username: str,
    roles: list[str],
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    admin: KeycloakAdmin | None = None,
) -> str:
    """An account without a person (regional admin, federal operator); returns its Keycloak id.
    The password is set only when the account is created."""
    admin = admin or admin_client(realm)
    try:
        found = admin.get_users({"username": username, "exact": True})
        if found:
            subject = str(found[0]["id"])
        else:
            payload: dict[str, Any] = {"username": username, "enabled": True}
            if first_name:
                payload["firstName"] = first_name
            if last_name:
                payload["lastName"] = last_name
            if password:
                payload["credentials"] = [{"type": "password", "value": password, "temporary": False}]
            subject = admin.create_user(payload, exist_ok=False)
        current = {r["name"] for r in admin.get_realm_roles_of_user(subject)}
        missing = [r for r in roles if r not in current]
        if missing:
            reps = {r["name"]: r for r in admin.get_realm_roles(brief_representation=True)}
            admin.assign_realm_roles(subject, [{"id": reps[r]["id"], "name": r} for r in missing])
    except KeycloakError as exc:
        raise _fail(f"учётная запись в realm {realm.name}", exc) from exc
    return subject
