# mypy: disable-error-code="attr-defined"
# (factory_boy factories are typed as the factory classes, not the models they build)
"""Browser login end to end: the region's site, the real development identity provider (its login
form, tokens, logout, back-channel logout) and the platform's callback — no mocks."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from core.models import SsoSession, User
from core.roles import Role
from core.sso.config import federal_realm, region_realm
from tenants.identity.keycloak import account_ensure
from tenants.identity.services import accounts_provision
from tests.factories import MembershipFactory, PersonFactory, SchoolClassFactory, UserFactory


@pytest.fixture
def teacher_a(region_a, dev_idp):
    """A teacher of region A as the registry import leaves them (a person with an account
    ``p<pk>`` holding the registry-derived role), provisioned into the region's realm."""
    with tenant_context(region_a):
        school_class = SchoolClassFactory()
        person = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
        person.user.username = f"p{person.pk}"
        person.user.save()
        MembershipFactory(person=person, school=school_class.school, role="teacher")
        username = person.registry_id.lower()
    accounts_provision(region=region_a, passwords={username: "teacher-pw"})
    with tenant_context(region_a):
        person.refresh_from_db()
        person.user.refresh_from_db()
    return {"person": person, "username": username, "password": "teacher-pw", "school": school_class.school}


def end_idp_session(idp, browser: requests.Session, url: str) -> requests.Response:
    """Open the identity provider's logout URL and confirm it, as the page's script does."""
    page = browser.get(url, timeout=10)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text) or re.search(
        r'action="([^"]+)"', page.text
    )
    assert action, page.text[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["logout"] = "yes"
    return browser.post(urljoin(page.url, action.group(1)), data=fields, allow_redirects=False, timeout=10)


def test_teacher_signs_in_through_the_region_realm(teacher_a, sso_client_a, browser_login, region_a):
    with tenant_context(region_a):
        User.objects.filter(pk=teacher_a["person"].user_id).update(roles=[])  # the IdP decides
    response = browser_login(sso_client_a, teacher_a["username"], teacher_a["password"])
    assert response.status_code == 302 and response["Location"] == "/"
    me = sso_client_a.get("/api/v1/me/").json()
    assert me["person_id"] == teacher_a["person"].pk
    assert me["roles"] == ["teacher"]
    assert me["schools"] == [teacher_a["school"].pk]
    with tenant_context(region_a):
        user = User.objects.get(pk=teacher_a["person"].user_id)
        assert user.roles == ["teacher"] and user.sso_subject
        assert SsoSession.objects.filter(user=user).count() == 1
    assert "Выйти" in sso_client_a.get("/").content.decode()


def test_account_without_person_is_found_by_subject_not_by_name(
    dev_idp, sso_client_a, browser_login, region_a
):
    subject = account_ensure(
        region_realm(region_a), username="rcc-admin", roles=[Role.REGIONAL_ADMIN], password="rcc-pw"
    )
    with tenant_context(region_a):
        # a platform account with the same *name* must not be taken over
        User.objects.create(username="rcc-admin", roles=[])
    assert browser_login(sso_client_a, "rcc-admin", "rcc-pw").status_code == 302
    second = Client(HTTP_HOST=sso_client_a.defaults["HTTP_HOST"])
    assert browser_login(second, "rcc-admin", "rcc-pw").status_code == 302
    with tenant_context(region_a):
        linked = User.objects.get(sso_subject=subject)
        assert linked.username != "rcc-admin" and linked.roles == [Role.REGIONAL_ADMIN]
        assert User.objects.filter(sso_subject=subject).count() == 1
    assert sso_client_a.get("/api/v1/me/").json()["user_id"] == linked.pk


def test_wrong_password_leaves_no_session(teacher_a, sso_client_a, browser_login):
    with pytest.raises(AssertionError, match="Неверное имя пользователя или пароль"):
        browser_login(sso_client_a, teacher_a["username"], "wrong")
    assert sso_client_a.get("/api/v1/me/").status_code == 401


def test_user_of_region_a_at_region_b_site_gets_a_clear_message(
    teacher_a, sso_client_a, sso_client_b, dev_idp, region_a
):
    # B's site starts a login (its state is in B's session) …
    start_b = sso_client_b.get("/accounts/login/")
    state_b = parse_qs(urlparse(start_b["Location"]).query)["state"][0]
    # … but the person signs in to their own realm (A), which answers with A's code and issuer
    start_a = sso_client_a.get("/accounts/login/")
    callback_a = dev_idp.sign_in(requests.Session(), start_a["Location"], teacher_a["username"], "teacher-pw")
    params = parse_qs(urlparse(callback_a).query)
    assert params["iss"] == [region_realm(region_a).issuer]
    response = sso_client_b.get(
        "/accounts/callback/", {"code": params["code"][0], "state": state_b, "iss": params["iss"][0]}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "Учётная запись другого региона" in body and "Республика Дагестан" in body
    assert sso_client_b.get("/api/v1/me/").status_code == 401


def test_callback_with_foreign_state_is_refused(teacher_a, sso_client_a, dev_idp):
    start = sso_client_a.get("/accounts/login/")
    callback = dev_idp.sign_in(requests.Session(), start["Location"], teacher_a["username"], "teacher-pw")
    params = parse_qs(urlparse(callback).query)
    attacker = Client(HTTP_HOST=sso_client_a.defaults["HTTP_HOST"])  # no login started here
    response = attacker.get("/accounts/callback/", {"code": params["code"][0], "state": params["state"][0]})
    assert response.status_code == 400 and "Вход не завершён" in response.content.decode()
    assert attacker.get("/api/v1/me/").status_code == 401


def test_logout_ends_the_platform_and_the_realm_session(teacher_a, sso_client_a, browser_login, dev_idp):
    browser = requests.Session()
    browser_login(sso_client_a, teacher_a["username"], "teacher-pw", browser=browser)
    assert sso_client_a.get("/accounts/logout/").status_code == 405  # POST only
    response = sso_client_a.post("/accounts/logout/")
    assert response.status_code == 302
    end_session = urlparse(response["Location"])
    query = parse_qs(end_session.query)
    assert end_session.path.endswith("/realms/region-05/protocol/openid-connect/logout")
    assert query["id_token_hint"] and query["post_logout_redirect_uri"] == [
        f"http://{sso_client_a.defaults['HTTP_HOST']}/"
    ]
    assert sso_client_a.get("/api/v1/me/").status_code == 401
    done = end_idp_session(dev_idp, browser, response["Location"])
    assert done.status_code in (302, 303)
    assert done.headers["Location"] == query["post_logout_redirect_uri"][0]
    # the realm session is over: a new login asks for the password again
    again = Client(HTTP_HOST=sso_client_a.defaults["HTTP_HOST"]).get("/accounts/login/")
    page = browser.get(again["Location"], timeout=10)
    assert 'name="password"' in page.text


def test_backchannel_logout_from_the_identity_provider_ends_the_platform_session(
    teacher_a, sso_client_a, browser_login, dev_idp, region_a
):
    browser = requests.Session()
    browser_login(sso_client_a, teacher_a["username"], "teacher-pw", browser=browser)
    assert sso_client_a.get("/api/v1/me/").status_code == 200
    before = len(dev_idp.inbox.received)
    # the person signs out at the identity provider itself (e.g. from another application)
    issuer = region_realm(region_a).issuer
    end_idp_session(dev_idp, browser, f"{issuer}/protocol/openid-connect/logout?client_id=msh-region-05")
    path, host, body = dev_idp.inbox.wait(before + 1)[-1]
    assert path == "/accounts/backchannel-logout/" and host == sso_client_a.defaults["HTTP_HOST"]
    delivered = Client(HTTP_HOST=host).post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert delivered.status_code == 200
    assert sso_client_a.get("/api/v1/me/").status_code == 401
    with tenant_context(region_a):
        assert not SsoSession.objects.filter(user_id=teacher_a["person"].user_id).exists()


def test_backchannel_logout_refuses_unsigned_or_foreign_tokens(sso_client_a, dev_idp):
    from tests.sso_support import b64

    forged = f"{b64({'alg': 'none'})}.{b64({'sid': 'x', 'events': {}})}."
    response = sso_client_a.post("/accounts/backchannel-logout/", {"logout_token": forged})
    assert response.status_code == 400
    assert sso_client_a.post("/accounts/backchannel-logout/", {}).status_code == 400


def test_federal_console_signs_in_through_the_federal_realm(dev_idp, sso_public_client, browser_login):
    account_ensure(federal_realm(), username="fed-op", roles=[Role.FEDERAL_OPERATOR], password="fed-pw")
    account_ensure(federal_realm(), username="fed-nobody", roles=[], password="nobody-pw")
    assert sso_public_client.get("/")["Location"].startswith("/accounts/login/")
    assert browser_login(sso_public_client, "fed-op", "fed-pw").status_code == 302
    assert sso_public_client.get("/").status_code == 200
    assert sso_public_client.get("/api/v1/regions/").status_code == 200
    other = Client(HTTP_HOST=sso_public_client.defaults["HTTP_HOST"])
    browser_login(other, "fed-nobody", "nobody-pw")
    assert other.get("/").status_code == 403
    with schema_context("public"):
        assert User.objects.get(username__startswith="sso-", roles=[Role.FEDERAL_OPERATOR])


def test_password_login_is_off_by_default_and_never_on_a_region_site(client_a, public_client, settings, db):
    assert public_client.get("/accounts/password-login/").status_code == 404
    settings.SSO_PASSWORD_LOGIN = True
    assert client_a.get("/accounts/password-login/").status_code == 404
    with schema_context("public"):
        User.objects.create_user(username="plain", password="plain-pw")
        User.objects.create_superuser(username="root", password="root-pw")
    refused = public_client.post("/accounts/password-login/", {"username": "plain", "password": "plain-pw"})
    assert refused.status_code == 200 and "_auth_user_id" not in public_client.session
    ok = public_client.post("/accounts/password-login/", {"username": "root", "password": "root-pw"})
    assert ok.status_code == 302


def test_login_without_identity_provider_says_so(client_a, settings, db):
    settings.KEYCLOAK_URL = ""
    response = client_a.get("/accounts/login/")
    assert response.status_code == 503 and "Вход временно недоступен" in response.content.decode()


def test_login_rotates_the_session_key(teacher_a, sso_client_a, dev_idp, region_a):
    """Session fixation: the key the visitor had before signing in (here: the one holding the
    login's state) is not the key of the signed-in session, and no longer opens anything."""
    start = sso_client_a.get("/accounts/login/")
    before = sso_client_a.cookies["sessionid"].value
    callback = dev_idp.sign_in(requests.Session(), start["Location"], teacher_a["username"], "teacher-pw")
    parsed = urlparse(callback)
    assert sso_client_a.get(f"{parsed.path}?{parsed.query}").status_code == 302
    after = sso_client_a.cookies["sessionid"].value
    assert after and after != before
    assert sso_client_a.get("/api/v1/me/").status_code == 200
    fixed = Client(HTTP_HOST=sso_client_a.defaults["HTTP_HOST"])
    fixed.cookies["sessionid"] = before
    assert fixed.get("/api/v1/me/").status_code == 401


def test_callback_cannot_be_replayed(teacher_a, sso_client_a, dev_idp):
    """The state (and with it the nonce and the PKCE verifier) is for one callback only."""
    start = sso_client_a.get("/accounts/login/")
    callback = dev_idp.sign_in(requests.Session(), start["Location"], teacher_a["username"], "teacher-pw")
    parsed = urlparse(callback)
    assert sso_client_a.get(f"{parsed.path}?{parsed.query}").status_code == 302
    sso_client_a.post("/accounts/logout/")
    again = sso_client_a.get(f"{parsed.path}?{parsed.query}")
    assert again.status_code == 400 and "Вход не завершён" in again.content.decode()
    assert sso_client_a.get("/api/v1/me/").status_code == 401


def test_id_token_with_another_nonce_is_refused(teacher_a, sso_client_a, dev_idp, region_a, caplog):
    start = sso_client_a.get("/accounts/login/")
    with tenant_context(region_a):  # sessions live in the region's schema
        session = sso_client_a.session
        session["sso_flow"] = {**session["sso_flow"], "nonce": "not-the-nonce-of-this-login"}
        session.save()
    callback = dev_idp.sign_in(requests.Session(), start["Location"], teacher_a["username"], "teacher-pw")
    parsed = urlparse(callback)
    response = sso_client_a.get(f"{parsed.path}?{parsed.query}")
    assert response.status_code == 400 and "Вход не выполнен" in response.content.decode()
    assert sso_client_a.get("/api/v1/me/").status_code == 401
    events = [r.getMessage() for r in caplog.records if r.name == "msh.auth"]
    assert events and events[-1].startswith("auth login_failed") and "reason=wrong_nonce" in events[-1], (
        events
    )


def test_logout_needs_the_csrf_token(teacher_a, sso_client_a, browser_login):
    """Another site cannot sign a user out by posting a form to /accounts/logout/."""
    browser_login(sso_client_a, teacher_a["username"], "teacher-pw")
    strict = Client(HTTP_HOST=sso_client_a.defaults["HTTP_HOST"], enforce_csrf_checks=True)
    strict.cookies = sso_client_a.cookies
    assert strict.post("/accounts/logout/").status_code == 403
    assert strict.get("/api/v1/me/").status_code == 200  # still signed in
    page = strict.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, "the page's logout form carries the CSRF token"
    assert strict.post("/accounts/logout/", {"csrfmiddlewaretoken": token.group(1)}).status_code == 302
    assert strict.get("/api/v1/me/").status_code == 401


def test_user_of_region_a_signing_in_on_region_b_site_is_told_why(teacher_a, sso_client_b, dev_idp):
    """The usual way it happens: B's site sends the person to B's realm, which does not know
    their login. The realm's sign-in page (its header, Keycloak's ``displayNameHtml``, set by
    the platform) says whose sign-in it is and that another region's account does not work."""
    start = sso_client_b.get("/accounts/login/")
    browser = requests.Session()
    form_page = browser.get(start["Location"], timeout=10)
    assert "Учётная запись другого региона здесь не действует" in form_page.text
    action = re.search(r'<form method="post" action="([^"]+)"', form_page.text)
    assert action, form_page.text[:300]
    refused = browser.post(
        urljoin(dev_idp.url, action.group(1)),
        data={"username": teacher_a["username"], "password": "teacher-pw"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 200  # the form again, no redirect to B's callback
    assert "Неверное имя пользователя или пароль" in refused.text
    assert "Республика Татарстан" in refused.text
    assert "войдите на сайте своего региона" in refused.text
    assert sso_client_b.get("/api/v1/me/").status_code == 401
