"""factory_boy factories for region data. They keep data consistent: a membership's class
belongs to its school, a teacher assignment's class to the assignment's school.

Use them inside a region's schema (``with tenant_context(region_a): ...``)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.models import User
from core.validators import make_inn10, make_ogrn, make_snils
from regions.academics.models import (
    AcademicYear,
    ControlForm,
    GradingScale,
    PeriodKind,
    ScaleKind,
    StudyPeriod,
)
from regions.people.models import GuardianLink, Membership, MembershipRole, Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.timetable.models import Lesson


class SchoolFactory(DjangoModelFactory[School]):
    class Meta:
        model = School

    ogrn = factory.Sequence(lambda n: make_ogrn(102050000000 + n))
    inn = factory.Sequence(lambda n: make_inn10(50000000 + n))
    short_name = factory.Sequence(lambda n: f"МБОУ СОШ №{n + 1}")
    full_name = factory.LazyAttribute(
        lambda o: f"Муниципальное бюджетное общеобразовательное учреждение {o.short_name}"
    )
    municipality = "г. Махачкала"


class SchoolClassFactory(DjangoModelFactory[SchoolClass]):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    parallel = 5
    letter = factory.Sequence(lambda n: "АБВГДЕЖИКЛМН"[n % 12])
    name = factory.LazyAttribute(lambda o: f"{o.parallel}{o.letter}")


class PersonFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person

    registry_id = factory.Sequence(lambda n: f"P{n:07d}")
    snils = factory.Sequence(lambda n: make_snils(100200000 + n))
    surname = factory.Iterator(["Алиев", "Фёдорова", "Магомедов", "Семёнова", "Иванов"])
    name = factory.Iterator(["Артём", "Алёна", "Руслан", "Пётр", "Зарема"])
    patronymic = "Ильич"
    birth_date = datetime.date(2012, 5, 17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    roles: list[str] = []


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    school = factory.LazyAttribute(lambda o: o.school_class.school if o.school_class else SchoolFactory())
    school_class = None
    role = MembershipRole.STUDENT


class GuardianLinkFactory(DjangoModelFactory):
    class Meta:
        model = GuardianLink

    parent = factory.SubFactory(PersonFactory)
    child = factory.SubFactory(PersonFactory)


class SubjectFactory(DjangoModelFactory):
    class Meta:
        model = Subject
        django_get_or_create = ("code",)

    code = "math"
    name = "Математика"


class TeachingAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = TeachingAssignment

    teacher = factory.SubFactory(PersonFactory)
    school_class = factory.SubFactory(SchoolClassFactory)
    school = factory.LazyAttribute(lambda o: o.school_class.school if o.school_class else o.group.school)
    subject = factory.SubFactory(SubjectFactory)
    group = None


# --- school configuration (academics, teaching, timetable) ---------------------------------------


class RoomFactory(DjangoModelFactory[Room]):
    class Meta:
        model = Room

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Каб. {100 + n}")


def make_teacher(
    school: School, surname: str = "Иванова", name: str = "Анна", patronymic: str = "Петровна", **kw
):
    """A person with an active teacher membership in ``school`` (as the registry would make)."""
    person = PersonFactory(
        surname=surname, name=name, patronymic=patronymic, birth_date=datetime.date(1980, 1, 1), **kw
    )
    MembershipFactory(person=person, school=school, role=MembershipRole.TEACHER)
    return person


def make_student(school_class: SchoolClass, **kw) -> Person:
    person = PersonFactory.create(**kw)
    MembershipFactory(person=person, school=school_class.school, school_class=school_class)
    return person


def make_year(start_year: int = 2030, school: School | None = None, period_kind: str = "quarter"):
    """An academic year from the period generator, saved through the service."""
    from regions.academics.calendar import propose_year
    from regions.academics.services import academic_year_create

    draft = propose_year(start_year, period_kind)
    return academic_year_create(
        school=school,
        name=draft.name,
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        period_kind=draft.period_kind,
        periods=draft.periods,
        holidays=draft.holidays,
    )


def subject(code: str) -> Subject:
    """A subject of the federal list (loaded into every region by migration)."""
    return Subject.objects.get(code=code)


# --- School year, grading, timetable (the journal builds on these) --------------------------


def _today() -> datetime.date:
    return timezone.localdate()


class AcademicYearFactory(DjangoModelFactory):
    """The region's default year around today (tests must not depend on the calendar)."""

    class Meta:
        model = AcademicYear
        django_get_or_create = ("school", "name")

    school = None
    name = "Текущий год"
    starts_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=120))
    ends_on = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=200))
    period_kind = PeriodKind.QUARTER


class StudyPeriodFactory(DjangoModelFactory):
    """By default the period containing today, open for finals for another five weeks."""

    class Meta:
        model = StudyPeriod
        django_get_or_create = ("academic_year", "number")

    academic_year = factory.SubFactory(AcademicYearFactory)
    number = 2
    name = factory.LazyAttribute(lambda o: f"{o.number} четверть")
    starts_on = factory.LazyFunction(lambda: _today() - datetime.timedelta(days=28))
    ends_on = factory.LazyFunction(lambda: _today() + datetime.timedelta(days=28))
    closes_on = factory.LazyAttribute(lambda o: o.ends_on + datetime.timedelta(days=7))


class GradingScaleFactory(DjangoModelFactory):
    class Meta:
        model = GradingScale
        django_get_or_create = ("school", "code")

    school = None
    code = "five"
    name = "Пятибалльная"
    kind = ScaleKind.FIVE_POINT
    min_value = 1
    max_value = 5
    is_default = True


class ControlFormFactory(DjangoModelFactory):
    class Meta:
        model = ControlForm
        django_get_or_create = ("school", "code")

    school = None
    code = "answer"
    name = "Ответ на уроке"
    short_name = "О"
    weight = 1


class StudyGroupFactory(DjangoModelFactory[StudyGroup]):
    class Meta:
        model = StudyGroup
        skip_postgeneration_save = True

    school_class = factory.SubFactory(SchoolClassFactory)
    school = factory.LazyAttribute(lambda o: o.school_class.school if o.school_class else SchoolFactory())
    name = factory.Sequence(lambda n: f"Группа {n + 1}")
    kind = GroupKind.SUBGROUP

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class LessonFactory(DjangoModelFactory):
    """A dated lesson of a class (or, with ``group=…, school_class=None``, of a group). Its
    school is the class's (group's), its period that of the region's current year."""

    class Meta:
        model = Lesson

    school_class = factory.SubFactory(SchoolClassFactory)
    group = None
    school = factory.LazyAttribute(lambda o: o.school_class.school if o.school_class else o.group.school)
    period = factory.SubFactory(StudyPeriodFactory)
    date = factory.LazyFunction(_today)
    lesson_number = 1
    starts_at = factory.LazyAttribute(lambda o: datetime.time(7 + o.lesson_number, 0))
    ends_at = factory.LazyAttribute(lambda o: datetime.time(7 + o.lesson_number, 45))
    subject = factory.SubFactory(SubjectFactory)
    teacher = factory.SubFactory(PersonFactory)
