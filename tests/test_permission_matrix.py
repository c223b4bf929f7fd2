# mypy: disable-error-code="attr-defined"
# (factory_boy factories are typed as the factory classes, not the models they build)
"""The permission matrix as a table: role × resource × own / same school (not one's own) / other
school / other region, through a real browser session and a real bearer token of the development
identity provider.

To add a row: put the resource's page and/or API path in ``RESOURCES`` (``{id}`` is the object),
say in ``OBJECTS`` which object of the world is "own", "same school", "other school" and "other
region" for it, and list in ``MATRIX`` the roles that may see it in each scope. Everything else
is denied, and the test checks that too.
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from core.roles import Role
from core.sso.config import federal_realm, region_realm
from tenants.identity.keycloak import account_ensure
from tenants.identity.services import accounts_provision
from tests.factories import (
    GuardianLinkFactory,
    MembershipFactory,
    PersonFactory,
    SchoolClassFactory,
    StudyGroupFactory,
    StudyPeriodFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
    UserFactory,
)

REGION_ROLES = ["regional_admin", "school_admin", "teacher", "student", "parent"]
ALL_ROLES = [*REGION_ROLES, "federal_operator", "anonymous"]
SCOPES = ["own", "same_school", "other_school", "other_region"]

RESOURCES: dict[str, dict[str, str]] = {
    "region_home": {"page": "/"},
    "school": {"page": "/schools/{id}/", "api": "/api/v1/schools/{id}/"},
    "school_classes": {"api": "/api/v1/schools/{id}/classes/"},
    "class_students": {"page": "/classes/{id}/", "api": "/api/v1/classes/{id}/students/"},
    "student": {"page": "/students/{id}/", "api": "/api/v1/students/{id}/"},
    "federal_console": {"page": "/", "api": "/api/v1/regions/"},
    "school_settings": {"page": "/schools/{id}/settings/", "api": "/api/v1/schools/{id}/settings/"},
    "class_journal": {
        "page": "/journal/class/{id}/{subject}/",
        "api": "/api/v1/journal/class/{id}/{subject}/",
    },
    "diary_week": {"page": "/diary/?student={id}", "api": "/api/v1/diary/{id}/week/"},
    "diary_marks": {"page": "/diary/marks/?student={id}", "api": "/api/v1/diary/{id}/marks/"},
    "group_journal": {
        "page": "/journal/group/{id}/{subject}/",
        "api": "/api/v1/journal/group/{id}/{subject}/",
    },
}
# which object of the world each scope means, per resource (keys of the ``world`` fixture)
OBJECTS: dict[str, dict[str, str]] = {
    "region_home": {"own": "region", "other_region": "region"},
    "school": {"own": "school", "other_school": "other_school", "other_region": "b_school"},
    "school_classes": {"own": "school", "other_school": "other_school", "other_region": "b_school"},
    "class_students": {
        "own": "class",
        "same_school": "same_class",
        "other_school": "other_class",
        "other_region": "b_class",
    },
    "student": {
        "own": "student",
        "same_school": "same_student",
        "other_school": "other_student",
        "other_region": "b_student",
    },
    "federal_console": {"own": "platform"},
    "school_settings": {"own": "school", "other_school": "other_school", "other_region": "b_school"},
    "class_journal": {
        "own": "class",
        "same_school": "same_class",
        "other_school": "other_class",
        "other_region": "b_class",
    },
    "diary_week": {
        "own": "student",
        "same_school": "same_student",
        "other_school": "other_student",
        "other_region": "b_student",
    },
    "diary_marks": {
        "own": "student",
        "same_school": "same_student",
        "other_school": "other_student",
        "other_region": "b_student",
    },
    "group_journal": {
        "own": "group",
        "same_school": "same_group",
        "other_school": "other_group",
        "other_region": "b_group",
    },
}
STAFF = {"regional_admin", "school_admin", "teacher"}
MATRIX: dict[tuple[str, str], set[str]] = {
    # the landing page is public in each region (it shows only the region's name)
    ("region_home", "own"): set(ALL_ROLES),
    ("region_home", "other_region"): set(ALL_ROLES),
    ("school", "own"): set(REGION_ROLES),
    ("school", "other_school"): {"regional_admin"},
    ("school_classes", "own"): set(REGION_ROLES),
    ("school_classes", "other_school"): {"regional_admin"},
    ("class_students", "own"): STAFF,
    # a class of the same school the teacher does not teach: the school's and the region's admins
    ("class_students", "same_school"): {"regional_admin", "school_admin"},
    ("class_students", "other_school"): {"regional_admin"},
    ("student", "own"): set(REGION_ROLES),
    # another pupil of the same school: not the teacher's, not the student's self, not the
    # parent's child
    ("student", "same_school"): {"regional_admin", "school_admin"},
    ("student", "other_school"): {"regional_admin"},
    ("federal_console", "own"): {"federal_operator"},
    # a school's configuration: its admin and the region's
    ("school_settings", "own"): {"regional_admin", "school_admin"},
    ("school_settings", "other_school"): {"regional_admin"},
    # the class journal: who teaches the class, the school admin, the region (read)
    ("class_journal", "own"): STAFF,
    ("class_journal", "same_school"): {"regional_admin", "school_admin"},
    ("class_journal", "other_school"): {"regional_admin"},
    # a group's journal: who teaches the group (not the class), the school admin, the region
    ("group_journal", "own"): STAFF,
    ("group_journal", "same_school"): {"regional_admin", "school_admin"},
    ("group_journal", "other_school"): {"regional_admin"},
    # a diary: the student and their parents only
    ("diary_week", "own"): {"student", "parent"},
    ("diary_marks", "own"): {"student", "parent"},
}


@dataclass
class Actor:
    role: str
    session: Client  # signed in through the browser flow (or anonymous)
    token: str | None  # bearer access token of the same account
    host_a: str
    host_b: str
    platform: str


@pytest.fixture
def world(region_a, region_b, dev_idp) -> dict[str, Any]:
    """Region A: school 1 (class 5А with the student, taught by the teacher, administered by the
    school admin; the parent's child is the student; a subgroup of 5А with the student that the
    teacher teaches by itself — not through the class; and class 5Б with another student and a
    subgroup, which the teacher does not teach) and school 2 (its own class, student and group).
    Region B: a school with a class, a student and a group."""
    with tenant_context(region_a):
        StudyPeriodFactory()  # the region's school year, a period around today: journals open
        school_class = SchoolClassFactory()
        school = school_class.school
        other_class = SchoolClassFactory()
        same_class = SchoolClassFactory(school=school)
        student = PersonFactory(user=UserFactory(roles=[Role.STUDENT]))
        MembershipFactory(person=student, school_class=school_class)
        other_student = MembershipFactory(school_class=other_class).person
        same_student = MembershipFactory(school_class=same_class).person
        teacher = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
        MembershipFactory(person=teacher, school=school, role="teacher")
        subject_id = TeachingAssignmentFactory(teacher=teacher, school_class=school_class).subject_id
        # a subgroup of 5А that the teacher teaches as a group (English), not through the class
        group = StudyGroupFactory(school_class=school_class, members=[student])
        group_subject = SubjectFactory(code="english", name="Английский язык")
        TeachingAssignmentFactory(teacher=teacher, school_class=None, group=group, subject=group_subject)
        same_group = StudyGroupFactory(school_class=same_class, members=[same_student])
        other_group = StudyGroupFactory(school_class=other_class)
        parent = PersonFactory(user=UserFactory(roles=[Role.PARENT]))
        GuardianLinkFactory(parent=parent, child=student)
        school_admin = PersonFactory(user=UserFactory(roles=[Role.SCHOOL_ADMIN]))
        MembershipFactory(person=school_admin, school=school, role="school_admin")
    with tenant_context(region_b):
        b_class = SchoolClassFactory()
        b_student = MembershipFactory(school_class=b_class).person
        b_group = StudyGroupFactory(school_class=b_class, members=[b_student])
    people = {"student": student, "teacher": teacher, "parent": parent, "school_admin": school_admin}
    passwords = {p.registry_id.lower(): f"{role}-pw" for role, p in people.items()}
    accounts_provision(region=region_a, passwords=passwords)
    return {
        "region": None,
        "platform": None,
        "school": school.pk,
        "other_school": other_class.school_id,
        "b_school": b_class.school_id,
        "class": school_class.pk,
        "other_class": other_class.pk,
        "same_class": same_class.pk,
        "b_class": b_class.pk,
        "student": student.pk,
        "other_student": other_student.pk,
        "same_student": same_student.pk,
        "b_student": b_student.pk,
        "group": group.pk,
        "same_group": same_group.pk,
        "other_group": other_group.pk,
        "b_group": b_group.pk,
        "subject": subject_id,
        "group_subject": group_subject.pk,
        "usernames": {role: p.registry_id.lower() for role, p in people.items()},
    }


def _actor(role: str, world, dev_idp, browser_login, region_a) -> Actor:
    port = dev_idp.inbox.port
    host_a, host_b, platform = f"r05.localhost:{port}", f"r16.localhost:{port}", f"localhost:{port}"
    if role == "anonymous":
        return Actor(role, Client(HTTP_HOST=host_a), None, host_a, host_b, platform)
    if role == "federal_operator":
        realm, host = federal_realm(), platform
        username = "matrix-federal"
        account_ensure(
            realm, username=username, roles=[Role.FEDERAL_OPERATOR], password="federal_operator-pw"
        )
    else:
        realm, host = region_realm(region_a), host_a
        username = world["usernames"].get(role, "matrix-rca")
        if role == "regional_admin":
            account_ensure(
                realm, username=username, roles=[Role.REGIONAL_ADMIN], password="regional_admin-pw"
            )
    password = f"{role}-pw"
    session = Client(HTTP_HOST=host)
    assert browser_login(session, username, password).status_code == 302
    token = dev_idp.tokens(
        realm.name,
        realm.client_id,
        realm.client_secret,
        f"http://{host}/accounts/callback/",
        username,
        password,
    )["access_token"]
    return Actor(role, session, token, host_a, host_b, platform)


def _request(actor: Actor, via: str, kind: str, path: str, host: str):
    headers: dict[str, Any] = {"HTTP_HOST": host}
    if via == "bearer":
        client = Client()
        if actor.token:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {actor.token}"
    else:
        # the same cookies, whatever host they are presented to; a copy, because a site that
        # does not know the session deletes the cookie (a browser would keep it per host)
        client = Client()
        client.cookies = SimpleCookie(actor.session.cookies.output(header="", sep=";"))
    return client.get(path, **headers)


def _allowed(response, kind: str) -> bool:
    if response.status_code == 200:
        return True
    denied = {302, 403, 404} if kind == "page" else {401, 403, 404}
    assert response.status_code in denied, f"{response.status_code}: {response.content[:200]!r}"
    return False


@pytest.mark.parametrize("role", ALL_ROLES)
def test_permission_matrix(role, world, dev_idp, browser_login, region_a):
    actor = _actor(role, world, dev_idp, browser_login, region_a)
    wrong: list[str] = []
    for resource, paths in RESOURCES.items():
        for scope, key in OBJECTS[resource].items():
            expected = role in MATRIX.get((resource, scope), set())
            host = actor.host_b if scope == "other_region" else actor.host_a
            if resource == "federal_console":
                host = actor.platform
            for kind, template in paths.items():
                for via in ("session", "bearer"):
                    if kind == "page" and via == "bearer":
                        continue  # pages are for browsers
                    subject = world["group_subject" if resource == "group_journal" else "subject"]
                    path = template.format(id=world[key], subject=subject)
                    got = _allowed(_request(actor, via, kind, path, host), kind)
                    if got != expected:
                        wrong.append(
                            f"{role} {via} {kind} {resource}/{scope}: {'allowed' if got else 'denied'}"
                        )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_school_list_holds_only_visible_schools(role, world, dev_idp, browser_login, region_a):
    actor = _actor(role, world, dev_idp, browser_login, region_a)
    for via in ("session", "bearer"):
        response = _request(actor, via, "api", "/api/v1/schools/", actor.host_a)
        ids = {s["id"] for s in response.json()["results"]} if response.status_code == 200 else set()
        assert (world["school"] in ids) == (role in MATRIX[("school", "own")]), via
        assert (world["other_school"] in ids) == (role == "regional_admin"), via
        other_region = _request(actor, via, "api", "/api/v1/schools/", actor.host_b)
        assert other_region.status_code in (401, 403), via


def test_school_list_query_count_does_not_grow(world, region_a, dev_idp, browser_login, assert_queries):
    actor = _actor("regional_admin", world, dev_idp, browser_login, region_a)
    actor.session.get("/api/v1/schools/")
    # the data versions, the matrix (one query, kept with the account), count, page of schools
    with assert_queries(3):
        assert actor.session.get("/api/v1/schools/").status_code == 200
    with tenant_context(region_a):
        SchoolClassFactory.create_batch(5)
    actor.session.get("/api/v1/schools/")  # the roster moved: the account's user and viewer are read again
    with assert_queries(3):
        assert len(actor.session.get("/api/v1/schools/").json()["results"]) >= 7
