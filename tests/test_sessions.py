"""Sessions remembered per process (core.sessions): a signed-in page reads no session of its
own — the versions read confirms it — and whatever ends or changes a session elsewhere (a
logout in another process, a back-channel logout, an expiry, a save) is seen at the very next
request, in the region and on the federal console."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context, tenant_context

from core import sessions
from core.models import SsoSession
from core.sso.views import end_sessions

DIARY = "/diary/"


@pytest.fixture
def w(journal_world):
    return journal_world


def _signed_in(client: Client, region, user) -> str:
    with tenant_context(region):
        client.force_login(user)
    return client.cookies["sessionid"].value


def _sql(region, statement: str, params: list) -> int:
    """A statement as another process would run it: behind this process's back."""
    with tenant_context(region), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def test_a_cached_page_confirms_its_session_in_its_one_query(w, region_a, client_a, assert_queries):
    _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200  # read from the database, remembered
    assert client_a.get(DIARY)["X-Page-Cache"] == "hit"
    with assert_queries(1) as ctx:
        response = client_a.get(DIARY)
    assert response["X-Page-Cache"] == "hit"
    only = ctx.captured_queries[-1]["sql"]
    assert "journal_dataversion" in only and "django_session" in only


def test_a_session_deleted_elsewhere_is_refused_at_the_next_request(w, region_a, client_a):
    key = _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200
    assert client_a.get(DIARY).status_code == 200  # from memory now
    assert _sql(region_a, "DELETE FROM django_session WHERE session_key = %s", [key]) == 1
    response = client_a.get(DIARY)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_a_back_channel_logout_ends_a_remembered_session(w, region_a, client_a):
    key = _signed_in(client_a, region_a, w.st1.user)
    with tenant_context(region_a):
        SsoSession.objects.create(sid="idp-session-1", session_key=key, user=w.st1.user)
    assert client_a.get(DIARY).status_code == 200
    assert client_a.get(DIARY).status_code == 200  # remembered
    with tenant_context(region_a):
        assert end_sessions(sid="idp-session-1") == 1
    assert client_a.get(DIARY).status_code == 302


def test_an_expired_session_is_refused_though_remembered(w, region_a, client_a):
    key = _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    assert (
        _sql(region_a, "UPDATE django_session SET expire_date = %s WHERE session_key = %s", [past, key]) == 1
    )
    assert client_a.get(DIARY).status_code == 302


def test_a_session_changed_elsewhere_is_read_anew(w, region_a, client_a):
    """Another process saves the session with another user in it (as a login with the same key
    would): the next request is that user's, not the remembered one's."""
    key = _signed_in(client_a, region_a, w.st1.user)
    assert w.st1.surname in client_a.get(DIARY).content.decode()
    other = w.parent2.user
    store = sessions.SessionStore()
    data = store.encode(
        {
            SESSION_KEY: str(other.pk),
            BACKEND_SESSION_KEY: "core.sso.backends.AccountBackend",
            HASH_SESSION_KEY: other.get_session_auth_hash(),
        }
    )
    assert (
        _sql(region_a, "UPDATE django_session SET session_data = %s WHERE session_key = %s", [data, key]) == 1
    )
    page = client_a.get(DIARY).content.decode()
    assert w.st2.surname in page and w.st1.surname not in page  # parent2's child, st2


def test_the_federal_console_confirms_a_remembered_session_too(public_client, federal_operator):
    public_client.force_login(federal_operator)
    assert public_client.get("/").status_code == 200
    assert public_client.get("/").status_code == 200
    key = public_client.cookies["sessionid"].value
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session WHERE session_key = %s", [key])
    response = public_client.get("/")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_a_logout_here_forgets_the_session(w, region_a, client_a):
    _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200
    client_a.post("/accounts/logout/")
    assert client_a.get(DIARY).status_code == 302


def test_outside_a_request_the_session_is_read_from_the_database(w, region_a, client_a):
    key = _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200  # remembered by the request
    _sql(region_a, "DELETE FROM django_session WHERE session_key = %s", [key])
    with tenant_context(region_a):
        assert sessions.SessionStore(session_key=key).load() == {}


@pytest.fixture
def sign_in_page(monkeypatch):
    """The real /accounts/login/ view with an identity provider configured (no network): it
    writes the session (the login flow's state) without asking for the user."""
    from core.sso import views as sso_views

    monkeypatch.setattr(sso_views, "identity_configured", lambda: True)
    monkeypatch.setattr(
        sso_views, "discovery", lambda realm: {"authorization_endpoint": "https://idp.example/auth"}
    )


def test_an_expired_session_is_not_revived_by_a_page_that_writes_the_session(
    w, region_a, client_a, sign_in_page
):
    key = _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200  # remembered
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    assert (
        _sql(region_a, "UPDATE django_session SET expire_date = %s WHERE session_key = %s", [past, key]) == 1
    )
    assert client_a.get("/accounts/login/").status_code == 302  # to the identity provider
    with tenant_context(region_a), connection.cursor() as cursor:
        cursor.execute("SELECT expire_date > now() FROM django_session WHERE session_key = %s", [key])
        assert cursor.fetchone() == (False,)  # the expired row was not saved again
    assert client_a.get(DIARY).status_code == 302


def test_the_sign_in_page_works_after_a_logout_elsewhere(w, region_a, client_a, sign_in_page):
    key = _signed_in(client_a, region_a, w.st1.user)
    assert client_a.get(DIARY).status_code == 200
    assert _sql(region_a, "DELETE FROM django_session WHERE session_key = %s", [key]) == 1
    assert client_a.get("/accounts/login/").status_code == 302  # not 400 (a save to a gone row)


def test_the_federal_console_refuses_a_deleted_session_during_a_key_rotation(public_client, federal_operator):
    """With SECRET_KEY_FALLBACKS Django re-saves a session signed with an old key under a new
    key; the session must be confirmed before that, or a logout elsewhere would be undone."""
    with override_settings(SECRET_KEY="old-secret-key"):
        public_client.force_login(federal_operator)
        assert public_client.get("/").status_code == 200
    key = public_client.cookies["sessionid"].value
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session WHERE session_key = %s", [key])
    with override_settings(SECRET_KEY="new-secret-key", SECRET_KEY_FALLBACKS=["old-secret-key"]):
        assert public_client.get("/").status_code == 302
