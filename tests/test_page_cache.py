"""Caches of the hot pages: the host's region, the session's account and viewer, the journal
grid and the diary week as sent. Whatever changes a row a page shows — a service, a bulk
``UPDATE``, another process — the next request shows the change; rights follow at once; one
region never sees another's pages."""

from __future__ import annotations

import copy
import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from core.models import User
from regions.journal import services
from regions.journal.models import DataVersion
from regions.journal.versions import read
from regions.people.models import GuardianLink, Membership, Person
from regions.teaching.models import TeachingAssignment
from regions.timetable.models import Lesson
from tenants import routing
from tenants import services as region_services
from tests.journal_world import build_journal_world


@pytest.fixture
def w(journal_world):
    return journal_world


@pytest.fixture
def login(client_a, region_a):
    def as_(person_or_user, client=None):
        client = client or client_a
        user = getattr(person_or_user, "user", person_or_user)
        with tenant_context(region_a):
            client.force_login(user)
        return client

    return as_


def diary_url(w, lesson=None, **params):
    day = (lesson or w.lesson).date
    query = "&".join([f"date={day.isoformat()}", *(f"{k}={v}" for k, v in params.items())])
    return f"/diary/?{query}"


def grid_url(w):
    return f"/journal/class/{w.a.pk}/{w.math.pk}/"


def cached_twice(client, url):
    """Visit twice: the second answer must come from the cache."""
    first = client.get(url)
    assert first.status_code == 200
    second = client.get(url)
    assert second["X-Page-Cache"] == "hit", url
    assert _without_tokens(second) == _without_tokens(first)
    return second


def _without_tokens(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


# --- nothing stale ---------------------------------------------------------------------------------


def test_a_saved_mark_is_in_the_next_diary_request_and_journal(w, region_a, login):
    student = login(w.st1)
    cached_twice(student, diary_url(w))
    parent = login(w.parent, Client(HTTP_HOST="r05.localhost"))
    cached_twice(parent, diary_url(w, student=w.st1.pk))
    teacher = login(w.teacher, Client(HTTP_HOST="r05.localhost"))
    cached_twice(teacher, grid_url(w))
    with tenant_context(region_a):
        mark = services.mark_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="2",
            control_form_id=w.test.pk, comment="неожиданно",
        )  # fmt: skip
    for client, url in ((student, diary_url(w)), (parent, diary_url(w, student=w.st1.pk))):
        response = client.get(url)
        assert "X-Page-Cache" not in response
        assert "неожиданно" in response.content.decode()
    assert f'data-mark="{mark.pk}"' in teacher.get(grid_url(w)).content.decode()
    # a change and a deletion too
    with tenant_context(region_a):
        services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="3", comment="исправлено")
    assert "исправлено" in student.get(diary_url(w)).content.decode()
    with tenant_context(region_a):
        services.mark_delete(actor=w.teacher.user, mark_id=mark.pk)
    assert "исправлено" not in student.get(diary_url(w)).content.decode()
    assert f'data-mark="{mark.pk}"' not in teacher.get(grid_url(w)).content.decode()


def test_a_held_page_is_sent_before_the_view_while_its_versions_hold(w, region_a, login, monkeypatch):
    """RememberedPageMiddleware: a page this process holds goes out before URL resolution and
    the view — same headers as the rendered one — and never once a version under it moved."""
    from regions.journal import views

    for person, url in ((w.st1, diary_url(w)), (w.teacher, grid_url(w))):
        client = login(person, Client(HTTP_HOST="r05.localhost"))
        rendered = client.get(url)
        assert rendered.status_code == 200 and "X-Page-Cache" not in rendered
        calls: list[object] = []
        real = views.viewer_for
        monkeypatch.setattr(
            views, "viewer_for", lambda user, _real=real, _calls=calls: _calls.append(user) or _real(user)
        )
        held = client.get(url)
        assert held["X-Page-Cache"] == "hit" and calls == []  # the view did not run
        assert set(held.headers) - {"X-Page-Cache"} == set(rendered.headers)
        assert _without_tokens(held) == _without_tokens(rendered)
        with tenant_context(region_a):
            services.mark_create(
                actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="4",
                control_form_id=w.test.pk,
            )  # fmt: skip
        again = client.get(url)
        assert "X-Page-Cache" not in again and len(calls) == 1  # rendered by the view anew
        monkeypatch.undo()


