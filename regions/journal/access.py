"""Who may read and write which part of the journal, on top of ``regions.access.viewer_for``.

* read a class's or a group's journal: the school's admins (and the regional admin), the
  teachers of the class or group, the class teacher; a lesson also its teacher and substitute;
* write a lesson (marks, attendance, topic, homework): its acting teacher (the substitute when
  there is one), the teacher assigned to the class or group for that subject, or an admin of
  that school — not the regional admin, who reads;
* final marks: the assigned teacher or the school admin; after the period's ``closes_on``
  only the school admin;
* a diary: the student themself and their parents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.roles import Role
from regions.access import Viewer
from regions.teaching.models import TeachingAssignment

if TYPE_CHECKING:
    from regions.timetable.models import Lesson


def can_view_journal(viewer: Viewer, *, school_id: int, class_id: int | None, group_id: int | None) -> bool:
    if viewer.can_admin_school(school_id):
        return True
    if class_id is not None:
        return viewer.can_view_class(class_id, school_id)
    return group_id is not None and viewer.teaches_group(group_id)


def is_school_admin(viewer: Viewer, school_id: int) -> bool:
    """An admin *of this school* (the regional admin reads journals but does not write them)."""
    return school_id in viewer.admin_school_ids


def teaches_lesson(viewer: Viewer, lesson: Lesson) -> bool:
    return (
        viewer.has_role(Role.TEACHER)
        and viewer.person_id is not None
        and (viewer.person_id in (lesson.teacher_id, lesson.substitute_id))
    )


def can_view_lesson(viewer: Viewer, lesson: Lesson) -> bool:
    return teaches_lesson(viewer, lesson) or can_view_journal(
        viewer, school_id=lesson.school_id, class_id=lesson.school_class_id, group_id=lesson.group_id
    )


def is_assigned_teacher(
    viewer: Viewer, *, subject_id: int, class_id: int | None, group_id: int | None
) -> bool:
    """The teacher load says this viewer teaches this subject to this class or group (a query,
    made only when cheaper checks did not already decide)."""
    if not viewer.has_role(Role.TEACHER) or viewer.person_id is None:
        return False
    if class_id is not None and class_id not in viewer.taught_class_ids:
        return False
    if group_id is not None and group_id not in viewer.taught_group_ids:
        return False
    qs = TeachingAssignment.objects.filter(teacher_id=viewer.person_id, subject_id=subject_id, is_active=True)
    qs = qs.filter(school_class_id=class_id) if class_id is not None else qs.filter(group_id=group_id)
    return qs.exists()


def can_write_lesson(viewer: Viewer, lesson: Lesson) -> bool:
    if is_school_admin(viewer, lesson.school_id):
        return True
    if viewer.has_role(Role.TEACHER) and viewer.person_id == lesson.acting_teacher_id:
        return True
    return is_assigned_teacher(
        viewer, subject_id=lesson.subject_id, class_id=lesson.school_class_id, group_id=lesson.group_id
    )


def can_view_student_diary(viewer: Viewer, student_id: int) -> bool:
    # child_ids is filled only for users with the parent role (viewer_for)
    return student_id in viewer.child_ids or (
        student_id == viewer.person_id and viewer.has_role(Role.STUDENT)
    )
