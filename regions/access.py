"""Who may see and change what inside a region: the permission matrix in one place.

Two sources meet here. The identity provider says *what kind* of user someone is (realm roles
in the token, mirrored in ``User.roles``); the registry and the school's configuration say
*which objects* they relate to (memberships, guardian links, teacher load). A right needs
both: a user with the ``teacher`` role sees the classes and groups that the teacher load,
the timetable (substitutions) or the class-teacher field give them — nothing else.

| role            | sees                                              | changes                        |
|-----------------|---------------------------------------------------|--------------------------------|
| regional_admin  | everything of the region                          | region defaults, any school    |
| school_admin    | their school(s)                                   | their school's configuration   |
| teacher         | classes and groups they teach or lead, students   | journal of what they teach     |
| student         | themself                                          | own homework "done" flags      |
| parent          | their children (in any school of the region)      | own notification preferences   |
|                 | and those children's schools (name, classes none) |                                |
| federal_operator| nothing of pupils inside a region                 | —                              |

A federal operator cannot even sign in on a region's site: they belong to the ``federal`` realm,
and a region's site accepts only its own realm (``core.sso``).

``viewer_for(user)`` reads everything a check needs in ONE query and caches it on the user
object for the request, so pages keep a constant number of queries whatever they check. A
session's user also keeps it for later requests while the region's roster and the account are
unchanged (``regions.journal.versions``: their versions are kept by PostgreSQL triggers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q

from core.roles import Role
from regions.journal.versions import remember_viewer

_VIEWER_SQL = """
WITH me AS (SELECT id FROM people_person WHERE user_id = %(user)s AND is_active)
SELECT 'person', id, NULL::bigint FROM me
UNION ALL
SELECT 'm:' || role, school_id, school_class_id FROM people_membership
 WHERE person_id IN (SELECT id FROM me) AND is_active
UNION ALL
SELECT 'child', g.child_id, NULL FROM people_guardianlink g JOIN people_person c ON c.id = g.child_id
 WHERE g.parent_id IN (SELECT id FROM me) AND g.is_active AND c.is_active
UNION ALL
SELECT 'teach_class', school_class_id, school_id FROM teaching_teachingassignment
 WHERE teacher_id IN (SELECT id FROM me) AND is_active AND school_class_id IS NOT NULL
UNION ALL
SELECT 'teach_group', group_id, school_id FROM teaching_teachingassignment
 WHERE teacher_id IN (SELECT id FROM me) AND is_active AND group_id IS NOT NULL
UNION ALL
SELECT 'homeroom', id, school_id FROM schools_schoolclass
 WHERE class_teacher_id IN (SELECT id FROM me) AND is_active
UNION ALL
SELECT 'student_group', sg.studygroup_id, NULL FROM teaching_studygroup_members sg
 WHERE sg.person_id IN (SELECT id FROM me)
UNION ALL
SELECT 'child_school', m.school_id, NULL FROM people_membership m
  JOIN people_guardianlink g ON g.child_id = m.person_id AND g.is_active
 WHERE g.parent_id IN (SELECT id FROM me) AND m.is_active AND m.role = 'student'
