"""The OpenAPI description of both APIs is valid, and schemathesis, driving every operation
with generated data (a bounded number of examples), finds no server error."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from django_tenants.utils import tenant_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from core.models import User
from core.roles import Role

EXAMPLES = 10


def openapi(urlconf: str) -> dict:
    return SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)


def send(client: Client, case) -> int:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    path = kwargs["url"].removeprefix("http://testserver")
    body = kwargs.get("json")
    data = json.dumps(body) if body is not None else kwargs.get("data") or ""
    response = client.generic(
        kwargs["method"],
        path,
        data=data,
        content_type=kwargs.get("headers", {}).get("Content-Type", "application/json"),
        QUERY_STRING=urlencode(kwargs.get("params") or {}, doseq=True),
    )
    return response.status_code


@pytest.mark.parametrize("urlconf", ["config.urls_public", "config.urls_region"])
def test_schema_is_valid_openapi(urlconf):
    from drf_spectacular.validation import validate_schema

    validate_schema(openapi(urlconf))


def test_schema_and_docs_are_served(public_client, client_a):
    assert public_client.get("/api/schema/").status_code == 200
    assert public_client.get("/api/docs/").status_code == 200
    schema = client_a.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/schools/" in schema["paths"]


federal = schemathesis.openapi.from_dict(openapi("config.urls_public"))
region = schemathesis.openapi.from_dict(openapi("config.urls_region"))
fuzz = hypothesis_settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@federal.parametrize()
@fuzz
def test_federal_api_has_no_server_errors(case, operator_client):
    status = send(operator_client, case)
    assert status < 500, case.as_curl_command()


@region.parametrize()
@fuzz
def test_region_api_has_no_server_errors(case, region_a, client_a):
    with tenant_context(region_a):
        admin, _ = User.objects.get_or_create(
            username="fuzz-admin", defaults={"roles": [Role.REGIONAL_ADMIN]}
        )
        client_a.force_login(admin)
    status = send(client_a, case)
    assert status < 500, case.as_curl_command()
