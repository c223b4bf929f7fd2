"""The fixed cast of the journal tests, built inside one region (call within its schema).

School 1: classes 5А (students st1, st2, st3) and 5Б (st_b); group «5А английский» (st1, st2).
School 2: class 5А (st_c). Teacher ``teacher`` teaches mathematics to 5А and English to the
group; ``other_teacher`` teaches mathematics to 5Б; ``substitute`` teaches nothing but stands in
for one lesson. ``parent`` has st1 (school 1) and st_c (school 2); ``parent2`` has st2.
``admin`` administers school 1, ``admin2`` school 2; ``rca`` is the regional admin.
Lessons of 5А mathematics: three past, one today, one future in the open period; one in a
closed period.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from core.roles import Role
from tests.factories import (
    AcademicYearFactory,
    ControlFormFactory,
    GradingScaleFactory,
    GuardianLinkFactory,
    LessonFactory,
    MembershipFactory,
    PersonFactory,
    SchoolClassFactory,
    SchoolFactory,
    StudyGroupFactory,
    StudyPeriodFactory,
    SubjectFactory,
    TeachingAssignmentFactory,
    UserFactory,
)


def person_with_user(roles: list[str], *, surname: str, name: str, email: str = "", **kwargs):
    user = UserFactory(roles=roles, email=email, first_name=name, last_name=surname)
    return PersonFactory(user=user, surname=surname, name=name, **kwargs)


def build_journal_world(*, prefix: str = "", today: datetime.date | None = None) -> SimpleNamespace:
    """``today``: the day the lessons are placed around (default: today in UTC, as services
    called directly see it; pages see today in the region's time zone)."""
    today = today or timezone.localdate()
    day = datetime.timedelta(days=1)
    w = SimpleNamespace(today=today)
    w.s1 = SchoolFactory(short_name=f"{prefix}Школа №1")
    w.s2 = SchoolFactory(short_name=f"{prefix}Школа №2")
    w.a = SchoolClassFactory(school=w.s1, parallel=5, letter="А")
    w.b = SchoolClassFactory(school=w.s1, parallel=5, letter="Б")
    w.c = SchoolClassFactory(school=w.s2, parallel=5, letter="А")

    w.year = AcademicYearFactory()
    w.period = StudyPeriodFactory(academic_year=w.year, number=2)
    w.closed = StudyPeriodFactory(
        academic_year=w.year,
        number=1,
        starts_on=today - 100 * day,
        ends_on=today - 40 * day,
        closes_on=today - 33 * day,
    )
    w.scale = GradingScaleFactory()
    # the region's seeded forms (regions.academics.defaults): «Ответ на уроке» 1, «Контрольная работа» 3
    w.answer = ControlFormFactory(code="oral")
    w.test = ControlFormFactory(code="test")

    w.math = SubjectFactory(code="math", name="Математика")
    w.english = SubjectFactory(code="english", name="Английский язык")

    w.st1 = person_with_user([Role.STUDENT], surname="Алиев", name="Артём", email="st1@example.ru")
    w.st2 = PersonFactory(surname="Бекова", name="Зарема")
    w.st3 = PersonFactory(surname="Гусейнов", name="Руслан")
    w.st_b = PersonFactory(surname="Дадаева", name="Алёна")
    w.st_c = PersonFactory(surname="Ёлкин", name="Пётр")
    for student, klass in ((w.st1, w.a), (w.st2, w.a), (w.st3, w.a), (w.st_b, w.b), (w.st_c, w.c)):
        MembershipFactory(person=student, school_class=klass, role="student")
    w.group = StudyGroupFactory(
        school_class=w.a, name=f"{prefix}5А английский, группа 1", subject=w.english, members=[w.st1, w.st2]
    )

    w.teacher = person_with_user([Role.TEACHER], surname="Магомедова", name="Патимат")
    w.other_teacher = person_with_user([Role.TEACHER], surname="Иванов", name="Пётр")
    w.substitute = person_with_user([Role.TEACHER], surname="Семёнова", name="Алёна")
    for t in (w.teacher, w.other_teacher, w.substitute):
        MembershipFactory(person=t, school=w.s1, role="teacher")
    TeachingAssignmentFactory(teacher=w.teacher, school_class=w.a, subject=w.math)
    TeachingAssignmentFactory(
        teacher=w.teacher, school_class=None, group=w.group, school=w.s1, subject=w.english
    )
    TeachingAssignmentFactory(teacher=w.other_teacher, school_class=w.b, subject=w.math)

    w.parent = person_with_user([Role.PARENT], surname="Алиева", name="Марина", email="parent@example.ru")
    GuardianLinkFactory(parent=w.parent, child=w.st1)
    GuardianLinkFactory(parent=w.parent, child=w.st_c)
    w.parent2 = person_with_user([Role.PARENT], surname="Беков", name="Ильяс", email="parent2@example.ru")
    GuardianLinkFactory(parent=w.parent2, child=w.st2)

    w.admin = person_with_user([Role.SCHOOL_ADMIN], surname="Директорова", name="Анна")
    MembershipFactory(person=w.admin, school=w.s1, role="school_admin")
    w.admin2 = person_with_user([Role.SCHOOL_ADMIN], surname="Завучева", name="Ольга")
    MembershipFactory(person=w.admin2, school=w.s2, role="school_admin")
    w.rca = UserFactory(roles=[Role.REGIONAL_ADMIN], username=f"{prefix}rca")

    def math_a(date, number=2, **kwargs):
        return LessonFactory(
            school_class=w.a, subject=w.math, teacher=w.teacher, period=w.period, date=date,
            lesson_number=number, **kwargs,
        )  # fmt: skip

    w.lessons = [math_a(today - 7 * day), math_a(today - 5 * day), math_a(today - 2 * day)]
    w.lesson = w.lessons[-1]
    w.today_lesson = math_a(today, number=3)
    w.future = math_a(today + 2 * day)
    w.sub_lesson = math_a(today - 1 * day, number=4, substitute=w.substitute)
    w.closed_lesson = LessonFactory(
        school_class=w.a, subject=w.math, teacher=w.teacher, period=w.closed, date=today - 50 * day
    )
    w.english_lesson = LessonFactory(
        school_class=None, group=w.group, school=w.s1, subject=w.english, teacher=w.teacher,
        period=w.period, date=today - 3 * day,
    )  # fmt: skip
    w.b_lesson = LessonFactory(
        school_class=w.b, subject=w.math, teacher=w.other_teacher, period=w.period, date=today - 4 * day
    )
    w.c_lesson = LessonFactory(
        school_class=w.c, subject=w.math, teacher=PersonFactory(), period=w.period, date=today - 4 * day
    )
    return w
