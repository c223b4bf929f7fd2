"""Pages of the journal, the diary and the notifications: who sees what, what is shown, and a
constant number of queries whatever the amount of data."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from regions.journal import services
from regions.journal.models import Homework, LessonContent, Mark
from regions.timetable.models import LessonStatus
from tests.factories import (
    LessonFactory,
    MembershipFactory,
    PersonFactory,
)

DAY = datetime.timedelta(days=1)


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


def grid_url(w, klass=None, subject=None, **params):
    url = f"/journal/class/{(klass or w.a).pk}/{(subject or w.math).pk}/"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def grow(w, region, *, students=8, lessons=8):
    """More of everything the journal and the diary show: students, lessons, marks, attendance,
    homework with variants and files, topics, finals, notifications."""
    with tenant_context(region):
        new_students = [PersonFactory() for _ in range(students)]
        for student in new_students:
            MembershipFactory(person=student, school_class=w.a, role="student")
        w.group.members.add(*new_students[:3])
        monday = w.today - w.today.weekday() * DAY
        extra = []
        for i in range(lessons):
            day = monday + (i % 6) * DAY
            if day > w.today:
                day -= 7 * DAY
            extra.append(
                LessonFactory.create(
                    school_class=w.a,
                    subject=w.math,
                    teacher=w.teacher,
                    period=w.period,
                    date=day,
                    lesson_number=5 + i // 6,
                )
            )
        extra.append(
            LessonFactory.create(
                school_class=w.a,
                subject=w.english,
                teacher=w.other_teacher,
                period=w.period,
                date=monday,
                lesson_number=7,
                substitute=w.substitute,
                is_remote=True,
                video_url="https://video.example.ru/1",
            )
        )
        for lesson in extra[:-1]:
            services.lesson_topic_set(actor=w.teacher.user, lesson_id=lesson.pk, topic=f"Тема {lesson.pk}")
            for student in [w.st1, w.st2, *new_students]:
                services.mark_create(
                    actor=w.teacher.user, lesson_id=lesson.pk, student_id=student.pk, value="4"
                )
            services.attendance_set(
                actor=w.teacher.user, lesson_id=lesson.pk, student_id=w.st1.pk, kind="late"
            )
            hw = services.homework_create(
                actor=w.teacher.user, lesson_id=lesson.pk, text="Задание", due_date=lesson.date
            )
            services.homework_variant_set(
                actor=w.teacher.user, homework_id=hw.pk, student_id=w.st1.pk, text="Своё"
            )
            services.homework_file_add(
                actor=w.teacher.user,
                homework_id=hw.pk,
                upload=SimpleUploadedFile("a.txt", b"x"),
                student_id=w.st1.pk,
            )
            services.homework_done_set(actor=w.st1.user, homework_id=hw.pk, done=True)
        for student in [w.st1, *new_students]:
            services.final_mark_set(
                actor=w.teacher.user, student_id=student.pk, subject_id=w.math.pk, school_class_id=w.a.pk,
                period_id=w.period.pk, value="4",
            )  # fmt: skip
        return extra


def count_queries(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    real = [q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")]
    return response.status_code, len(real)


# --- query counts -------------------------------------------------------------------------------------

PAGES = {
    "journal_grid": ("teacher", lambda w: grid_url(w)),
    "journal_grid_admin_edit": ("admin", lambda w: grid_url(w, edit=1)),
    "journal_year": ("teacher", lambda w: f"/journal/class/{w.a.pk}/{w.math.pk}/year/"),
    "journal_index": ("teacher", lambda w: "/journal/"),
    "journal_index_admin": ("admin", lambda w: "/journal/"),
    "diary_week_student": ("st1", lambda w: "/diary/"),
    "diary_week_parent": ("parent", lambda w: f"/diary/?student={w.st1.pk}"),
    "diary_marks": ("parent", lambda w: f"/diary/marks/?student={w.st1.pk}"),
    "notifications": ("parent", lambda w: "/notifications/"),
    "audit": ("admin", lambda w: "/journal/audit/"),
    "lesson": ("teacher", lambda w: f"/journal/lesson/{w.lesson.pk}/"),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_queries_do_not_grow_with_data(page, w, region_a, login):
    who, url = PAGES[page]
    client = login(getattr(w, who))
    client.get(url(w))  # the process has routed the host (tenants.routing) and cached the session
    grow(w, region_a, students=1, lessons=1)
    status, small = count_queries(client, url(w))
    assert status == 200
    grow(w, region_a, students=5, lessons=5)
    status, large = count_queries(client, url(w))
    assert status == 200
    assert large == small, f"{page}: {small} queries with little data, {large} with more"
    assert small <= 15, f"{page}: {small} queries"


def test_journal_grid_exact_query_count(w, region_a, login, assert_queries):
    client = login(w.teacher)
    client.get("/healthz")  # the process has routed the host (tenants.routing)
    # the first visit: versions of the region and the account, the user, the viewer, the
    # class's version, then the page — class, subject, periods, lessons (with topics, homework
    # flags, attendance), assignment, students (with their marks), finals, control forms,
    # scale — and the unread count
    with assert_queries(14):
        response = client.get(grid_url(w))
    assert response.status_code == 200 and "X-Page-Cache" not in response
    # a repeat visit: every version in one query, the page as sent before
    with assert_queries(1):
        response = client.get(grid_url(w))
    assert response["X-Page-Cache"] == "hit"
    # after a mark: the versions, then the page's nine queries (user, viewer and unread count
    # are still the account's)
    with tenant_context(region_a):
        services.mark_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5",
            control_form_id=w.test.pk,
        )  # fmt: skip
    with assert_queries(10):
        response = client.get(grid_url(w))
    assert "X-Page-Cache" not in response
    assert re.search(r'data-value="5"', response.content.decode())


def test_diary_week_exact_query_count(w, region_a, login, assert_queries):
    grow(w, region_a, students=1, lessons=2)
    client = login(w.st1)
    client.get("/healthz")
    # the first visit: versions of the region and the account, the user, the viewer, the
    # children (with classes and groups), the versions of the class and the groups, the week's
    # lessons (with marks, attendance, homework), homework due on a date, the unread count
    with assert_queries(8):
        assert client.get("/diary/").status_code == 200
    with assert_queries(1):
        response = client.get("/diary/")
    assert response["X-Page-Cache"] == "hit"


# --- the journal grid ----------------------------------------------------------------------------------


def test_teacher_sees_the_grid_and_writes_held_lessons(w, region_a, login):
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5",
                             control_form_id=w.test.pk, comment="у доски")  # fmt: skip
        services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st2.pk, kind="ill")
        w.lessons[0].status = LessonStatus.CANCELLED
        w.lessons[0].save()
    html = login(w.teacher).get(grid_url(w)).content.decode()
    assert "Алиев Артём" in html and "Гусейнов Руслан" in html and "Дадаева" not in html
    assert 'data-mark="' in html and "5<sub>3</sub>" in html and "у доски" in html
    assert 'class="att att-ill"' in html
    assert 'class="lesson cancelled"' in html
    # held lessons have an entry field per student; the future lesson and the cancelled one do not
    assert html.count('class="entry"') == 3 * 4
    assert f'data-lesson="{w.future.pk}"' not in html  # its cells are closed
    assert "journal.js" in html and 'id="control-form"' in html


def test_student_who_left_has_closed_cells_after_leaving(w, region_a, login):
    from regions.people.models import Membership

    with tenant_context(region_a):
        Membership.objects.filter(person=w.st3).update(date_to=w.lessons[0].date, is_active=False)
    html = login(w.teacher).get(grid_url(w)).content.decode()
    row = html[html.index("Гусейнов Руслан") :]
    row = row[: row.index("</tr>")]
    assert row.count('class="entry"') == 1


def test_group_journal_follows_the_registry_like_a_class_journal(w, region_a, login):
    """A group member the registry took out of the school has no cells after leaving; one it
    deactivated without a date is no row at all; a move to another class keeps the group."""
    from regions.people.models import Membership

    url = f"/journal/group/{w.group.pk}/{w.english.pk}/"
    html = login(w.teacher).get(url).content.decode()
    assert "Алиев Артём" in html and "Бекова Зарема" in html and html.count('class="entry"') == 2
    with tenant_context(region_a):
        Membership.objects.filter(person=w.st1, school=w.s1).update(
            date_to=w.english_lesson.date - DAY, is_active=False
        )
        Membership.objects.filter(person=w.st2, school=w.s1).update(school_class=w.b)
    html = login(w.teacher).get(url).content.decode()
    row = html[html.index("Алиев Артём") :]
    assert row[: row.index("</tr>")].count('class="entry"') == 0  # left before the lesson
    assert "Бекова Зарема" in html and html.count('class="entry"') == 1  # moved class, still in
    with tenant_context(region_a):
        Membership.objects.filter(person=w.st1, school=w.s1).update(date_to=None)
    assert "Алиев Артём" not in login(w.teacher).get(url).content.decode()


def test_substitute_opens_the_journal_and_writes_only_their_lesson(w, login):
    html = login(w.substitute).get(grid_url(w)).content.decode()
    assert html.count('class="entry"') == 3
    assert f'data-lesson="{w.sub_lesson.pk}"' in html


@pytest.mark.parametrize("who", ["other_teacher", "parent", "st1", "admin2"])
def test_others_do_not_see_the_journal(w, who, login):
    assert login(getattr(w, who)).get(grid_url(w)).status_code == 404


def test_school_admin_reads_and_switches_to_editing(w, login):
    client = login(w.admin)
    html = client.get(grid_url(w)).content.decode()
    assert "Включить правку" in html and 'class="entry"' not in html
    html = client.get(grid_url(w, edit=1)).content.decode()
    assert 'class="entry"' in html and "Режим правки администратора" in html


def test_regional_admin_reads_only(w, login):
    html = login(w.rca).get(grid_url(w, edit=1)).content.decode()
    assert "Алиев Артём" in html and 'class="entry"' not in html


def test_homeroom_teacher_reads_only(w, region_a, login):
    with tenant_context(region_a):
        w.a.class_teacher = w.other_teacher
        w.a.save()
    response = login(w.other_teacher).get(grid_url(w))
    assert response.status_code == 200 and 'class="entry"' not in response.content.decode()


def test_closed_period_finals_are_read_only_for_the_teacher(w, login):
    html = login(w.teacher).get(grid_url(w, period=w.closed.pk)).content.decode()
    assert "период закрыт" in html and 'class="final-entry"' not in html
    html = login(w.admin).get(grid_url(w, period=w.closed.pk, edit=1)).content.decode()
    assert 'class="final-entry"' in html


def test_closed_period_marks_are_read_only_for_the_teacher(w, login):
    html = login(w.teacher).get(grid_url(w, period=w.closed.pk)).content.decode()
    assert "Алиев Артём" in html and 'class="entry"' not in html
    assert f'data-lesson="{w.closed_lesson.pk}"' not in html  # its cells take nothing
    html = login(w.admin).get(grid_url(w, period=w.closed.pk, edit=1)).content.decode()
    assert html.count('class="entry"') == 3  # the closed lesson, one per student of 5А


def test_journal_index_lists_what_the_teacher_teaches(w, region_a, login):
    html = login(w.teacher).get("/journal/").content.decode()
    assert "Математика" in html and "Английский язык" in html and "5А английский" in html
    html = login(w.substitute).get("/journal/").content.decode()
    assert "замена" in html
    assert login(w.parent).get("/journal/").status_code == 403


def test_grid_for_unknown_kind_or_period_is_404(w, login):
    client = login(w.teacher)
    assert client.get(f"/journal/pupil/{w.a.pk}/{w.math.pk}/").status_code == 404
    assert client.get(grid_url(w, period=999999)).status_code == 404


def test_year_page_proposes_from_period_finals(w, region_a, login):
    with tenant_context(region_a):
        services.final_mark_set(actor=w.admin.user, student_id=w.st1.pk, subject_id=w.math.pk,
                                school_class_id=w.a.pk, period_id=w.closed.pk, value="5")  # fmt: skip
        services.final_mark_set(actor=w.teacher.user, student_id=w.st1.pk, subject_id=w.math.pk,
                                school_class_id=w.a.pk, period_id=w.period.pk, value="4")  # fmt: skip
    html = login(w.teacher).get(f"/journal/class/{w.a.pk}/{w.math.pk}/year/").content.decode()
    assert "4,50 → 5" in html and 'class="final-entry"' in html


def test_a_refused_page_is_the_platforms_own_404_in_russian(w, login, public_client):
    """A teacher following an old link to a class they do not teach, a parent guessing another
    child: a page of the site (its header, a way home, a phone's viewport), not Django's bare
    English «Not Found»."""
    for response in (
        login(w.other_teacher).get(grid_url(w)),
        login(w.parent).get(f"/diary/?student={w.st2.pk}"),
    ):
        html = response.content.decode()
        assert response.status_code == 404
        assert "Страница не найдена" in html and 'name="viewport"' in html and 'href="/"' in html
        assert "Not Found" not in html
    # the federal console's host renders it too (no region in the context)
    response = public_client.get("/no-such-page/")
    assert response.status_code == 404 and "Страница не найдена" in response.content.decode()


def test_school_admin_finds_the_way_to_edit_year_finals(w, login):
    """After the year closes only the school admin changes a year final: the year page offers
    the admin the same switch to editing as the grid, and the grid in edit mode leads there."""
    client = login(w.admin)
    year_url = f"/journal/class/{w.a.pk}/{w.math.pk}/year/"
    html = client.get(year_url).content.decode()
    assert 'href="?edit=1"' in html and 'class="final-entry"' not in html
    html = client.get(year_url + "?edit=1").content.decode()
    assert 'class="final-entry"' in html and "Режим правки администратора" in html
    assert f"?period={w.period.pk}&amp;edit=1" in html  # back to a period, still editing
    assert f'href="{year_url}?edit=1"' in client.get(grid_url(w, edit=1)).content.decode()
    # a teacher sees no switch
    assert "edit=1" not in login(w.teacher).get(year_url).content.decode()


# --- the lesson page: topic, homework, files --------------------------------------------------------------


def test_lesson_page_sets_topic_and_homework_with_a_file(w, region_a, login):
    client = login(w.teacher)
    url = f"/journal/lesson/{w.lessons[0].pk}/"
    assert client.post(url, {"action": "topic", "topic": "Дроби"}).status_code == 302
    upload = SimpleUploadedFile("карточка.txt", "задача".encode())
    response = client.post(url, {"action": "homework", "text": "№ 5", "files": [upload]})
    assert response.status_code == 302
    with tenant_context(region_a):
        assert LessonContent.objects.get(lesson=w.lessons[0]).topic == "Дроби"
        hw = Homework.objects.get(lesson=w.lessons[0])
        assert hw.due_lesson == w.lessons[1]
        attachment = hw.files.get()
    html = client.get(url).content.decode()
    assert "Дроби" in html and "№ 5" in html and attachment.name in html
    # a bad date is a clear error, nothing saved
    response = client.post(url, {"action": "homework", "text": "x", "due_date": "32.13.2026"})
    assert response.status_code == 400 and "ДД.ММ.ГГГГ" in response.content.decode()
    with tenant_context(region_a):
        assert Homework.objects.filter(lesson=w.lessons[0]).count() == 1
    # the file: the teacher and the class's students (and parents) get it, others do not
    file_url = f"/journal/files/{attachment.pk}/"
    assert b"".join(client.get(file_url).streaming_content).decode() == "задача"
    assert login(w.st1).get(file_url).status_code == 200
    assert login(w.parent).get(file_url).status_code == 200
    assert login(w.other_teacher).get(file_url).status_code == 404
    assert login(w.parent2).get(file_url).status_code == 200  # st2 is in 5А too
    with tenant_context(region_a):
        attachment.file.delete(save=False)


def test_lesson_page_gives_homework_due_at_a_chosen_lesson(w, region_a, login):
    client = login(w.teacher)
    url = f"/journal/lesson/{w.lessons[0].pk}/"
    html = client.get(url).content.decode()
    # the later lessons of 5А mathematics to choose from, the next one first and marked
    later = [w.lessons[1], w.lessons[2], w.sub_lesson, w.today_lesson, w.future]
    options = re.findall(r'<option value="(\d+)"', html[html.index('name="due_lesson"') :])
    assert options[: len(later)] == [str(lesson.pk) for lesson in later]
    assert f"{w.lessons[1].date.strftime('%d.%m.%Y')}, 2 урок (следующий)" in html
    response = client.post(
        url, {"action": "homework", "text": "К контрольной", "due_lesson": str(w.future.pk)}
    )
    assert response.status_code == 302
    # a date typed in wins over the list
    day = w.future.date + datetime.timedelta(days=1)
    response = client.post(
        url,
        {
            "action": "homework",
            "text": "Проект",
            "due_lesson": str(w.lessons[1].pk),
            "due_date": f"{day:%d.%m.%Y}",
        },
    )
    assert response.status_code == 302
    with tenant_context(region_a):
        by_text = {hw.text: hw for hw in Homework.objects.filter(lesson=w.lessons[0])}
        assert by_text["К контрольной"].due_lesson == w.future
        assert by_text["Проект"].due_lesson is None and by_text["Проект"].due_date == day


def test_lesson_page_keeps_nothing_of_a_homework_whose_file_is_refused(w, region_a, login, monkeypatch):
    client = login(w.teacher)
    url = f"/journal/lesson/{w.lessons[0].pk}/"
    big = SimpleUploadedFile("большой.pdf", b"x" * 2048)
    monkeypatch.setattr(services, "HOMEWORK_FILE_MAX_BYTES", 1024)
    response = client.post(url, {"action": "homework", "text": "№ 7 с файлом", "files": [big]})
    html = response.content.decode()
    assert response.status_code == 400 and "большой.pdf" in html
    assert "№ 7 с файлом</textarea>" in html  # the text typed is still there
    with tenant_context(region_a):
        assert not Homework.objects.filter(lesson=w.lessons[0]).exists()


def test_variant_file_only_for_its_student(w, region_a, login):
    with tenant_context(region_a):
        hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lessons[0].pk, text="Общее")
        attachment = services.homework_file_add(
            actor=w.teacher.user,
            homework_id=hw.pk,
            upload=SimpleUploadedFile("v.txt", b"v"),
            student_id=w.st2.pk,
        )
    url = f"/journal/files/{attachment.pk}/"
    assert login(w.parent2).get(url).status_code == 200
    assert login(w.st1).get(url).status_code == 404
    with tenant_context(region_a):
        attachment.file.delete(save=False)


def test_lesson_page_read_only_for_others(w, login):
    response = login(w.other_teacher).post(
        f"/journal/lesson/{w.lesson.pk}/", {"action": "topic", "topic": "x"}
    )
    assert response.status_code == 404
    client = login(w.substitute)
    response = client.post(f"/journal/lesson/{w.lesson.pk}/", {"action": "topic", "topic": "x"})
    assert response.status_code == 404
    assert (
        client.post(f"/journal/lesson/{w.sub_lesson.pk}/", {"action": "topic", "topic": "x"}).status_code
        == 302
    )


# --- the diary ------------------------------------------------------------------------------------------


def test_week_shows_timetable_changes_topics_homework_and_marks(w, region_a, login):
    with tenant_context(region_a):
        monday = w.today - w.today.weekday() * DAY
        moved = LessonFactory.create(school_class=w.a, subject=w.english, teacher=w.teacher, period=w.period,
                              date=monday, lesson_number=6, moved_from_date=monday - DAY * 3,
                              moved_from_number=2, is_remote=True, video_url="https://video.example.ru/urok")  # fmt: skip
        cancelled = LessonFactory.create(school_class=w.a, subject=w.math, teacher=w.teacher, period=w.period,
                                  date=monday, lesson_number=7, status=LessonStatus.CANCELLED)  # fmt: skip
        services.lesson_topic_set(actor=w.teacher.user, lesson_id=moved.pk, topic="Present Simple")
        services.homework_create(actor=w.teacher.user, lesson_id=moved.pk, text="Выучить слова",
                                 due_date=monday + 2 * DAY)  # fmt: skip
        services.mark_create(actor=w.teacher.user, lesson_id=moved.pk, student_id=w.st1.pk, value="4",
                             control_form_id=w.test.pk, comment="не решена задача 3")  # fmt: skip
        services.mark_create(actor=w.teacher.user, lesson_id=moved.pk, student_id=w.st1.pk, value="5")
        services.attendance_set(actor=w.teacher.user, lesson_id=moved.pk, student_id=w.st1.pk, kind="late",
                                reason="автобус")  # fmt: skip
    assert cancelled.status == LessonStatus.CANCELLED
    html = login(w.st1).get(f"/diary/?date={monday.isoformat()}").content.decode()
    assert "перенесён с" in html and "дистанционно" in html and "https://video.example.ru/urok" in html
    assert "отменён" in html
    assert "Present Simple" in html
    assert "4<sub>3</sub>" in html and "автобус" in html
    # written out, not only in tooltips a phone never shows: the reason, the weighty form, the comment
    notes = re.findall(r'<small class="mark-note">(.*?)</small>', html)
    assert notes == ["опоздал: автобус", f"4 — {w.test.name}: не решена задача 3"]
    assert "Выучить слова" in html and 'class="done-box"' in html
    # the parent sees it read-only
    html = login(w.parent).get(f"/diary/?student={w.st1.pk}&date={monday.isoformat()}").content.decode()
    assert "Выучить слова" in html and 'class="done-box"' not in html and "не отмечено" in html


def test_diary_shows_substitution_and_homework_due_at_a_lesson(w, region_a, login):
    with tenant_context(region_a):
        hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lesson.pk, text="Задачи 1–3")
        assert hw.due_lesson == w.sub_lesson
        services.homework_variant_set(
            actor=w.teacher.user, homework_id=hw.pk, student_id=w.st1.pk, text="Задача 7"
        )
    html = login(w.st1).get(f"/diary/?date={w.sub_lesson.date.isoformat()}").content.decode()
    assert "замена" in html and "Семёнова Алёна" in html
    assert "Задача 7" in html and "ваш вариант" in html and "Задачи 1–3" not in html
    html = (
        login(w.parent2)
        .get(f"/diary/?student={w.st2.pk}&date={w.sub_lesson.date.isoformat()}")
        .content.decode()
    )
    assert "Задачи 1–3" in html and "Задача 7" not in html


def test_student_ticks_homework_done_without_script(w, region_a, login):
    with tenant_context(region_a):
        hw = services.homework_create(actor=w.teacher.user, lesson_id=w.lesson.pk, text="x")
    client = login(w.st1)
    response = client.post(f"/diary/homework/{hw.pk}/done/", {"done": "1", "next": "/diary/"})
    assert response.status_code == 302 and response["Location"] == "/diary/"
    with tenant_context(region_a):
        assert hw.done_flags.get(student=w.st1).done
    assert login(w.parent).post(f"/diary/homework/{hw.pk}/done/", {"done": "1"}).status_code == 404


def test_parent_switches_between_children_in_two_schools(w, login):
    client = login(w.parent)
    html = client.get(f"/diary/?student={w.st1.pk}").content.decode()
    assert "Школа №1" in html and "Школа №2" in html and "Алиев Артём" in html and "Ёлкин Пётр" in html
    html = client.get(f"/diary/?student={w.st_c.pk}").content.decode()
    assert "Дневник: Ёлкин Пётр" in html


@pytest.mark.parametrize(
    ("who", "whose"),
    [("parent", "st2"), ("parent2", "st1"), ("st1", "st2"), ("teacher", "st1"), ("admin", "st1")],
)
def test_other_diaries_are_not_found(w, who, whose, login):
    client = login(getattr(w, who))
    student = getattr(w, whose)
    assert client.get(f"/diary/?student={student.pk}").status_code == 404
    assert client.get(f"/diary/marks/?student={student.pk}").status_code == 404


def test_marks_page_shows_average_hints_and_finals(w, region_a, login):
    with tenant_context(region_a):
        for lesson, value in ((w.lessons[0], "3"), (w.lessons[1], "4")):
            services.mark_create(
                actor=w.teacher.user, lesson_id=lesson.pk, student_id=w.st1.pk, value=value,
                comment="нет решения" if value == "3" else "",
            )  # fmt: skip
        services.final_mark_set(actor=w.admin.user, student_id=w.st1.pk, subject_id=w.math.pk,
                                school_class_id=w.a.pk, period_id=w.closed.pk, value="4")  # fmt: skip
    html = login(w.parent).get(f"/diary/marks/?student={w.st1.pk}").content.decode()
    # (3 + 4) / 2 = 3.5 → 4; a 5 needs 4.5: weight 1: (7 + 5n)/(2 + n) ≥ 4.5 → n = 4;
    # weight 2: (7 + 10n)/(2 + 2n) → n = 2; weight 3: 22/5 = 4.4 < 4.5 → n = 2; weight 4: 27/6 = 4.5 → n = 1
    # (the region's seeded control forms have weights 1–4)
    assert "3,50" in html and "→ 4" in html
    # the comment written out (a phone shows no tooltip)
    assert f'<small class="mark-note">3, {w.lessons[0].date:%d.%m}: нет решения</small>' in html
    assert (
        "До 5: 4 пятёрки с весом 1 или 2 пятёрки с весом 2 или 2 пятёрки с весом 3 или 1 пятёрка с весом 4"
        in html
    )
    assert "Английский язык" in html  # a subject of the period without marks is listed
    # …without hints: with no marks there is nothing to count up to (it listed "1 five" per weight)
    assert "До 4" not in html and html.count("До 5") == 1
    finals = html[html.index("Итоговые оценки") :]
    assert "<td>4</td>" in finals


# --- notifications -----------------------------------------------------------------------------------------


def test_notifications_list_unread_badge_and_read(w, region_a, login):
    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    client = login(w.parent)
    html = client.get("/notifications/").content.decode()
    assert "новая оценка 5" in html and 'class="badge"' in html and ">1</span>" in html
    assert client.post("/notifications/read/", {"next": "/notifications/"}).status_code == 302
    html = client.get("/notifications/").content.decode()
    assert 'class="badge"' not in html
    # another parent sees nothing of it
    assert "новая оценка" not in login(w.parent2).get("/notifications/").content.decode()


def test_notification_settings_page(w, region_a, login):
    client = login(w.parent)
    assert "Оценки — по почте" in client.get("/notifications/settings/").content.decode()
    client.post("/notifications/settings/", {"marks_in_app": "on", "absences_in_app": "on"})
    from regions.journal.models import NotificationPreference

    with tenant_context(region_a):
        pref = NotificationPreference.objects.get(user=w.parent.user)
    assert (pref.marks_in_app, pref.marks_email, pref.absences_in_app, pref.absences_email) == (
        True,
        False,
        True,
        False,
    )


def test_pages_need_login(client_a):
    for url in ("/journal/", "/diary/", "/notifications/"):
        response = client_a.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nav_links_by_role(w, login):
    html = login(w.teacher).get("/notifications/").content.decode()
    assert 'href="/journal/"' in html and 'href="/diary/"' not in html
    html = login(w.parent).get("/notifications/").content.decode()
    assert 'href="/diary/"' in html and 'href="/journal/"' not in html


# --- audit ---------------------------------------------------------------------------------------------------


def test_school_admin_sees_the_audit_of_their_school_only(w, region_a, login):
    with tenant_context(region_a):
        mark = services.mark_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="3"
        )
        services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value="4")
        services.mark_delete(actor=w.teacher.user, mark_id=mark.pk)
        services.mark_create(actor=w.admin2.user, lesson_id=w.c_lesson.pk, student_id=w.st_c.pk, value="2")
        assert Mark.objects.filter(pk=mark.pk).exists()  # nothing hard-deleted
    html = login(w.admin).get("/journal/audit/").content.decode()
    assert html.count("Оценка поставлена") == 1 and "Оценка изменена" in html and "Оценка удалена" in html
    assert "Оценка: 3 → 4" in html and "Алиев Артём" in html
    # the actor by name (the login in the tooltip), the lesson's date as DD.MM.YYYY
    assert "Магомедова Патимат" in html and f'title="{w.teacher.user.username}"' in html
    assert w.lesson.date.strftime("%d.%m.%Y") in html and w.lesson.date.isoformat() not in html
    assert "Ёлкин" not in html
    html = login(w.admin2).get("/journal/audit/").content.decode()
    assert "Ёлкин Пётр" in html and "Алиев" not in html
    assert login(w.teacher).get("/journal/audit/").status_code == 404
    assert login(w.admin).get(f"/journal/audit/?school={w.s2.pk}").status_code == 404


def test_audit_page_says_in_words_what_changed_in_attendance_and_finals(w, region_a, login):
    with tenant_context(region_a):
        services.attendance_set(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st2.pk, kind="late", reason="автобус"
        )
        services.attendance_set(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st2.pk, kind="ill")
        services.final_mark_set(
            actor=w.teacher.user, student_id=w.st1.pk, subject_id=w.math.pk, value="4",
            school_class_id=w.a.pk, period_id=w.period.pk,
        )  # fmt: skip
    html = login(w.admin).get("/journal/audit/").content.decode()
    assert "Отметка посещаемости поставлена" in html and "Отметка посещаемости изменена" in html
    assert "Отметка: — → опоздал" in html and "Причина: — → автобус" in html
    assert "Отметка: опоздал → болел" in html and "Причина: автобус → —" in html
    assert "Итоговая оценка выставлена" in html and "Оценка: — → 4" in html
    assert f"Математика, 5А, {w.period.name}" in html
    assert "attendance_" not in html and "final_mark" not in html and "kind:" not in html


# --- two regions -----------------------------------------------------------------------------------------------


def test_journal_of_region_a_is_invisible_in_region_b(w, region_a, region_b, client_b):
    from core.models import User
    from core.roles import Role

    with tenant_context(region_a):
        services.mark_create(actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="5")
    with tenant_context(region_b):
        assert not Mark.objects.exists()
        rca = User.objects.create_user(username="rca-b", roles=[Role.REGIONAL_ADMIN])
        client_b.force_login(rca)
    assert client_b.get(grid_url(w)).status_code == 404
    assert client_b.get(f"/api/v1/journal/class/{w.a.pk}/{w.math.pk}/").status_code == 404
    assert client_b.get(f"/api/v1/diary/{w.st1.pk}/week/").status_code == 404


def test_diary_of_a_student_in_no_group_and_a_child_without_a_class(w, region_a, login):
    from core.roles import Role
    from tests.factories import GuardianLinkFactory
    from tests.journal_world import person_with_user

    with tenant_context(region_a):
        parent = person_with_user([Role.PARENT], surname="Гусейнова", name="Аминат")
        GuardianLinkFactory(parent=parent, child=w.st3)
        newborn = PersonFactory.create(surname="Гусейнов", name="Али")
        GuardianLinkFactory(parent=parent, child=newborn)
    client = login(parent)
    html = client.get(f"/diary/?student={w.st3.pk}&date={w.lesson.date.isoformat()}").content.decode()
    assert "Математика" in html and "Английский язык" not in html
    assert client.get(f"/diary/?student={newborn.pk}").status_code == 200


def test_audit_pages_by_the_last_entry_seen(w, region_a, login):
    with tenant_context(region_a):
        mark = services.mark_create(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st1.pk, value="2"
        )
        for value in "345" * 18:  # 54 changes + 1 creation
            services.mark_update(actor=w.teacher.user, mark_id=mark.pk, value=value)
    client = login(w.admin)
    html = client.get("/journal/audit/").content.decode()
    assert html.count("<tr>") == 1 + 50
    before = re.search(r'href="\?before=(\d+)"', html)
    assert before is not None
    html = client.get(f"/journal/audit/?before={before.group(1)}").content.decode()
    assert html.count("<tr>") == 1 + 5 and "Оценка поставлена" in html and 'href="?before=' not in html
