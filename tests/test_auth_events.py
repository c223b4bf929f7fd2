# mypy: disable-error-code="attr-defined"
# (factory_boy factories are typed as the factory classes, not the models they build)
"""Authentication events are logged — login, failure, logout, rejected token, denied access —
with the user id, realm and reason only: never a name, a SNILS, a login name or a token."""

from __future__ import annotations

import contextlib
import logging

from django_tenants.utils import tenant_context

from core.roles import Role
from tenants.identity.services import accounts_provision
from tests.factories import MembershipFactory, PersonFactory, SchoolClassFactory, UserFactory


def test_events_carry_no_personal_data(dev_idp, region_a, sso_client_a, browser_login, caplog):
    caplog.set_level(logging.DEBUG)
    with tenant_context(region_a):
        school_class = SchoolClassFactory()
        person = PersonFactory(
            user=UserFactory(roles=[Role.STUDENT]), surname="Шамилёва", name="Патимат", snils="11223344595"
        )
        MembershipFactory(person=person, school_class=school_class)
        other = SchoolClassFactory()
    login_name = person.registry_id.lower()
    accounts_provision(region=region_a, passwords={login_name: "events-pw"})

    with contextlib.suppress(AssertionError):
        browser_login(sso_client_a, login_name, "wrong-password")
    assert browser_login(sso_client_a, login_name, "events-pw").status_code == 302
    assert sso_client_a.get(f"/classes/{other.pk}/").status_code == 404
    with tenant_context(region_a):  # sessions live in the region's schema
        token = sso_client_a.session["sso"]["id_token"]
    assert sso_client_a.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer x.y.z").status_code == 401
    sso_client_a.post("/accounts/logout/")

    events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    user_id = person.user_id
    assert any(e.startswith("auth login ") and f"user={user_id}" in e for e in events), events
    assert any("auth access_denied" in e and f"user={user_id}" in e for e in events), events
    assert any("auth token_rejected" in e and "reason=malformed" in e for e in events), events
    assert any(e.startswith("auth logout ") and f"user={user_id}" in e for e in events), events

    everything = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for secret in ("11223344595", "112-233-445 95", "Шамилёва", "Патимат", login_name, token, "events-pw"):
        assert secret not in everything, secret


def test_every_refusal_is_logged_as_denied_access(region_a, client_a, caplog):
    """A 403 from any check (here: a teacher at the region's settings) is an auth event."""
    caplog.set_level(logging.INFO, logger="msh.auth")
    with tenant_context(region_a):
        teacher = UserFactory(roles=[Role.TEACHER])
        client_a.force_login(teacher)
    assert client_a.get("/api/v1/region/timezone/").status_code in (403, 405)
    assert (
        client_a.put(
            "/api/v1/region/timezone/", {"timezone": "Asia/Omsk"}, content_type="application/json"
        ).status_code
        == 403
    )
    events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    assert any(
        "auth access_denied" in e and f"user={teacher.pk}" in e and "reason=forbidden" in e for e in events
    ), events


def test_a_request_cannot_forge_an_event_line(dev_idp, sso_client_a, caplog):
    """The path (a ``<str:…>`` URL segment takes anything) and the reason come from the request:
    they can neither end the line nor add a ``user=`` field to it."""
    caplog.set_level(logging.INFO, logger="msh.auth")
    # as a client sends it: the newline percent-encoded (the URL segment decodes it)
    forged = "class%0AINFO%20msh.auth:%20auth%20login%20realm=region-05%20user=1%20reason=x"
    response = sso_client_a.get(f"/api/v1/journal/{forged}/1/1/", HTTP_AUTHORIZATION="Bearer x.y.z")
    assert response.status_code == 401
    events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    assert len(events) == 1, events
    line = events[0]
    assert "\n" not in line and " user=1" not in line and "auth login" not in line, line
    assert line.startswith(
        "auth token_rejected realm=region-05 user=- reason=malformed path=/api/v1/journal/class%0A"
    )


def test_reason_from_the_identity_provider_is_reduced_to_a_code(caplog):
    from core.sso.events import auth_event

    caplog.set_level(logging.INFO, logger="msh.auth")
    auth_event("login_failed", realm="region-05", reason="idp_access_denied\nauth login user=7")
    [line] = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    assert line == "auth login_failed realm=region-05 user=- reason=idp_access_denied_auth_login_user=7"