def test_attendance_topic_homework_and_done_flag_reach_the_diary(w, region_a, login):
    student = login(w.st1)
    cached_twice(student, diary_url(w))
    with tenant_context(region_a):
        services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, kind="ill")
    assert "att-ill" in student.get(diary_url(w)).content.decode()
    with tenant_context(region_a):
        services.lesson_topic_set(actor=w.teacher.user, lesson_id=w.lesson.pk, topic="Дроби и проценты")
    assert "Дроби и проценты" in student.get(diary_url(w)).content.decode()
    with tenant_context(region_a):
        homework = services.homework_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, text="Задачи 5–9", due_date=w.lesson.date
        )
    assert "Задачи 5–9" in cached_twice(student, diary_url(w)).content.decode()
    with tenant_context(region_a):
        services.homework_done_set(actor=w.st1.user, homework_id=homework.pk, done=True)
    assert 'class="hw done"' in student.get(diary_url(w)).content.decode()


def test_a_final_mark_reaches_the_journal(w, region_a, login):
    teacher = login(w.teacher)
    cached_twice(teacher, grid_url(w))
    with tenant_context(region_a):
        services.final_mark_set(
            actor=w.teacher.user, student_id=w.st1.pk, subject_id=w.math.pk, school_class_id=w.a.pk,
            period_id=w.period.pk, value="4",
        )  # fmt: skip
    assert 'value="4"' in teacher.get(grid_url(w)).content.decode()


