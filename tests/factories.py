"""factory_boy factories for region data. They keep data consistent: a membership's class
belongs to its school, a teacher assignment's class to the assignment's school.

Use them inside a region's schema (``with tenant_context(region_a): ...``)."""

from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from core.models import User
from core.validators import make_inn10, make_ogrn, make_snils
from regions.people.models import GuardianLink, Membership, MembershipRole, Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import Subject, TeachingAssignment


class SchoolFactory(DjangoModelFactory):
    class Meta:
        model = School

    ogrn = factory.Sequence(lambda n: make_ogrn(102050000000 + n))
    inn = factory.Sequence(lambda n: make_inn10(50000000 + n))
    short_name = factory.Sequence(lambda n: f"МБОУ СОШ №{n + 1}")
    full_name = factory.LazyAttribute(
        lambda o: f"Муниципальное бюджетное общеобразовательное учреждение {o.short_name}"
    )
    municipality = "г. Махачкала"


class SchoolClassFactory(DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    parallel = 5
    letter = factory.Sequence(lambda n: "АБВГДЕЖИКЛМН"[n % 12])
    name = factory.LazyAttribute(lambda o: f"{o.parallel}{o.letter}")


class PersonFactory(DjangoModelFactory):
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
