"""Requests are routed by host name; unknown hosts and suspended regions get clear pages."""

from django.test import Client

from tenants import services


def test_region_host_serves_its_region(client_a, client_b):
    page_a = client_a.get("/")
    assert page_a.status_code == 200
    assert "Республика Дагестан" in page_a.content.decode()
    assert "Республика Татарстан" in client_b.get("/").content.decode()
    assert client_a.get("/healthz").json()["schema"] == "region_05"
    assert client_b.get("/healthz").json()["schema"] == "region_16"


def test_unknown_host_gets_404_page_not_another_region(db):
    response = Client(HTTP_HOST="nowhere.localhost").get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Регион не найден" in body and "nowhere.localhost" in body
    assert "Дагестан" not in body


def test_host_with_port_and_uppercase(region_a):
    response = Client(HTTP_HOST="R05.LOCALHOST:8000").get("/healthz")
    assert response.json()["schema"] == "region_05"


def test_console_lists_regions_for_federal_operator(operator_client):
    page = operator_client.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Республика Дагестан" in body and "Республика Татарстан" in body and "r05.localhost" in body


def test_console_requires_login_and_role(public_client, db):
    from core.models import User

    response = public_client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    public_client.force_login(User.objects.create_user(username="nobody", password="x"))
    assert public_client.get("/").status_code == 403


def test_suspended_region_page_and_api(client_a, region_a):
    services.region_suspend(code="05")
    page = client_a.get("/")
    assert page.status_code == 403
    assert "Регион приостановлен" in page.content.decode()
    api = client_a.get("/api/v1/schools/")
    assert api.status_code == 403
    assert api.json()["code"] == "region_suspended"
    services.region_resume(code="05")
    assert client_a.get("/").status_code == 200


def test_interface_speaks_russian_first_and_english_on_request(client_a):
    assert "Войти" in client_a.get("/").content.decode()
    english = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
