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


@pytest.fixture
def fuzz_user(journal_world, region_a):
    """A user with data behind every region endpoint: the journal world's teacher, who is also
    the admin of its school and a parent of one of its students, with a mark, an attendance
    entry, a homework, a final mark and a notification to act on."""
    from regions.journal import services
    from tests.factories import GuardianLinkFactory, MembershipFactory

    w = journal_world
    with tenant_context(region_a):
        user = w.teacher.user
        user.roles = [Role.TEACHER, Role.SCHOOL_ADMIN, Role.PARENT]
        user.save()
        MembershipFactory(person=w.teacher, school=w.s1, role="school_admin")
        GuardianLinkFactory(parent=w.teacher, child=w.st2)
        mark = services.mark_create(actor=user, lesson_id=w.lesson.pk, student_id=w.st2.pk, value="4")
        entry = services.attendance_set(actor=user, lesson_id=w.lesson.pk, student_id=w.st3.pk, kind="late")
        homework = services.homework_create(actor=user, lesson_id=w.lessons[0].pk, text="№ 1")
        final = services.final_mark_set(
            actor=user, student_id=w.st2.pk, subject_id=w.math.pk, school_class_id=w.a.pk,
            period_id=w.period.pk, value="4",
        )  # fmt: skip
        note = services.mark_create(
            actor=w.other_teacher.user, lesson_id=w.b_lesson.pk, student_id=w.st_b.pk, value="5"
        )
        del note
        from regions.journal.models import Notification

        Notification.objects.create(recipient=user, kind="mark_new", text="тест", student=w.st2)
        path = {
            "mark_id": mark.pk,
            "attendance_id": entry.pk,
            "homework_id": homework.pk,
            "final_id": final.pk,
            "lesson_id": w.lesson.pk,
            "student_id": w.st2.pk,
            "kind": "class",
            "target_id": w.a.pk,
            "subject_id": w.math.pk,
        }
        body = {
            "lesson": w.lesson.pk,
            "student": w.st2.pk,
            "subject": w.math.pk,
            "school_class": w.a.pk,
            "period": w.period.pk,
            "academic_year": w.year.pk,
            "control_form": w.test.pk,
            "value": "4",
        }
        real = {"path": path, "body": body}
    return user, real


def with_real_ids(case, real: dict) -> bool:
    """Point a generated request at objects that exist, so it runs past "not found" into the
    services' rules. Returns whether anything changed."""
    changed = False
    for name in list(case.path_parameters or {}):
        if name in real["path"]:
            case.path_parameters[name] = real["path"][name]
            changed = True
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in real["body"]:
                case.body[name] = real["body"][name]
                changed = True
            elif name in ("group", "due_lesson"):
                del case.body[name]  # a class is given; a due lesson would have to be a later one
                changed = True
    return changed


@pytest.fixture
def fuzz_clients(region_a, client_a, fuzz_user):
    """Two logged-in clients (a regional admin; the user with data), logged in once per
    operation rather than once per generated example."""
    user, real = fuzz_user
    with_data = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    with tenant_context(region_a):
        admin, _ = User.objects.get_or_create(
            username="fuzz-admin", defaults={"roles": [Role.REGIONAL_ADMIN]}
        )
        client_a.force_login(admin)
        with_data.force_login(user)
    return client_a, with_data, real


@region.parametrize()
@fuzz
def test_region_api_has_no_server_errors(case, fuzz_clients):
    admin, with_data, real = fuzz_clients
    status = send(admin, case)
    assert status < 500, case.as_curl_command()
    # the same request by a user with data, on real objects
    with_real_ids(case, real)
    status = send(with_data, case)
    assert status < 500, case.as_curl_command()
