"""The configuration REST API: the same operations as the pages, with the permission cases
(regional admin / own school admin / other school / teacher / anonymous / other region), the
error shape for bad input, and constant query counts on list endpoints."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from core.roles import Role
from regions.timetable.models import Lesson
from regions.timetable.services import EntryDraft, lessons_generate, timetable_entry_create
from tests.config_world import build_world
from tests.factories import MembershipFactory, PersonFactory, UserFactory

API = "/api/v1"


@pytest.fixture
def cast(region_a):
    with tenant_context(region_a):
        w = build_world()
        w.rca = UserFactory(roles=[Role.REGIONAL_ADMIN])
        w.admin = UserFactory(roles=[Role.SCHOOL_ADMIN])
        MembershipFactory(person=PersonFactory(user=w.admin), school=w.school, role="school_admin")
        w.teacher_user = UserFactory(roles=[Role.TEACHER])
        w.ivanova.user = w.teacher_user
        w.ivanova.save()
        w.region = region_a
        yield w


def as_user(client, cast, user):
    with tenant_context(cast.region):
        client.force_login(user)
    return client


def put(w, teacher, subj, cls, day, n):
    with tenant_context(w.region):
        return timetable_entry_create(
            school=w.school,
            academic_year=w.year,
            draft=EntryDraft(
                weekday=day,
                lesson_number=n,
                subject_id=subj.pk,
                teacher_id=teacher.pk,
                school_class_id=cls.pk,
            ),
        )


def school_reads(w) -> list[str]:
    s = w.school.pk
    return [
        f"{API}/schools/{s}/settings/",
        f"{API}/schools/{s}/classes/",
        f"{API}/schools/{s}/rooms/",
        f"{API}/schools/{s}/groups/",
        f"{API}/schools/{s}/teaching/",
        f"{API}/schools/{s}/load/?academic_year={w.year.pk}",
        f"{API}/schools/{s}/timetable/?academic_year={w.year.pk}",
        f"{API}/schools/{s}/timetable/conflicts/?academic_year={w.year.pk}",
        f"{API}/schools/{s}/lessons/?date_from=2030-11-01&date_to=2030-11-30",
        f"{API}/curriculum/?academic_year={w.year.pk}&school={s}",
        f"{API}/control-forms/?school={s}",
    ]


def test_permission_matrix(cast, client_a):
    anonymous = client_a.get(f"{API}/schools/{cast.school.pk}/settings/")
    assert anonymous.status_code == 401  # no session, no bearer token: authenticate first
    as_user(client_a, cast, cast.teacher_user)
    for url in school_reads(cast):
        # a teacher reads the list of the classes they teach (the permission matrix), nothing else
        expected = 200 if url.endswith(f"/schools/{cast.school.pk}/classes/") else 403
        assert client_a.get(url).status_code == expected, url
    as_user(client_a, cast, cast.admin)
    for url in school_reads(cast):
        assert client_a.get(url).status_code == 200, url
    other = cast.other_school.pk
    for url in (
        f"{API}/schools/{other}/settings/",
        f"{API}/schools/{other}/timetable/?academic_year={cast.year.pk}",
    ):
        assert client_a.get(url).status_code == 403, url
    # a teacher of another school only: not through this school's timetable
    from tests.factories import make_teacher

    with tenant_context(cast.region):
        stranger = make_teacher(cast.other_school, "Орлова", "Нина", "Юрьевна")
    url = f"{API}/schools/{cast.school.pk}/timetable/?academic_year={cast.year.pk}&teacher="
    assert client_a.get(url + str(stranger.pk)).status_code == 404
    assert client_a.get(url + str(cast.ivanova.pk)).status_code == 200
    # region defaults: read yes, write no
    assert client_a.get(f"{API}/control-forms/").status_code == 200
    response = client_a.post(
        f"{API}/control-forms/", {"code": "x", "name": "X", "weight": 2}, content_type="application/json"
    )
    assert response.status_code == 403
    assert (
        client_a.put(
            f"{API}/region/timezone/", {"timezone": "Asia/Omsk"}, content_type="application/json"
        ).status_code
        == 403
    )
    # own school's rows: yes
    response = client_a.post(
        f"{API}/control-forms/",
        {"school": cast.school.pk, "code": "x", "name": "Своя", "weight": 2},
        content_type="application/json",
    )
    assert response.status_code == 201
    as_user(client_a, cast, cast.rca)
    for url in school_reads(cast):
        assert client_a.get(url).status_code == 200, url
    assert client_a.put(
        f"{API}/region/timezone/", {"timezone": "Asia/Omsk"}, content_type="application/json"
    ).json() == {"timezone": "Asia/Omsk"}


def test_other_region_gets_404(cast, client_b, region_b):
    with tenant_context(region_b):
        client_b.force_login(UserFactory(roles=[Role.REGIONAL_ADMIN]))
    assert client_b.get(f"{API}/schools/{cast.school.pk}/settings/").status_code == 404
    assert client_b.get(f"{API}/academic-years/{cast.year.pk}/").status_code == 404
    assert client_b.get(f"{API}/academic-years/").json() == []


def test_bad_input_gets_400_with_the_error_shape(cast, client_a):
    as_user(client_a, cast, cast.rca)
    proposal = client_a.get(f"{API}/academic-years/proposal/?start_year=2031&period_kind=quarter").json()
    assert [p["name"] for p in proposal["periods"]] == [
        "1 четверть",
        "2 четверть",
        "3 четверть",
        "4 четверть",
    ]
    proposal["periods"][1]["starts_on"] = proposal["periods"][0]["ends_on"]
    response = client_a.post(f"{API}/academic-years/", proposal, content_type="application/json")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid"
    assert "пересекаются" in body["detail"] and "periods" in body["fields"]
    response = client_a.post(f"{API}/academic-years/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"detail", "code", "fields"}
    proposal["periods"][1]["starts_on"] = "2031-11-05"
    created = client_a.post(f"{API}/academic-years/", proposal, content_type="application/json")
    assert created.status_code == 201 and len(created.json()["holidays"]) == 9


def test_timetable_through_the_api(cast, client_a):
    as_user(client_a, cast, cast.admin)
    put(cast, cast.ivanova, cast.math, cast.c6b, 1, 2)
    body = {
        "academic_year": cast.year.pk,
        "weekday": 1,
        "lesson_number": 2,
        "subject": cast.math.pk,
        "teacher": cast.ivanova.pk,
        "school_class": cast.c5a.pk,
    }
    response = client_a.post(
        f"{API}/schools/{cast.school.pk}/timetable/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Учитель Иванова А. П. уже ведёт урок в 6Б в понедельник, 2 урок" in response.json()["detail"]
    body["lesson_number"] = 9
    assert (
        "урок 9 вне расписания звонков"
        in client_a.post(
            f"{API}/schools/{cast.school.pk}/timetable/", body, content_type="application/json"
        ).json()["detail"]
    )
    body["lesson_number"] = 3
    entry = client_a.post(f"{API}/schools/{cast.school.pk}/timetable/", body, content_type="application/json")
    assert entry.status_code == 201
    with tenant_context(cast.region):
        q2 = cast.year.periods.get(number=2)
    report = client_a.post(
        f"{API}/schools/{cast.school.pk}/lessons/generate/",
        {"period": q2.pk},
        content_type="application/json",
    )
    assert report.status_code == 200 and report.json()["created"] > 0
    lessons = client_a.get(
        f"{API}/schools/{cast.school.pk}/lessons/?date_from=2030-11-11&date_to=2030-11-11"
    ).json()
    math_5a = next(lesson for lesson in lessons if lesson["school_class"] == cast.c5a.pk)
    moved = client_a.post(
        f"{API}/lessons/{math_5a['id']}/move/",
        {"date": "2030-11-12", "lesson_number": 4},
        content_type="application/json",
    ).json()
    assert (moved["date"], moved["moved_from_date"], moved["moved_from_number"]) == (
        "2030-11-12",
        "2030-11-11",
        3,
    )
    sub = client_a.post(
        f"{API}/lessons/{math_5a['id']}/substitute/",
        {"substitute": cast.smirnova.pk},
        content_type="application/json",
    )
    assert sub.json()["acting_teacher"] == cast.smirnova.pk
    cancel = client_a.post(
        f"{API}/lessons/{math_5a['id']}/cancel/", {"reason": ""}, content_type="application/json"
    )
    assert cancel.status_code == 400
    remote = client_a.post(
        f"{API}/lessons/{math_5a['id']}/remote/",
        {"is_remote": True, "video_url": "ftp://x"},
        content_type="application/json",
    )
    assert remote.status_code == 400 and "video_url" in remote.json()["fields"]
    # the other school's lesson: 403
    with tenant_context(cast.region):
        foreign = Lesson.objects.create(
            school=cast.other_school,
            period=q2,
            date=datetime.date(2030, 11, 11),
            lesson_number=1,
            starts_at=datetime.time(8),
            ends_at=datetime.time(8, 45),
            school_class=cast.c5b,
            subject=cast.math,
            teacher=cast.ivanova,
        )
    assert (
        client_a.post(
            f"{API}/lessons/{foreign.pk}/cancel/", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_autofill_copy_and_settings_copy_through_the_api(cast, client_a):
    as_user(client_a, cast, cast.rca)
    result = client_a.post(
        f"{API}/schools/{cast.school.pk}/timetable/autofill/",
        {"academic_year": cast.year.pk},
        content_type="application/json",
    ).json()
    assert result["placed"] > 0 and result["unplaced"] == []
    conflicts = client_a.get(
        f"{API}/schools/{cast.school.pk}/timetable/conflicts/?academic_year={cast.year.pk}"
    ).json()
    assert conflicts == []
    preview = client_a.post(
        f"{API}/settings-copy/preview/",
        {"source": cast.school.pk, "targets": [cast.other_school.pk], "kinds": ["control_forms"]},
        content_type="application/json",
    )
    assert preview.status_code == 200 and preview.json()[0]["changes"] == []


def _count(client, url) -> int:
    # a repeat visit: the first after a change also reloads the session's account (its data
    # versions moved) and, in a fresh process, routes the host — once, whatever the data
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len([q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")])


def test_list_endpoints_keep_a_constant_number_of_queries(cast, client_a):
    as_user(client_a, cast, cast.rca)
    put(cast, cast.ivanova, cast.math, cast.c5a, 1, 1)
    with tenant_context(cast.region):
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
    urls = [*school_reads(cast), f"{API}/academic-years/", f"{API}/bell-schedules/", f"{API}/subjects/"]
    before = {url: _count(client_a, url) for url in urls}
    for day in (2, 3, 4):
        put(cast, cast.ivanova, cast.math, cast.c5a, day, 1)
    put(cast, cast.sidorov, cast.rus, cast.c5b, 1, 1)
    with tenant_context(cast.region):
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
    after = {url: _count(client_a, url) for url in urls}
    assert after == before
