"""Reads about schools and classes, already narrowed to what a viewer may see."""

from __future__ import annotations

from django.db.models import QuerySet

from regions.access import Viewer
from regions.people.models import Person
from regions.schools.models import School, SchoolClass


def school_list(*, include_inactive: bool = False) -> QuerySet[School]:
    qs = School.objects.order_by("short_name", "id")
    return qs if include_inactive else qs.filter(is_active=True)


def school_list_for(*, viewer: Viewer) -> QuerySet[School]:
    """The schools a viewer sees: a regional admin all of the region, others their own."""
    qs = school_list()
    return qs if viewer.is_regional_admin else qs.filter(pk__in=viewer.visible_school_ids)


def school_get_for(*, viewer: Viewer, school_id: int) -> School | None:
    if not viewer.can_view_school(school_id):
        return None
    return School.objects.filter(pk=school_id, is_active=True).first()


def class_list_for(*, viewer: Viewer, school: School) -> QuerySet[SchoolClass]:
    qs = SchoolClass.objects.filter(school=school, is_active=True).order_by("parallel", "letter", "id")
    visible = viewer.visible_class_ids(school.pk)
    return qs if visible is None else qs.filter(pk__in=visible)


def class_get_for(*, viewer: Viewer, class_id: int) -> SchoolClass | None:
    """A class whose list of students the viewer may read (admins, its teachers)."""
    school_class = SchoolClass.objects.select_related("school").filter(pk=class_id, is_active=True).first()
    if school_class is None or not viewer.can_view_class(school_class.pk, school_class.school_id):
        return None
    return school_class


def class_students(*, school_class: SchoolClass) -> QuerySet[Person]:
    return (
        Person.objects.filter(
            memberships__school_class=school_class,
            memberships__role="student",
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("surname", "name", "patronymic", "id")
    )


def student_get_for(*, viewer: Viewer, person_id: int) -> Person | None:
    """A person the viewer may see: themself, their child, a student they teach or administer."""
    if viewer.is_anonymous:
        return None
    return Person.objects.filter(viewer.students_q(), pk=person_id, is_active=True).distinct().first()


def student_class_names(*, person_ids: list[int]) -> dict[int, str]:
    rows = (
        SchoolClass.objects.filter(
            memberships__person_id__in=person_ids, memberships__role="student", memberships__is_active=True
        )
        .values_list("memberships__person_id", "name")
        .order_by("memberships__person_id", "name")
    )
    return dict(rows)
