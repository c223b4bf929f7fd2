"""Configuration pages: who may open what (regional admin / own school admin / other school /
teacher / anonymous / other region), the grid editor, the year editor, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from core.roles import Role
from regions.academics.models import AcademicYear
from regions.timetable.models import Lesson, TimetableEntry
from regions.timetable.services import EntryDraft, lessons_generate, timetable_entry_create
from tests.config_world import build_world
from tests.factories import (
    MembershipFactory,
    PersonFactory,
    SchoolClassFactory,
    SchoolFactory,
    UserFactory,
)


def _put(cast, weekday, lesson_number, subject, teacher, school_class) -> None:
    """A lesson in the school's weekly template (inside the region's schema)."""
    timetable_entry_create(
        school=cast.school,
        academic_year=cast.year,
        draft=EntryDraft(
            weekday=weekday,
            lesson_number=lesson_number,
            subject_id=subject.pk,
            teacher_id=teacher.pk,
            school_class_id=school_class.pk,
        ),
    )


@pytest.fixture
def cast(region_a):
    with tenant_context(region_a):
        w = build_world()
        w.rca = UserFactory(roles=[Role.REGIONAL_ADMIN])
        w.admin = UserFactory(roles=[Role.SCHOOL_ADMIN])
        MembershipFactory(person=PersonFactory(user=w.admin), school=w.school, role="school_admin")
        w.other_admin = UserFactory(roles=[Role.SCHOOL_ADMIN])
        MembershipFactory(
            person=PersonFactory(user=w.other_admin), school=w.other_school, role="school_admin"
        )
        w.teacher_user = UserFactory(roles=[Role.TEACHER])
        w.ivanova.user = w.teacher_user
        w.ivanova.save()
        for user in (w.rca, w.admin, w.other_admin, w.teacher_user):
            user._region = region_a
        yield w


def login(client, user) -> None:
    """Sessions live in the user's region schema: log in inside it (a request in between
    leaves the connection on ``public``)."""
    with tenant_context(user._region):
        client.force_login(user)


def school_pages(w) -> list[str]:
    s = w.school.pk
    return [
        f"/schools/{s}/settings/",
        f"/schools/{s}/classes/",
        f"/schools/{s}/groups/{w.g1.pk}/",
        f"/schools/{s}/rooms/",
        f"/schools/{s}/curriculum/",
        f"/schools/{s}/load/?class={w.c5a.pk}",
        f"/schools/{s}/timetable/?class={w.c5a.pk}",
        f"/schools/{s}/timetable/conflicts/",
        f"/schools/{s}/timetable/teacher/{w.ivanova.pk}/",
        f"/schools/{s}/timetable/room/{w.r204.pk}/",
        f"/schools/{s}/lessons/?date=2030-11-11",
        f"/schools/{s}/settings/years/new/?start_year=2031",
        f"/schools/{s}/settings/bells/new/",
    ]


def region_pages() -> list[str]:
    return [
        "/settings/",
        "/schools/",
        "/settings/curriculum/",
        "/settings/copy/",
        "/settings/years/new/",
        "/settings/bells/new/",
    ]


def test_regional_admin_opens_every_page(cast, client_a):
    login(client_a, cast.rca)
    for url in [*region_pages(), *school_pages(cast)]:
        response = client_a.get(url)
        assert response.status_code == 200, url
    page = client_a.get("/settings/").content.decode()
    assert "Настройки региона по умолчанию" in page and "Контрольная работа" in page and "2030/2031" in page
    assert "Настройки региона" in client_a.get("/").content.decode()  # the navigation link


def test_school_admin_own_school_only(cast, client_a):
    login(client_a, cast.admin)
    for url in school_pages(cast):
        assert client_a.get(url).status_code == 200, url
    other = cast.other_school.pk
    for url in (f"/schools/{other}/settings/", f"/schools/{other}/timetable/", f"/schools/{other}/lessons/"):
        assert client_a.get(url).status_code == 403, url
    # region defaults: readable (what the school inherits), not changeable
    assert client_a.get("/settings/").status_code == 200
    assert client_a.post("/settings/", {"timezone": "Asia/Omsk"}).status_code == 403
    assert client_a.get("/settings/years/new/").status_code == 403
    schools = client_a.get("/schools/").content.decode()
    assert "МБОУ СОШ №1" in schools and "МБОУ СОШ №2" not in schools


def test_teacher_and_anonymous_are_refused(cast, client_a):
    assert client_a.get(f"/schools/{cast.school.pk}/timetable/").status_code == 302  # to the login page
    login(client_a, cast.teacher_user)
    for url in [*region_pages(), *school_pages(cast)]:
        assert client_a.get(url).status_code == 403, url


def test_other_region_does_not_see_the_school(cast, client_b, region_b):
    with tenant_context(region_b):
        rcb = UserFactory(roles=[Role.REGIONAL_ADMIN])
        client_b.force_login(rcb)
    assert client_b.get(f"/schools/{cast.school.pk}/settings/").status_code == 404
    assert "МБОУ СОШ №1" not in client_b.get("/schools/").content.decode()


def test_grid_editor_saves_a_week_and_names_a_clash(cast, client_a, region_a):
    login(client_a, cast.admin)
    url = f"/schools/{cast.school.pk}/timetable/?class={cast.c5a.pk}"
    data = {
        "action": "save",
        "class": cast.c5a.pk,
        "year": cast.year.pk,
        "days": 5,
        "c-1-1-0-load": cast.a_math_5a.pk,
        "c-1-1-0-room": cast.r204.pk,
        "c-1-2-0-load": cast.a_eng_g1.pk,
        "c-1-2-1-load": cast.a_eng_g2.pk,
    }
    response = client_a.post(url, data)
    assert response.status_code == 302
    with tenant_context(region_a):
        assert TimetableEntry.objects.filter(school=cast.school).count() == 3
        # 6Б has math with Ivanova on Tuesday, lesson 1
        _put(cast, 2, 1, cast.math, cast.ivanova, cast.c6b)
    data["c-2-1-0-load"] = cast.a_math_5a.pk
    page = client_a.post(url, data).content.decode()
    assert "5А, вторник, 1 урок: Учитель Иванова А. П. уже ведёт урок в 6Б во вторник, 1 урок" in page
    assert 'class="cell clash"' in page
    with tenant_context(region_a):
        assert TimetableEntry.objects.filter(school_class=cast.c5a).count() == 1  # nothing half-saved


def test_a_class_the_registry_closed_is_reported_and_its_week_can_be_cleared(cast, client_a, region_a):
    """6Б is closed by a re-import while it has a lesson with Ivanova: that lesson still makes
    her look busy. The check names it, the grid opens the closed class, clearing it frees her."""
    with tenant_context(region_a):
        _put(cast, 2, 1, cast.math, cast.ivanova, cast.c6b)
        cast.c6b.is_active = False
        cast.c6b.save(update_fields=["is_active"])
    login(client_a, cast.admin)
    page = client_a.get(f"/schools/{cast.school.pk}/timetable/conflicts/").content.decode()
    assert (
        "6Б, вторник, 1 урок (Математика): класса 6Б нет в реестре — урок не проводится, но занимает "
        "учителя и кабинет; очистите неделю класса" in page
    )
    url = f"/schools/{cast.school.pk}/timetable/?class={cast.c6b.pk}"
    page = client_a.get(url).content.decode()
    assert "Расписание 6Б" in page and "Этого класса больше нет в реестре" in page
    assert client_a.post(url, {"action": "save", "class": cast.c6b.pk, "days": 5}).status_code == 302
    with tenant_context(region_a):
        assert not TimetableEntry.objects.filter(school_class=cast.c6b).exists()
    assert "Накладок нет" in client_a.get(f"/schools/{cast.school.pk}/timetable/conflicts/").content.decode()


def test_year_editor_creates_a_year_from_the_proposal(cast, client_a, region_a):
    login(client_a, cast.rca)
    page = client_a.get("/settings/years/new/?start_year=2032&period_kind=semester").content.decode()
    assert "1 полугодие" in page and "Зимние каникулы" in page
    data = {
        "name": "2032/2033",
        "starts_on": "2032-09-01",
        "ends_on": "2033-08-31",
        "period_kind": "semester",
        "period_rows": 2,
        "p-0-name": "1 полугодие",
        "p-0-starts_on": "01.09.2032",
        "p-0-ends_on": "30.12.2032",
        "p-0-closes_on": "2033-01-10",
        "p-1-name": "2 полугодие",
        "p-1-starts_on": "2032-12-20",
        "p-1-ends_on": "2033-05-26",
        "p-1-closes_on": "2033-05-31",
        "holiday_rows": 1,
        "h-0-name": "Зимние каникулы",
        "h-0-kind": "vacation",
        "h-0-starts_on": "2032-12-31",
        "h-0-ends_on": "2033-01-09",
    }
    page = client_a.post("/settings/years/new/", data).content.decode()
    assert "пересекаются" in page
    data["p-1-starts_on"] = "2033-01-10"
    assert client_a.post("/settings/years/new/", data).status_code == 302
    with tenant_context(region_a):
        year = AcademicYear.objects.get(name="2032/2033", school__isnull=True)
        assert year.periods.count() == 2 and year.holidays.count() == 1


def test_lessons_page_changes_a_lesson(cast, client_a, region_a):
    with tenant_context(region_a):
        _put(cast, 1, 1, cast.math, cast.ivanova, cast.c5a)
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
        lesson = Lesson.objects.get(date=datetime.date(2030, 11, 11))
    login(client_a, cast.admin)
    url = f"/schools/{cast.school.pk}/lessons/"
    client_a.post(
        url,
        {"date": "2030-11-11", "lesson": lesson.pk, "action": "substitute", "substitute": cast.smirnova.pk},
    )
    client_a.post(
        url,
        {
            "date": "2030-11-11",
            "lesson": lesson.pk,
            "action": "remote",
            "is_remote": "on",
            "video_url": "https://example.org/v",
        },
    )
    page = client_a.get(url + "?date=2030-11-11").content.decode()
    assert "Смирнова О. И." in page and "замена за" in page and "дистанционно" in page
    response = client_a.post(
        url, {"date": "2030-11-11", "lesson": lesson.pk, "action": "cancel", "reason": ""}, follow=True
    )
    assert "Укажите причину отмены урока" in response.content.decode()
    response = client_a.post(
        url,
        {
            "date": "2030-11-11",
            "lesson": lesson.pk,
            "action": "move",
            "new_date": "2030-11-12",
            "new_number": 2,
        },
        follow=True,
    )
    assert "Урок перенесён на 12.11.2030, 2 урок" in response.content.decode()


def test_load_page_shows_a_teacher_who_left_and_never_swaps_them_silently(cast, client_a, region_a):
    """The registry deactivated Sidorov; his load stays until someone else takes it. The row
    must show him (not the first teacher of the list, which a «Сохранить» would then write)."""
    from regions.people.models import Membership
    from regions.teaching.models import TeachingAssignment

    with tenant_context(region_a):
        Membership.objects.filter(person=cast.sidorov, school=cast.school).update(is_active=False)
    login(client_a, cast.admin)
    url = f"/schools/{cast.school.pk}/load/?class={cast.c5a.pk}"
    page = client_a.get(url).content.decode()
    assert (
        f'<option value="{cast.sidorov.pk}" selected>Сидоров П. — не работает в школе, выберите другого'
        in page
    )
    assert 'Сидоров <span class="error">не работает в школе</span>' in page
    # saving the row as shown keeps him and says why it cannot
    response = client_a.post(
        f"/schools/{cast.school.pk}/load/",
        {
            "action": "update",
            "assignment": cast.a_rus_5a.pk,
            "class": cast.c5a.pk,
            "teacher": cast.sidorov.pk,
            "hours": "5",
        },
        follow=True,
    )
    assert "Сидоров П. И. не работает учителем в этой школе (по данным реестра)" in response.content.decode()
    with tenant_context(region_a):
        assert TeachingAssignment.objects.get(pk=cast.a_rus_5a.pk).teacher_id == cast.sidorov.pk


def test_classes_page_shows_a_class_teacher_who_left(cast, client_a, region_a):
    from regions.people.models import Membership

    with tenant_context(region_a):
        cast.c5a.class_teacher = cast.sidorov
        cast.c5a.save(update_fields=["class_teacher"])
        Membership.objects.filter(person=cast.sidorov, school=cast.school).update(is_active=False)
    login(client_a, cast.admin)
    page = client_a.get(f"/schools/{cast.school.pk}/classes/").content.decode()
    assert (
        f'<option value="{cast.sidorov.pk}" selected>Сидоров П. — не работает в школе, выберите другого'
        in page
    )


def test_group_page_names_members_the_registry_moved_away(cast, client_a, region_a):
    """A student of 5А's English group 1 moves to 5Б, another leaves the school (a re-import):
    both stay members (configuration is never wiped) and the group page names them."""
    from regions.people.models import Membership

    with tenant_context(region_a):
        moved, left = cast.g1.members.order_by("surname")[:2]
        cast.g1.members.add(stays := cast.students_5a[-1])  # a third member who did not move
        Membership.objects.filter(person=moved, school_class=cast.c5a).update(school_class=cast.c5b)
        Membership.objects.filter(person=left, school=cast.school).update(is_active=False)
    login(client_a, cast.admin)
    url = f"/schools/{cast.school.pk}/groups/{cast.g1.pk}/"
    page = client_a.get(url).content.decode()
    assert "По данным реестра эти ученики больше не в классе группы" in page
    assert f"{moved.full_name} — сейчас в 5Б" in page
    assert f"{left.full_name} — больше не учится в школе" in page
    assert f"{stays.full_name} —" not in page
    # saving the list as shown leaves them out; then nothing is reported
    with tenant_context(region_a):
        kept = [p.pk for p in cast.g1.members.exclude(pk__in=[moved.pk, left.pk])]
    client_a.post(url, {"action": "members", "members": kept})
    assert "По данным реестра" not in client_a.get(url).content.decode()


def test_lessons_page_filters_by_teacher_and_marks_busy_substitutes(cast, client_a, region_a):
    """A teacher is ill: the admin lists her lessons of the day and sees, in each lesson's
    substitute list, who already teaches at that time."""
    with tenant_context(region_a):
        for teacher, subject, school_class in (
            (cast.ivanova, cast.math, cast.c5a),
            (cast.sidorov, cast.rus, cast.c5b),
        ):
            _put(cast, 1, 1, subject, teacher, school_class)
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
    login(client_a, cast.admin)
    page = client_a.get(
        f"/schools/{cast.school.pk}/lessons/?date=2030-11-11&teacher={cast.ivanova.pk}"
    ).content.decode()
    assert "5А · Математика" in page and "5Б · Русский язык" not in page
    assert f'<option value="{cast.sidorov.pk}">Сидоров П. И. — ведёт другой урок</option>' in page
    assert f'<option value="{cast.smirnova.pk}">Смирнова О. И.</option>' in page


def _count(client, url) -> int:
    # a repeat visit: the first after a change also reloads the session's account (its data
    # versions moved) and, in a fresh process, routes the host — once, whatever the data
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len([q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")])


def test_list_pages_keep_a_constant_number_of_queries(cast, client_a, region_a):
    login(client_a, cast.rca)
    s = cast.school.pk
    urls = [
        "/schools/",
        f"/schools/{s}/classes/",
        f"/schools/{s}/rooms/",
        f"/schools/{s}/load/?class={cast.c5a.pk}",
        f"/schools/{s}/timetable/?class={cast.c5a.pk}",
        f"/schools/{s}/timetable/teacher/{cast.ivanova.pk}/",
        f"/schools/{s}/lessons/?date=2030-11-11",
        f"/schools/{s}/curriculum/",
    ]
    with tenant_context(region_a):
        _put(cast, 1, 1, cast.math, cast.ivanova, cast.c5a)
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
    before = {url: _count(client_a, url) for url in urls}
    with tenant_context(region_a):
        for i in range(5):
            SchoolFactory.create()
            SchoolClassFactory.create(school=cast.school, parallel=7, letter="АБВГД"[i])
        for day, n in ((2, 1), (3, 1), (4, 2)):
            _put(cast, day, n, cast.math, cast.ivanova, cast.c5a)
        for n, (teacher, subj) in enumerate(((cast.sidorov, cast.rus), (cast.ivanova, cast.math)), start=2):
            _put(cast, 1, n, subj, teacher, (cast.c5a if subj == cast.rus else cast.c5b))
        lessons_generate(school=cast.school, period=cast.year.periods.get(number=2))
    after = {url: _count(client_a, url) for url in urls}
    assert after == before
