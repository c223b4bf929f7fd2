"""Reads of subjects, rooms, groups, curriculum and teacher load: ready querysets and
resolved views (curriculum: a school's lines for a parallel override the region's)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from regions.academics.models import AcademicYear
from regions.people.models import Membership, MembershipRole, Person
from regions.schools.models import SchoolClass
from regions.teaching.models import CurriculumLine, GroupKind, Room, StudyGroup, Subject, TeachingAssignment


def subject_list(*, active_only: bool = True) -> QuerySet[Subject]:
    qs = Subject.objects.order_by("position", "name")
    return qs.filter(is_active=True) if active_only else qs


def class_list(*, school_id: int, active_only: bool = True) -> QuerySet[SchoolClass]:
    qs = SchoolClass.objects.filter(school_id=school_id).select_related("class_teacher")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("parallel", "letter", "name")


def room_list(*, school_id: int) -> QuerySet[Room]:
    return (
        Room.objects.filter(school_id=school_id)
        .select_related("home_class")
        .prefetch_related(Prefetch("subjects", queryset=Subject.objects.order_by("position")))
        .order_by("name")
    )


def group_list(*, school_id: int) -> QuerySet[StudyGroup]:
    return (
        StudyGroup.objects.filter(school_id=school_id)
        .select_related("school_class", "subject")
        .annotate(member_count=Count("members"))
        .order_by("school_class__parallel", "school_class__letter", "name")
    )


def school_teachers(*, school_id: int) -> QuerySet[Person]:
    """People with an active teacher membership in the school (from the registry)."""
    return Person.objects.filter(
        is_active=True,
        memberships__school_id=school_id,
        memberships__role=MembershipRole.TEACHER,
        memberships__is_active=True,
    ).order_by("surname", "name", "patronymic", "id")


def school_students(*, school_id: int, class_id: int | None = None) -> QuerySet[Person]:
    q = Q(
        memberships__school_id=school_id,
        memberships__role=MembershipRole.STUDENT,
        memberships__is_active=True,
    )
    if class_id is not None:
        q &= Q(memberships__school_class_id=class_id)
    return Person.objects.filter(q, is_active=True).order_by("surname", "name", "patronymic", "id")


def group_members_gone(*, group: StudyGroup) -> list[tuple[Person, str]]:
    """Members of a group the registry no longer places there — a student moved to another
    class (a subgroup) or left the school — with where the registry has them now («» if
    nowhere in the school). The import owns memberships and never edits groups, so these
    stay members until the school saves the group's list again. Two queries."""
    fits = Membership.objects.filter(
        person_id=OuterRef("pk"), school_id=group.school_id, role=MembershipRole.STUDENT, is_active=True
    )
    if group.kind == GroupKind.SUBGROUP:
        fits = fits.filter(school_class_id=group.school_class_id)
    gone = list(group.members.exclude(Exists(fits)).order_by("surname", "name", "patronymic", "id"))
    if not gone:
        return []
    now = dict(
        Membership.objects.filter(
            person_id__in=[p.pk for p in gone],
            school_id=group.school_id,
            role=MembershipRole.STUDENT,
            is_active=True,
            school_class__isnull=False,
        ).values_list("person_id", "school_class__name")
    )
    return [(p, now.get(p.pk, "")) for p in gone]


def is_school_teacher(*, school_id: int, person_id: int) -> bool:
    return Membership.objects.filter(
        school_id=school_id, person_id=person_id, role=MembershipRole.TEACHER, is_active=True
    ).exists()


def assignment_list(*, school_id: int, active_only: bool = True) -> QuerySet[TeachingAssignment]:
    qs = TeachingAssignment.objects.filter(school_id=school_id).select_related(
        "teacher", "subject", "school_class", "group", "group__school_class", "room"
    )
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by(
        "school_class__parallel", "school_class__letter", "group__name", "subject__position", "id"
    )


# --- curriculum ---------------------------------------------------------------------------------