def test_a_mark_in_the_students_former_class_moves_the_new_class_journal(w, region_a, login):
    """The journal counts a student's marks of another class in the period (they moved): a mark
    put there later still reaches the new class's page."""
    teacher = login(w.teacher)
    with tenant_context(region_a):
        Membership.objects.filter(person=w.st_b, role="student").update(school_class=w.a)
    before = cached_twice(teacher, grid_url(w)).content.decode()
    with tenant_context(region_a):
        # written on a 5Б lesson, by bulk SQL that no service wraps
        lesson = Lesson.objects.get(pk=w.b_lesson.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO journal_mark (lesson_id, student_id, value, value_five, control_form_id, weight,"
                " comment, created_at, updated_at, is_deleted)"
                " VALUES (%s, %s, '2', 2, %s, 3, '', now(), now(), false)",
                [lesson.pk, w.st_b.pk, w.test.pk],
            )
    after = teacher.get(grid_url(w))
    assert "X-Page-Cache" not in after
    assert after.content.decode() != before


def test_timetable_changes_by_bulk_sql_reach_the_diary(w, region_a, login):
    student = login(w.st1)
    assert "отменён" not in cached_twice(student, diary_url(w)).content.decode()
    with tenant_context(region_a):
        Lesson.objects.filter(pk=w.lesson.pk).update(status="cancelled")
    assert "отменён" in student.get(diary_url(w)).content.decode()


def test_a_renamed_student_and_teacher_show_at_once(w, region_a, login):
    teacher = login(w.teacher)
    cached_twice(teacher, grid_url(w))
    with tenant_context(region_a):
        Person.objects.filter(pk=w.st1.pk).update(surname="Заменённая")
    assert "Заменённая" in teacher.get(grid_url(w)).content.decode()


# --- rights follow at once -----------------------------------------------------------------------


def test_a_teacher_who_loses_the_load_loses_its_rights_at_once(w, region_a, login):
    teacher = login(w.teacher)
    assert "final-entry" in cached_twice(teacher, grid_url(w)).content.decode()
    with tenant_context(region_a):
        TeachingAssignment.objects.filter(teacher=w.teacher, school_class=w.a).update(is_active=False)
    # still the teacher of its lessons (they may see them), no longer the one who sets finals
    page = teacher.get(grid_url(w))
    assert page.status_code == 200 and "X-Page-Cache" not in page
    assert "final-entry" not in page.content.decode()
    with tenant_context(region_a):
        Lesson.objects.filter(teacher=w.teacher, school_class=w.a).update(teacher=w.other_teacher)
    assert teacher.get(grid_url(w)).status_code == 404


def test_a_parent_whose_link_ends_loses_the_diary(w, region_a, login):
    parent = login(w.parent)
    url = diary_url(w, student=w.st1.pk)
    cached_twice(parent, url)
    with tenant_context(region_a):
        GuardianLink.objects.filter(parent=w.parent, child=w.st1).update(is_active=False)
    assert parent.get(url).status_code == 404


def test_roles_taken_away_by_sql_end_access_at_once(w, region_a, login):
    student = login(w.st1)
    cached_twice(student, diary_url(w))
    with tenant_context(region_a):
        User.objects.filter(pk=w.st1.user_id).update(roles=[])
    assert student.get(diary_url(w)).status_code == 404


def test_a_deactivated_account_is_logged_out(w, region_a, login):
    student = login(w.st1)
    cached_twice(student, diary_url(w))
    with tenant_context(region_a):
        User.objects.filter(pk=w.st1.user_id).update(is_active=False)
    assert student.get(diary_url(w)).status_code == 302


def test_the_unread_count_follows_new_notifications(w, region_a, login):
    parent = login(w.parent)
    body = parent.get("/notifications/").content.decode()
    assert 'class="badge"' not in body
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    assert 'class="badge"' in parent.get("/notifications/").content.decode()


# --- what a cached page carries ----------------------------------------------------------------------


def test_each_browser_gets_its_own_csrf_token(w, region_a, login):
    """Two browsers of one user share the cached page, each with a token of its own cookie."""
    first = login(w.st1)
    second = login(w.st1, Client(HTTP_HOST="r05.localhost", enforce_csrf_checks=True))
    cached_twice(first, diary_url(w))
    page = second.get(diary_url(w))
    assert page["X-Page-Cache"] == "hit"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    with tenant_context(region_a):
        homework = services.homework_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, text="Прочитать", due_date=w.lesson.date
        )
    response = second.post(
        f"/diary/homework/{homework.pk}/done/", {"done": "1", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    # with the browser's CSRF cookie set, a cached page masks its secret itself (versions._csrf_token):
    # a fresh token per response, accepted like Django's own, and a forged one is not
    second.get(diary_url(w))  # rendered anew: the done flag moved the class's version
    tokens = set()
    for _ in range(3):
        page = second.get(diary_url(w))
        assert page["X-Page-Cache"] == "hit"
        tokens.add(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[0])
    assert len(tokens) == 3
    token_value = tokens.pop()
    forged = token_value[:32] + ("a" if token_value[32] != "a" else "b") + token_value[33:]
    url = f"/diary/homework/{homework.pk}/done/"
    assert second.post(url, {"done": "0", "csrfmiddlewaretoken": forged}).status_code == 403
    assert second.post(url, {"done": "0", "csrfmiddlewaretoken": token_value}).status_code == 302


def test_a_page_with_a_message_is_rendered_not_cached(w, region_a, login):
    teacher = login(w.teacher)
    cached_twice(teacher, grid_url(w))
    response = teacher.post(f"/journal/lesson/{w.lesson.pk}/", {"action": "topic", "topic": "Новая тема"})
    assert response.status_code == 302
    page = teacher.get(grid_url(w))
    assert "X-Page-Cache" not in page
    assert "Сохранено" in page.content.decode()


def test_languages_are_cached_apart(w, region_a, login):
    student = login(w.st1)
    cached_twice(student, diary_url(w))
    english = student.get(diary_url(w), HTTP_ACCEPT_LANGUAGE="en")
    assert "X-Page-Cache" not in english


def test_two_regions_never_share_pages(w, region_a, region_b, client_b, login):
    """Same path, same user id in both regions (each schema numbers its own users)."""
    with tenant_context(region_b):
        wb = build_journal_world(prefix="Б-")
    student_a = login(w.st1)
    page_a = cached_twice(student_a, "/diary/").content.decode()
    with tenant_context(region_b):
        client_b.force_login(wb.st1.user)
    page_b = client_b.get("/diary/")
    assert page_b.status_code == 200
    assert "X-Page-Cache" not in page_b
    assert "Татарстан" in page_b.content.decode() and "Татарстан" not in page_a


def test_cached_pages_switch_off(w, region_a, login, settings):
    settings.JOURNAL_PAGE_CACHE = False
    student = login(w.st1)
    student.get(diary_url(w))
    assert "X-Page-Cache" not in student.get(diary_url(w))


# --- the versions themselves --------------------------------------------------------------------------


def test_versions_move_only_for_what_changed(w, region_a):
    with tenant_context(region_a):
        scopes = ["region", f"c:{w.a.pk}", f"c:{w.b.pk}", f"u:{w.st1.user_id}", f"u:{w.st2.user_id}"]
        before = read(scopes)
        User.objects.filter(pk=w.st1.user_id).update(last_login=datetime.datetime.now(tz=datetime.UTC))
        services.lesson_topic_set(actor=w.teacher.user, lesson_id=w.lesson.pk, topic="Тема")
        after = read(scopes)
        assert after[f"c:{w.a.pk}"] != before[f"c:{w.a.pk}"]
        assert after[f"c:{w.b.pk}"] == before[f"c:{w.b.pk}"]
        assert after["region"] == before["region"]
        assert after[f"u:{w.st1.user_id}"] == before[f"u:{w.st1.user_id}"]  # a login is no change
        User.objects.filter(pk=w.st1.user_id).update(first_name="Другое")
        assert read(scopes)[f"u:{w.st1.user_id}"] != after[f"u:{w.st1.user_id}"]
        assert read(scopes)[f"u:{w.st2.user_id}"] == before[f"u:{w.st2.user_id}"]
        # a statement of more than a thousand rows moves the region instead of listing them
        User.objects.bulk_create([User(username=f"bulk-{i}") for i in range(1001)])
        region_before = read(["region"])["region"]
        User.objects.filter(username__startswith="bulk-").update(first_name="Массово")
        assert read(["region"])["region"] != region_before
        # a roster statement moves the region even when it changed nothing
        region_before = read(["region"])["region"]
        Membership.objects.filter(pk=-1).update(is_active=False)
        assert read(["region"])["region"] != region_before
        assert DataVersion.objects.filter(scope__startswith="c:").exists()


# --- the host's region --------------------------------------------------------------------------------


def test_domain_changes_reach_a_process_that_routed_before(region_a, client_a, monkeypatch):
    """Another process keeps its own copy: it must still see a domain added, removed, and a
    region suspended, through the shared routing version (once its check interval is over)."""
    monkeypatch.setattr(routing, "VERSION_CHECK_INTERVAL", 0.0)
    assert client_a.get("/healthz").status_code == 200
    other_process = copy.deepcopy(routing._routes)  # what a second worker remembers now

    def as_other_process():
        routing._routes.__dict__.update(copy.deepcopy(other_process.__dict__))

    region_services.region_add_domain(code="05", domain="dagestan.localhost")
    as_other_process()
    assert Client(HTTP_HOST="dagestan.localhost").get("/healthz").json()["schema"] == "region_05"
    other_process = copy.deepcopy(routing._routes)
    region_services.region_remove_domain(code="05", domain="dagestan.localhost")
    as_other_process()
    assert Client(HTTP_HOST="dagestan.localhost").get("/healthz").status_code == 404
    other_process = copy.deepcopy(routing._routes)
    region_services.region_suspend(code="05")
    as_other_process()
    assert client_a.get("/").status_code == 403
    region_services.region_resume(code="05")
    assert client_a.get("/").status_code == 200


def test_a_process_reads_the_routing_version_once_per_interval(region_a, client_a, monkeypatch):
    client_a.get("/healthz")
    other_process = copy.deepcopy(routing._routes)
    region_services.region_suspend(code="05")
    routing._routes.__dict__.update(copy.deepcopy(other_process.__dict__))
    assert client_a.get("/").status_code == 200  # within the interval: not yet seen
    routing._routes.checked_at -= routing.VERSION_CHECK_INTERVAL
    assert client_a.get("/").status_code == 403
    region_services.region_resume(code="05")


def test_routing_reads_no_domain_row_once_it_knows_the_host(region_a, client_a, assert_queries):
    client_a.get("/healthz")
    with assert_queries(1):  # the health check's own SELECT 1
        assert client_a.get("/healthz").status_code == 200
