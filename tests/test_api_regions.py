"""Federal API: region administration, federal operator only."""

import pytest
from django.db import connection

from core.models import User
from tenants.models import Region


def test_list_regions_with_counts(operator_client):
    data = operator_client.get("/api/v1/regions/").json()
    by_code = {r["code"]: r for r in data}
    assert by_code["05"]["name"] == "Республика Дагестан"
    assert by_code["05"]["domains"] == ["r05.localhost"]
    assert by_code["05"]["status"] == "active"
    assert by_code["05"]["schools"] == 0 and by_code["05"]["people"] == 0


def test_create_region(operator_client):
    response = operator_client.post(
        "/api/v1/regions/", {"code": "40", "domains": ["kaluga.localhost"]}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Калужская область"
    assert response.json()["schema_name"] == "region_40"
    assert Region.objects.filter(code="40").exists()


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"code": "99", "domains": ["x.localhost"]}, "не входит в перечень"),
        ({"code": "05", "domains": ["x.localhost"]}, "уже создан"),
        ({"code": "40", "domains": ["r16.localhost"]}, "уже занят"),
        ({"code": "40", "domains": ["not a domain"]}, "Некорректный домен"),
        ({"code": "40", "domains": []}, "Некорректные данные"),
    ],
)
def test_create_region_bad_input(operator_client, payload, fragment):
    response = operator_client.post("/api/v1/regions/", payload, content_type="application/json")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname IN ('region_40', 'region_99')")
        assert cursor.fetchone() is None


def test_rename_domains_suspend_resume(operator_client):
    assert (
        operator_client.patch(
            "/api/v1/regions/05/", {"name": "Дагестан"}, content_type="application/json"
        ).json()["name"]
        == "Дагестан"
    )
    added = operator_client.post(
        "/api/v1/regions/05/domains/", {"domain": "dag.localhost"}, content_type="application/json"
    )
    assert added.status_code == 201 and "dag.localhost" in added.json()["domains"]
    assert operator_client.delete("/api/v1/regions/05/domains/dag.localhost/").status_code == 204
    assert operator_client.post("/api/v1/regions/05/suspend/").json()["status"] == "suspended"
    assert operator_client.post("/api/v1/regions/05/resume/").json()["status"] == "active"


def test_archive_requires_confirmation(operator_client):
    response = operator_client.post(
        "/api/v1/regions/05/archive/", {"confirm": "5"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "не подтверждено" in response.json()["detail"]
    assert Region.objects.get(code="05").status == "active"


def test_unknown_region_is_404_with_message(operator_client):
    response = operator_client.get("/api/v1/regions/40/")
    assert response.status_code == 404
    assert "не создан" in response.json()["detail"]


def test_only_federal_operator(public_client, db):
    # anonymous: 401 with the bearer challenge (the API accepts realm access tokens)
    anonymous = public_client.get("/api/v1/regions/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    public_client.force_login(
        User.objects.create_user(username="someone", password="x", roles=["regional_admin"])
    )
    assert public_client.get("/api/v1/regions/").status_code == 403
    assert (
        public_client.post(
            "/api/v1/regions/", {"code": "40", "domains": ["k.localhost"]}, content_type="application/json"
        ).status_code
        == 403
    )


def test_federal_api_is_not_served_on_region_hosts(client_a):
    assert client_a.get("/api/v1/regions/").status_code == 404