"""


@dataclass(frozen=True)
class Viewer:
    """What one user of a region may see; built by :func:`viewer_for`."""

    user_id: int | None
    roles: frozenset[str]
    person_id: int | None = None
    admin_school_ids: frozenset[int] = field(default_factory=frozenset)
    teacher_school_ids: frozenset[int] = field(default_factory=frozenset)
    taught_class_ids: frozenset[int] = field(default_factory=frozenset)
    taught_group_ids: frozenset[int] = field(default_factory=frozenset)
    homeroom_class_ids: frozenset[int] = field(default_factory=frozenset)
    child_ids: frozenset[int] = field(default_factory=frozenset)
    # a student's own schools, class and groups
    student_school_ids: frozenset[int] = field(default_factory=frozenset)
    student_class_ids: frozenset[int] = field(default_factory=frozenset)
    student_group_ids: frozenset[int] = field(default_factory=frozenset)
    # a parent's children's schools
    child_school_ids: frozenset[int] = field(default_factory=frozenset)

    # --- kinds of user ---------------------------------------------------------------------
    def has_role(self, role: Role | str) -> bool:
        return str(role) in self.roles

    @property
    def is_regional_admin(self) -> bool:
        return self.has_role(Role.REGIONAL_ADMIN)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    # --- schools ---------------------------------------------------------------------------
    def can_admin_school(self, school_id: int) -> bool:
        """Change a school's configuration (calendar, classes, timetable, finals after closing)."""
        return self.is_regional_admin or school_id in self.admin_school_ids

    def can_view_school(self, school_id: int) -> bool:
        return self.is_regional_admin or school_id in self.visible_school_ids

    @property
    def visible_school_ids(self) -> frozenset[int]:
        """Schools this viewer sees (a regional admin: all of the region, not listed here)."""
        return (
            self.admin_school_ids | self.teacher_school_ids | self.student_school_ids | self.child_school_ids
        )

    def visible_class_ids(self, school_id: int) -> frozenset[int] | None:
        """Classes of a school this viewer sees; ``None`` means all of them."""
        if self.can_admin_school(school_id):
            return None
        return self.taught_class_ids | self.homeroom_class_ids | self.student_class_ids

    # --- classes and groups ----------------------------------------------------------------
    def teaches_class(self, class_id: int) -> bool:
        return class_id in self.taught_class_ids

    def teaches_group(self, group_id: int) -> bool:
        return group_id in self.taught_group_ids

    def can_view_class(self, class_id: int, school_id: int) -> bool:
        """The class list and its journal (read)."""
        return (
            self.can_admin_school(school_id)
            or class_id in self.taught_class_ids
            or class_id in self.homeroom_class_ids
        )

    # --- people ------------------------------------------------------------------------------
    def is_self_or_child(self, person_id: int) -> bool:
        return person_id == self.person_id or person_id in self.child_ids

    def students_q(self, prefix: str = "") -> Q:
        """A filter on ``Person`` (or, with ``prefix="person__"``, on rows that point at a person)
        for the students this viewer may see. Empty ``Q(pk__in=[])`` means none."""
        if self.is_regional_admin:
            return Q()
        q = Q(**{f"{prefix}pk__in": [pid for pid in (self.person_id, *self.child_ids) if pid]})
        if self.admin_school_ids:
            q |= Q(
                **{
                    f"{prefix}memberships__school_id__in": self.admin_school_ids,
                    f"{prefix}memberships__role": "student",
                }
            )
        classes = self.taught_class_ids | self.homeroom_class_ids
        if classes:
            q |= Q(
                **{
                    f"{prefix}memberships__school_class_id__in": classes,
                    f"{prefix}memberships__role": "student",
                    f"{prefix}memberships__is_active": True,
                }
            )
        if self.taught_group_ids:
            q |= Q(**{f"{prefix}study_groups__id__in": self.taught_group_ids})
        return q


ANONYMOUS = Viewer(user_id=None, roles=frozenset())


def viewer_for(user: Any) -> Viewer:
    """The viewer of a region user, in one query, cached on the user object (one request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_region_viewer", None)
    if cached is not None:
        return cached
    roles = frozenset(user.roles or ())
    if user.is_superuser:
        roles |= {str(Role.REGIONAL_ADMIN)}
    sets: dict[str, set[int]] = {}
    person_id = None
    with connection.cursor() as cursor:
        cursor.execute(_VIEWER_SQL, {"user": user.pk})
        rows = cursor.fetchall()
    for kind, a, b in rows:
        if kind == "person":
            person_id = a
        elif kind == "m:student":
            sets.setdefault("student_school", set()).add(a)
            if b:
                sets.setdefault("student_class", set()).add(b)
        elif kind == "m:teacher":
            sets.setdefault("teacher_school", set()).add(a)
        elif kind == "m:school_admin":
            sets.setdefault("admin_school", set()).add(a)
        elif kind == "child":
            sets.setdefault("child", set()).add(a)
        elif kind == "teach_class":
            sets.setdefault("teach_class", set()).add(a)
            sets.setdefault("teacher_school", set()).add(b)
        elif kind == "teach_group":
            sets.setdefault("teach_group", set()).add(a)
            sets.setdefault("teacher_school", set()).add(b)
        elif kind == "homeroom":
            sets.setdefault("homeroom", set()).add(a)
            sets.setdefault("teacher_school", set()).add(b)
        elif kind == "student_group":
            sets.setdefault("student_group", set()).add(a)
        elif kind == "child_school":
            sets.setdefault("child_school", set()).add(a)

    def take(key: str, role: Role) -> frozenset[int]:
        # data without the role grants nothing: the IdP decides what kind of user this is
        return frozenset(sets.get(key, ())) if str(role) in roles else frozenset()

    viewer = Viewer(
        user_id=user.pk,
        roles=roles,
        person_id=person_id,
        admin_school_ids=take("admin_school", Role.SCHOOL_ADMIN),
        teacher_school_ids=take("teacher_school", Role.TEACHER),
        taught_class_ids=take("teach_class", Role.TEACHER),
        taught_group_ids=take("teach_group", Role.TEACHER),
        homeroom_class_ids=take("homeroom", Role.TEACHER),
        child_ids=take("child", Role.PARENT),
        student_school_ids=take("student_school", Role.STUDENT),
        student_class_ids=take("student_class", Role.STUDENT),
        student_group_ids=take("student_group", Role.STUDENT),
        child_school_ids=take("child_school", Role.PARENT),
    )
    user._region_viewer = viewer
    # kept with the session's account for its next requests while its data versions hold
    remember_viewer(user, viewer)
    return viewer