def curriculum_lines(
    *, school_id: int | None, year: AcademicYear, parallel: int | None = None
) -> list[CurriculumLine]:
    """The curriculum a school uses for ``year`` (its effective year): per parallel, the
    school's own lines if it has any, else the region's lines for the region year of the same
    name. Each line carries ``is_own``. One query. ``school_id=None``: the region's lines."""
    if school_id is None:
        lines = list(
            CurriculumLine.objects.filter(school__isnull=True, academic_year=year)
            .select_related("subject")
            .order_by("parallel", "subject__position")
        )
        for line in lines:
            line.is_own = False
        return lines
    both = CurriculumLine.objects.filter(
        Q(school_id=school_id, academic_year=year)
        | Q(school__isnull=True, academic_year__school__isnull=True, academic_year__name=year.name)
    )
    if parallel is not None:
        both = both.filter(parallel=parallel)
    lines = list(both.select_related("subject").order_by("parallel", "subject__position"))
    own_parallels = {line.parallel for line in lines if line.school_id == school_id}
    out = []
    for line in lines:
        line.is_own = line.school_id == school_id
        if line.is_own or line.parallel not in own_parallels:
            out.append(line)
    return out


def curriculum_by_parallel(*, school_id: int | None, year: AcademicYear) -> dict[int, list[CurriculumLine]]:
    grouped: dict[int, list[CurriculumLine]] = defaultdict(list)
    for line in curriculum_lines(school_id=school_id, year=year):
        grouped[line.parallel].append(line)
    return dict(grouped)


def curriculum_hours(
    *, school_id: int, year: AcademicYear, parallel: int | None = None
) -> dict[tuple[int, int], Decimal]:
    """``{(parallel, subject_id): hours}`` of the school's effective curriculum."""
    return {
        (line.parallel, line.subject_id): line.hours_per_week
        for line in curriculum_lines(school_id=school_id, year=year, parallel=parallel)
    }


@dataclass
class LoadRow:
    """One class and subject: hours by the curriculum against hours given to teachers."""

    school_class: SchoolClass
    subject: Subject
    curriculum: Decimal
    assigned: Decimal
    assignments: list[TeachingAssignment]

    @property
    def missing(self) -> Decimal:
        return max(self.curriculum - self.assigned, Decimal(0))


def load_summary(*, school_id: int, year: AcademicYear) -> list[LoadRow]:
    """For every class: each curriculum subject with its hours and who teaches it. A subject
    split into subgroups counts as the largest subgroup's hours. Three queries."""
    classes = list(class_list(school_id=school_id))
    assignments = list(assignment_list(school_id=school_id))
    by_parallel = curriculum_by_parallel(school_id=school_id, year=year)
    by_class: dict[tuple[int, int], list[TeachingAssignment]] = defaultdict(list)
    for a in assignments:
        class_id = a.school_class_id or (a.group.school_class_id if a.group else None)
        if class_id:
            by_class[(class_id, a.subject_id)].append(a)
    rows = []
    for school_class in classes:
        for line in by_parallel.get(school_class.parallel, []):
            items = by_class.get((school_class.pk, line.subject_id), [])
            rows.append(
                LoadRow(
                    school_class=school_class,
                    subject=line.subject,
                    curriculum=line.hours_per_week,
                    assigned=planned_hours(items),
                    assignments=items,
                )
            )
    return rows


def hours_text(value: Decimal | int | float) -> str:
    """«5», «1,5» — hours as people write them."""
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")


def planned_hours(items: list[TeachingAssignment]) -> Decimal:
    """Hours of one class and subject: whole-class load plus the largest subgroup's load
    (subgroups study at the same time, each its own hours)."""
    whole = sum((a.hours_per_week for a in items if a.school_class_id), Decimal(0))
    per_group: dict[int, Decimal] = defaultdict(Decimal)
    for a in items:
        if a.group_id and a.group and a.group.kind == GroupKind.SUBGROUP:
            per_group[a.group_id] += a.hours_per_week
    return whole + max(per_group.values(), default=Decimal(0))
