"""The permission matrix: what each role sees, from one query."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from core.roles import Role
from regions.access import ANONYMOUS, viewer_for
from regions.people.models import Person
from tests.factories import (
    GuardianLinkFactory,
    MembershipFactory,
    PersonFactory,
    SchoolClassFactory,
    SchoolFactory,
    TeachingAssignmentFactory,
    UserFactory,
)


@pytest.fixture
def school_world(region_a):
    """Two schools; in school 1 classes 5А (taught by the teacher) and 5Б (not)."""
    with tenant_context(region_a):
        s1, s2 = SchoolFactory(), SchoolFactory()
        a, b = SchoolClassFactory(school=s1, letter="А"), SchoolClassFactory(school=s1, letter="Б")
        c = SchoolClassFactory(school=s2, letter="А")
        st_a = MembershipFactory(school_class=a).person
        st_b = MembershipFactory(school_class=b).person
        st_c = MembershipFactory(school_class=c).person
        teacher = PersonFactory(user=UserFactory(roles=[Role.TEACHER]))
        MembershipFactory(person=teacher, school=s1, role="teacher")
        TeachingAssignmentFactory(teacher=teacher, school_class=a)
        parent = PersonFactory(user=UserFactory(roles=[Role.PARENT]))
        GuardianLinkFactory(parent=parent, child=st_a)
        GuardianLinkFactory(parent=parent, child=st_c)  # children in two schools
        admin = PersonFactory(user=UserFactory(roles=[Role.SCHOOL_ADMIN]))
        MembershipFactory(person=admin, school=s2, role="school_admin")
        yield {
            "s1": s1,
            "s2": s2,
            "a": a,
            "b": b,
            "c": c,
            "st_a": st_a,
            "st_b": st_b,
            "st_c": st_c,
            "teacher": teacher,
            "parent": parent,
            "admin": admin,
        }


def visible(viewer) -> set[int]:
    return set(Person.objects.filter(viewer.students_q()).values_list("pk", flat=True).distinct())


def test_teacher_sees_the_class_they_teach_only(school_world, region_a, assert_queries):
    w = school_world
    with tenant_context(region_a):
        user = w["teacher"].user
        with assert_queries(1):
            viewer = viewer_for(user)
            viewer_for(user)  # cached for the request
        assert viewer.can_view_class(w["a"].pk, w["s1"].pk)
        assert not viewer.can_view_class(w["b"].pk, w["s1"].pk)
        assert not viewer.can_admin_school(w["s1"].pk)
        assert {w["st_a"].pk} <= visible(viewer)
        assert w["st_b"].pk not in visible(viewer) and w["st_c"].pk not in visible(viewer)


def test_parent_sees_own_children_in_two_schools(school_world, region_a):
    w = school_world
    with tenant_context(region_a):
        viewer = viewer_for(w["parent"].user)
        assert viewer.child_ids == {w["st_a"].pk, w["st_c"].pk}
        assert visible(viewer) == {w["parent"].pk, w["st_a"].pk, w["st_c"].pk}
        assert not viewer.can_view_class(w["a"].pk, w["s1"].pk)


def test_school_admin_sees_own_school_only(school_world, region_a):
    w = school_world
    with tenant_context(region_a):
        viewer = viewer_for(w["admin"].user)
        assert viewer.can_admin_school(w["s2"].pk) and not viewer.can_admin_school(w["s1"].pk)
        assert w["st_c"].pk in visible(viewer) and w["st_a"].pk not in visible(viewer)


def test_data_without_the_role_grants_nothing(school_world, region_a):
    w = school_world
    with tenant_context(region_a):
        w["teacher"].user.roles = [Role.STUDENT]
        viewer = viewer_for(w["teacher"].user)
        assert not viewer.taught_class_ids and not viewer.can_view_class(w["a"].pk, w["s1"].pk)


def test_regional_admin_sees_the_region_and_anonymous_nothing(school_world, region_a):
    w = school_world
    with tenant_context(region_a):
        viewer = viewer_for(UserFactory(roles=[Role.REGIONAL_ADMIN]))
        assert viewer.can_admin_school(w["s1"].pk) and viewer.can_admin_school(w["s2"].pk)
        assert {w["st_a"].pk, w["st_b"].pk, w["st_c"].pk} <= visible(viewer)
        assert viewer_for(None) is ANONYMOUS and not ANONYMOUS.can_view_school(w["s1"].pk)
