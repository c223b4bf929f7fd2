"""Region API of the journal, the diary and notifications: status codes, the error shape,
object-level permissions, one request per entry, constant query counts, two regions."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.models import AuditEvent
from regions.journal import services
from regions.journal.models import Attendance, FinalMark, Mark, Notification


@pytest.fixture
def w(journal_world):
    return journal_world


@pytest.fixture
def login(client_a, region_a):
    def as_(person_or_user):
        user = getattr(person_or_user, "user", person_or_user)
        with tenant_context(region_a):
            client_a.force_login(user)
        return client_a

    return as_


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


# --- marks -------------------------------------------------------------------------------------------


def test_put_a_mark_in_one_request(w, region_a, login, assert_queries):
    client = login(w.teacher)
    body = {
        "lesson": w.lesson.pk,
        "student": w.st1.pk,
        "value": "4",
        "control_form": w.test.pk,
        "comment": "тест",
    }
    response = post(client, "/api/v1/journal/marks/", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["value"], data["weight"], data["control_form_name"]) == ("4", 3, "Контрольная работа")
    with tenant_context(region_a):
        mark = Mark.objects.get(pk=data["id"])
        assert AuditEvent.objects.filter(entity="journal.mark", entity_id=str(mark.pk)).count() == 1
        assert Notification.objects.filter(student=w.st1).count() == 2


def test_mark_errors_name_the_field(w, login):
    client = login(w.teacher)
    response = post(
        client, "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "7"}
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid" and "«7»" in data["detail"] and "value" in data["fields"]
    response = post(
        client, "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "student": w.st_b.pk, "value": "5"}
    )
    assert response.status_code == 400 and response.json()["fields"].keys() == {"student"}
    response = post(client, "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "value": "5"})
    assert response.status_code == 400 and "student" in response.json()["fields"]
    response = post(client, "/api/v1/journal/marks/", {"lesson": 10**12, "student": w.st1.pk, "value": "5"})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["other_teacher", "parent", "st1", "admin2"])
def test_others_cannot_put_marks(w, who, login):
    response = post(
        login(getattr(w, who)),
        "/api/v1/journal/marks/",
        {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "5"},
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_regional_admin_gets_403_with_the_reason(w, login):
    response = post(
        login(w.rca), "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "5"}
    )
    assert response.status_code == 403 and "учитель" in response.json()["detail"]


def test_anonymous_gets_401(w, client_a):
    response = post(
        client_a, "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "5"}
    )
    assert response.status_code == 401  # no session, no bearer token


def test_change_and_delete_a_mark(w, region_a, login):
    client = login(w.teacher)
    mark_id = post(
        client, "/api/v1/journal/marks/", {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "3"}
    ).json()["id"]
    response = client.patch(
        f"/api/v1/journal/marks/{mark_id}/",
        {"value": "4", "control_form": w.test.pk},
        content_type="application/json",
    )
    assert response.status_code == 200 and (response.json()["value"], response.json()["weight"]) == ("4", 3)
    assert login(w.other_teacher).delete(f"/api/v1/journal/marks/{mark_id}/").status_code == 404
    assert login(w.teacher).delete(f"/api/v1/journal/marks/{mark_id}/").status_code == 204
    with tenant_context(region_a):
        assert Mark.objects.get(pk=mark_id).is_deleted
    assert login(w.teacher).delete(f"/api/v1/journal/marks/{mark_id}/").status_code == 404


# --- attendance, topic, homework -------------------------------------------------------------------------


def test_attendance_set_and_remove(w, region_a, login):
    client = login(w.teacher)
    body = {"lesson": w.lesson.pk, "student": w.st2.pk, "kind": "absent", "reason": "семейные обстоятельства"}
    response = post(client, "/api/v1/journal/attendance/", body)
    assert response.status_code == 200 and response.json()["kind"] == "absent"
    entry_id = response.json()["id"]
    assert post(client, "/api/v1/journal/attendance/", {**body, "kind": "ill"}).json()["id"] == entry_id
    assert post(client, "/api/v1/journal/attendance/", {**body, "kind": "гулял"}).status_code == 400
    assert client.delete(f"/api/v1/journal/attendance/{entry_id}/").status_code == 204
    with tenant_context(region_a):
        assert Attendance.objects.get(pk=entry_id).is_deleted
    assert login(w.parent2).delete(f"/api/v1/journal/attendance/{entry_id}/").status_code == 404


def test_topic_and_homework_with_variant_and_file(w, region_a, login):
    client = login(w.teacher)
    response = client.put(
        f"/api/v1/journal/lessons/{w.lessons[0].pk}/topic/",
        {"topic": "Дроби"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["topic"] == "Дроби"
    response = post(client, "/api/v1/journal/homework/", {"lesson": w.lessons[0].pk, "text": "№ 1"})
    assert response.status_code == 201 and response.json()["due_lesson"] == w.lessons[1].pk
    hw = response.json()["id"]
    response = client.put(
        f"/api/v1/journal/homework/{hw}/variants/{w.st2.pk}/",
        {"text": "№ 2"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["variants"] == [
        {"student": w.st2.pk, "text": "№ 2"}
    ]
    upload = SimpleUploadedFile("схема.png", b"\x89PNG....", content_type="image/png")
    response = client.post(f"/api/v1/journal/homework/{hw}/files/", {"file": upload, "student": w.st2.pk})
    assert response.status_code == 201 and response.json()["student"] == w.st2.pk
    response = client.patch(
        f"/api/v1/journal/homework/{hw}/", {"text": "№ 1, 3"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["text"] == "№ 1, 3"
    assert login(w.other_teacher).delete(f"/api/v1/journal/homework/{hw}/").status_code == 404
    assert login(w.teacher).delete(f"/api/v1/journal/homework/{hw}/").status_code == 204
    with tenant_context(region_a):
        from regions.journal.models import HomeworkFile

        for f in HomeworkFile.objects.filter(homework_id=hw):
            f.file.delete(save=False)


def test_homework_without_next_lesson_needs_a_date(w, login):
    response = post(login(w.teacher), "/api/v1/journal/homework/", {"lesson": w.future.pk, "text": "x"})
    assert response.status_code == 400 and "due_date" in response.json()["fields"]


# --- finals ----------------------------------------------------------------------------------------------


def test_finals_confirm_override_and_closed_period(w, region_a, login):
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="4")
    client = login(w.teacher)
    body = {
        "student": w.st1.pk,
        "subject": w.math.pk,
        "school_class": w.a.pk,
        "period": w.period.pk,
        "value": "4",
    }
    response = post(client, "/api/v1/journal/finals/", body)
    assert response.status_code == 200
    data = response.json()
    assert (data["proposed_value"], data["value"], data["is_override"]) == ("4", "4", False)
    assert post(client, "/api/v1/journal/finals/", {**body, "value": "5"}).json()["is_override"] is True
    closed = post(client, "/api/v1/journal/finals/", {**body, "period": w.closed.pk})
    assert closed.status_code == 403 and "закрыт" in closed.json()["detail"]
    assert post(login(w.admin), "/api/v1/journal/finals/", {**body, "period": w.closed.pk}).status_code == 200
    assert post(login(w.other_teacher), "/api/v1/journal/finals/", body).status_code == 404
    both = post(login(w.teacher), "/api/v1/journal/finals/", {**body, "group": w.group.pk})
    assert both.status_code == 400
    year = post(
        client,
        "/api/v1/journal/finals/",
        {**{k: v for k, v in body.items() if k != "period"}, "academic_year": w.year.pk},
    )
    assert year.status_code == 200 and year.json()["period"] is None
    final_id = year.json()["id"]
    assert client.delete(f"/api/v1/journal/finals/{final_id}/").status_code == 204
    with tenant_context(region_a):
        assert FinalMark.objects.get(pk=final_id).is_deleted


# --- reads -----------------------------------------------------------------------------------------------


def test_journal_list_and_grid(w, region_a, login, assert_queries):
    client = login(w.teacher)
    links = client.get("/api/v1/journal/").json()
    assert {(link["target_name"], link["subject_name"]) for link in links} >= {("5А", "Математика")}
    url = f"/api/v1/journal/class/{w.a.pk}/{w.math.pk}/"
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    client.get(url)
    # the data versions (the session's user and viewer are the account's), then the page's nine
    with assert_queries(10):
        data = client.get(url).json()
    assert [row["name"] for row in data["rows"]] == ["Алиев Артём", "Бекова Зарема", "Гусейнов Руслан"]
    assert data["scale"] == ["1", "2", "3", "4", "5"]
    cell = next(c for c in data["rows"][0]["cells"] if c["lesson"] == w.lesson.pk)
    assert cell["marks"][0]["value"] == "5" and cell["writable"]
    assert data["rows"][0]["average"] == "5.00"
    assert login(w.other_teacher).get(url).status_code == 404


def test_diary_api_for_parent_and_student(w, region_a, login):
    with tenant_context(region_a):
        services.mark_create(
            actor=w.teacher.user,
            lesson_id=w.lesson.pk,
            student_id=w.st1.pk,
            value="5",
            control_form_id=w.test.pk,
        )
        hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lessons[0].pk, text="Повторить")
    client = login(w.parent)
    children = client.get("/api/v1/diary/").json()
    assert {c["name"] for c in children} == {"Алиев Артём", "Ёлкин Пётр"}
    week = client.get(f"/api/v1/diary/{w.st1.pk}/week/?date={w.lesson.date.isoformat()}").json()
    lessons = [lesson for day in week["days"] for lesson in day["lessons"]]
    marked = next(lesson for lesson in lessons if lesson["id"] == w.lesson.pk)
    assert marked["marks"][0]["value"] == "5" and marked["marks"][0]["weight"] == 3
    marks = client.get(f"/api/v1/diary/{w.st1.pk}/marks/").json()
    math = next(s for s in marks["subjects"] if s["subject"] == "Математика")
    assert math["average"] == "5.00" and math["hints"] == []
    assert client.get(f"/api/v1/diary/{w.st2.pk}/week/").status_code == 404
    assert (
        client.put(
            f"/api/v1/diary/homework/{hw.pk}/done/", {"done": True}, content_type="application/json"
        ).status_code
        == 404
    )
    student = login(w.st1)
    response = student.put(
        f"/api/v1/diary/homework/{hw.pk}/done/", {"done": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json() == {"homework": hw.pk, "done": True}
    assert student.get(f"/api/v1/diary/{w.st1.pk}/week/").status_code == 200
    assert student.get(f"/api/v1/diary/{w.st_c.pk}/week/").status_code == 404


def test_diary_week_api_query_count_is_constant(w, region_a, login, assert_queries):
    client = login(w.parent)
    url = f"/api/v1/diary/{w.st1.pk}/week/?date={w.lesson.date.isoformat()}"
    with tenant_context(region_a):
        services.homework_create(
            actor=w.teacher.user, lesson_id=w.lessons[1].pk, text="a", due_lesson_id=w.lesson.pk
        )
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    client.get(url)
    # the data versions, the children, the week's lessons, homework due on a date
    with assert_queries(4):
        client.get(url)
    with tenant_context(region_a):
        for lesson in [*w.lessons, w.sub_lesson]:
            services.mark_create(actor=w.teacher.user, lesson_id=lesson.pk, student_id=w.st1.pk, value="4")
            services.homework_create(
                actor=w.teacher.user, lesson_id=lesson.pk, text="b", due_date=w.sub_lesson.date
            )
    client.get(url)  # the parent's notifications moved the account: its user and viewer are read once
    with assert_queries(4):
        client.get(url)


def test_notifications_api(w, region_a, login, celery_eager, django_capture_on_commit_callbacks):
    with tenant_context(region_a), django_capture_on_commit_callbacks(execute=True):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    assert [m.to for m in mail.outbox if m.to == ["parent@example.ru"]]
    client = login(w.parent)
    data = client.get("/api/v1/notifications/").json()
    assert data["count"] == 1 and "новая оценка 5" in data["results"][0]["text"]
    note = data["results"][0]["id"]
    assert post(login(w.parent2), "/api/v1/notifications/read/", {"ids": [note]}).json() == {
        "marked": 0,
        "unread": 0,
    }
    assert post(login(w.parent), "/api/v1/notifications/read/", {"ids": [note]}).json() == {
        "marked": 1,
        "unread": 0,
    }
    prefs = client.get("/api/v1/notifications/preferences/").json()
    assert prefs == {
        "marks_in_app": True,
        "marks_email": True,
        "absences_in_app": True,
        "absences_email": True,
    }
    response = client.put(
        "/api/v1/notifications/preferences/", {"marks_email": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["marks_email"] is False


def test_audit_api_for_school_admin(w, region_a, login):
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    data = login(w.admin).get("/api/v1/journal/audit/").json()
    assert [e["action"] for e in data["results"]] == ["mark_create"] and data["next"] is None
    assert login(w.admin2).get("/api/v1/journal/audit/").json()["results"] == []
    assert login(w.teacher).get("/api/v1/journal/audit/").status_code == 404


def test_api_isolation_between_regions(w, region_a, region_b, client_b):
    from core.models import User
    from core.roles import Role

    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    with tenant_context(region_b):
        teacher_b = User.objects.create_user(username="t-b", roles=[Role.TEACHER, Role.REGIONAL_ADMIN])
        client_b.force_login(teacher_b)
    assert client_b.get("/api/v1/journal/audit/").json()["results"] == []
    assert client_b.get("/api/v1/notifications/").json()["count"] == 0
    response = client_b.post(
        "/api/v1/journal/marks/",
        {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "2"},
        content_type="application/json",
    )
    assert response.status_code == 404
    with tenant_context(region_a):
        assert list(Mark.objects.values_list("value", flat=True)) == ["5"]
