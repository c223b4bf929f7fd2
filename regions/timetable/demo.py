"""The demo configuration of a region (``make run``): what a regional centre and school
admins would set up before the first lesson, from the schools, classes and teachers that the
registry import brought.

``demo_configure_region(region)`` is idempotent: every step only adds what is missing. It
goes through the same services as the pages (so the demo is also a smoke test of them):

1. region defaults (subjects, scales, control forms, bells) and the academic year 2026/2027
   with quarters and holidays from the period generator, the federal model curriculum;
2. per school: rooms (one per class, a gym, labs), English subgroups in classes 5–11, the
   teacher load for the teachers present (``plan_teacher_load``), class teachers;
3. the weekly timetable of every class, filled from the load (``timetable_autofill``);
4. dated lessons for the current period.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from regions.academics.calendar import propose_year
from regions.academics.models import AcademicYear, StudyPeriod
from regions.academics.services import academic_year_create, region_defaults_ensure
from regions.people.models import Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.teaching.selectors import curriculum_by_parallel, school_students, school_teachers
from regions.teaching.services import (
    curriculum_fill_from_model,
    room_create,
    school_class_configure,
    subgroups_split,
    teaching_assignment_create,
)

logger = logging.getLogger(__name__)

DEMO_YEAR = 2026
ACTOR = "demo"

# Subjects a teacher usually teaches together (a Russian school's «методические объединения»).
FAMILIES: list[tuple[str, set[str]]] = [
    ("Русский язык и литература", {"rus", "lit", "native_lang", "native_lit"}),
    ("Математика", {"math", "algebra", "algebra_analysis", "geometry", "prob_stat"}),
    ("Иностранный язык", {"eng", "deu", "fra", "zho", "second_foreign"}),
    ("История и обществознание", {"history", "social", "odnknr", "orkse"}),
    ("Естественные науки", {"bio", "geo", "chem"}),
    ("Физика и информатика", {"phys", "inf", "project"}),
    ("Физкультура и ОБЗР", {"pe", "obzr"}),
    ("Искусство и труд", {"music", "art", "tech"}),
]
# In grades 1–4 the class's own teacher teaches these.
PRIMARY = {"rus", "lit_read", "math", "env", "art", "tech", "orkse", "native_lang", "native_lit_read"}
MAX_TEACHER_HOURS = Decimal(26)
SPECIAL_ROOMS = [
    ("Спортзал", {"pe"}),
    ("Кабинет химии", {"chem"}),
    ("Кабинет физики", {"phys"}),
    ("Кабинет информатики", {"inf"}),
    ("Кабинет музыки", {"music"}),
]


@dataclass
class DemoReport:
    schools: int = 0
    entries: int = 0
    lessons: int = 0
    unplaced: list[str] = field(default_factory=list)


def _family_of(code: str) -> int | None:
    return next((i for i, (_name, codes) in enumerate(FAMILIES) if code in codes), None)


def plan_teacher_load(
    *, school: School, year: AcademicYear, teachers: list[Person] | None = None, actor: Any = ACTOR
) -> int:
    """Give the school's curriculum to the teachers present, as a school admin would: a
    primary teacher per class 1–4, subject families for 5–11 (the same teacher keeps a
    class's family), at most 26 h a week each, subgroups to two different teachers when
    possible. Only classes and subjects without load are planned. Returns how many loads were
    created."""
    teachers = list(teachers if teachers is not None else school_teachers(school_id=school.pk))
    if not teachers:
        return 0
    classes = list(SchoolClass.objects.filter(school=school, is_active=True).order_by("parallel", "letter"))
    plan = curriculum_by_parallel(school_id=school.pk, year=year)
    existing = {
        (a.school_class_id or (a.group.school_class_id if a.group else None), a.subject_id)
        for a in TeachingAssignment.objects.filter(school=school).select_related("group")
    }
    load: dict[int, Decimal] = defaultdict(Decimal)
    for a in TeachingAssignment.objects.filter(school=school, is_active=True):
        load[a.teacher_id] += a.hours_per_week
    subgroups: dict[tuple[int, int], list[StudyGroup]] = defaultdict(list)
    for g in StudyGroup.objects.filter(school=school, kind=GroupKind.SUBGROUP, is_active=True).order_by(
        "name"
    ):
        if g.subject_id:
            subgroups[(g.school_class_id, g.subject_id)].append(g)  # type: ignore[index]

    # demand per family, to split teachers between families in proportion
    demand: dict[int, Decimal] = defaultdict(Decimal)
    primary_classes = [c for c in classes if c.parallel <= 4]
    for c in classes:
        for line in plan.get(c.parallel, []):
            if c.parallel <= 4 and line.subject.code in PRIMARY:
                continue
            family = _family_of(line.subject.code)
            if family is not None:
                copies = max(1, len(subgroups.get((c.pk, line.subject_id), [])))
                demand[family] += line.hours_per_week * copies
    pool = list(teachers)
    primary_teacher: dict[int, Person] = {}
    for c in primary_classes:
        if c.class_teacher_id and any(t.pk == c.class_teacher_id for t in pool):
            primary_teacher[c.pk] = next(t for t in pool if t.pk == c.class_teacher_id)
    for c in primary_classes:
        if c.pk not in primary_teacher and len(pool) > len(FAMILIES):
            chosen = next((t for t in pool if t not in primary_teacher.values()), None)
            if chosen is not None:
                primary_teacher[c.pk] = chosen
    rest = [t for t in pool if t not in primary_teacher.values()] or pool
    total = sum(demand.values(), Decimal(0)) or Decimal(1)
    by_family: dict[int, list[Person]] = defaultdict(list)
    order = sorted(demand, key=lambda f: -demand[f])
    wanted = {f: max(1, math.ceil(demand[f] / MAX_TEACHER_HOURS)) for f in order}
    share = {f: max(1, round(len(rest) * float(demand[f] / total))) for f in order}
    i = 0
    for family in order:
        for _ in range(min(wanted[family], share[family])):
            if i < len(rest):
                by_family[family].append(rest[i])
                i += 1
    for t in rest[i:]:  # spare teachers help the families with the most hours per teacher
        family = max(order, key=lambda f: demand[f] / max(1, len(by_family[f])))
        by_family[family].append(t)

    def pick(candidates: list[Person], hours: Decimal, avoid: set[int] | None = None) -> Person:
        avoid = avoid or set()
        # subgroups study at the same time: never the same teacher for two of them
        options = (
            [t for t in candidates if t.pk not in avoid]
            or [t for t in pool if t.pk not in avoid]
            or candidates
        )
        fitting = [t for t in options if load[t.pk] + hours <= MAX_TEACHER_HOURS]
        spare = [t for t in pool if t.pk not in avoid and load[t.pk] + hours <= MAX_TEACHER_HOURS]
        return min(fitting or spare or options or pool, key=lambda t: (load[t.pk], t.pk))

    created = 0
    with transaction.atomic():
        for c in classes:
            keeper: dict[int, Person] = {}  # family → the teacher of this class
            for line in plan.get(c.parallel, []):
                if (c.pk, line.subject_id) in existing:
                    continue
                code = line.subject.code
                groups = subgroups.get((c.pk, line.subject_id), [])
                if c.parallel <= 4 and code in PRIMARY and c.pk in primary_teacher and not groups:
                    teacher = primary_teacher[c.pk]
                    targets: list[tuple[Person, StudyGroup | None]] = [(teacher, None)]
                else:
                    family = _family_of(code)
                    candidates = by_family.get(family, []) if family is not None else []
                    if groups:
                        targets = []
                        used: set[int] = set()
                        for g in groups:
                            t = pick(candidates, line.hours_per_week, used)
                            used.add(t.pk)
                            targets.append((t, g))
                    else:
                        kept = keeper.get(family) if family is not None else None
                        t = (
                            kept
                            if kept is not None and load[kept.pk] + line.hours_per_week <= MAX_TEACHER_HOURS
                            else pick(candidates, line.hours_per_week)
                        )
                        if family is not None:
                            keeper[family] = t
                        targets = [(t, None)]
                for teacher, group in targets:
                    teaching_assignment_create(
                        school=school,
                        teacher=teacher,
                        subject=line.subject,
                        school_class=None if group else c,
                        group=group,
                        hours_per_week=line.hours_per_week,
                        academic_year=year,
                        actor=actor,
                    )
                    load[teacher.pk] += line.hours_per_week
                    created += 1
    return created


def demo_rooms(*, school: School, actor: Any = ACTOR) -> int:
    """A room per class (the class's own room in grades 1–4) and the special rooms."""
    if Room.objects.filter(school=school).exists():
        return 0
    subjects = {s.code: s for s in Subject.objects.all()}
    created = 0
    for i, c in enumerate(
        SchoolClass.objects.filter(school=school, is_active=True).order_by("parallel", "letter")
    ):
        floor = 1 if c.parallel <= 4 else 2 if c.parallel <= 8 else 3
        room_create(
            school=school,
            name=f"{floor}{i + 1:02d}",
            home_class=c if c.parallel <= 4 else None,
            actor=actor,
        )
        created += 1
    for name, codes in SPECIAL_ROOMS:
        room_create(
            school=school, name=name, subjects=[subjects[c] for c in codes if c in subjects], actor=actor
        )
        created += 1
    return created


def demo_subgroups(*, school: School, actor: Any = ACTOR) -> int:
    """English in two groups from grade 5 on, when the school has two or more teachers."""
    eng = Subject.objects.filter(code="eng").first()
    if eng is None or school_teachers(school_id=school.pk).count() < 12:
        return 0
    made = 0
    for c in SchoolClass.objects.filter(school=school, is_active=True, parallel__gte=5):
        if StudyGroup.objects.filter(school_class=c, subject=eng).exists():
            continue
        if TeachingAssignment.objects.filter(school_class=c, subject=eng).exists():
            continue
        if school_students(school_id=school.pk, class_id=c.pk).count() < 2:
            continue
        subgroups_split(school_class=c, subject=eng, count=2, actor=actor)
        made += 1
    return made


def demo_class_teachers(*, school: School, actor: Any = ACTOR) -> None:
    """The primary teacher leads a class 1–4; other classes get the teacher with the most
    hours in them who leads no class yet."""
    leading = set(
        SchoolClass.objects.filter(school=school)
        .exclude(class_teacher=None)
        .values_list("class_teacher_id", flat=True)
    )
    for c in SchoolClass.objects.filter(school=school, is_active=True, class_teacher=None).order_by(
        "parallel", "letter"
    ):
        hours: dict[int, Decimal] = defaultdict(Decimal)
        for a in TeachingAssignment.objects.filter(school_class=c, is_active=True):
            hours[a.teacher_id] += a.hours_per_week
        for teacher_id, _h in sorted(hours.items(), key=lambda kv: -kv[1]):
            if teacher_id not in leading:
                school_class_configure(
                    school_class=c,
                    class_teacher=Person.objects.get(pk=teacher_id),
                    shift=c.shift,
                    actor=actor,
                )
                leading.add(teacher_id)
                break


def demo_year(*, actor: Any = ACTOR) -> AcademicYear:
    name = f"{DEMO_YEAR}/{DEMO_YEAR + 1}"
    year = AcademicYear.objects.filter(school__isnull=True, name=name).first()
    if year is None:
        draft = propose_year(DEMO_YEAR)
        year = academic_year_create(
            name=draft.name,
            starts_on=draft.starts_on,
            ends_on=draft.ends_on,
            period_kind=draft.period_kind,
            periods=draft.periods,
            holidays=draft.holidays,
            actor=actor,
        )
    curriculum_fill_from_model(school=None, academic_year=year, actor=actor)
    return year


def current_period(year: AcademicYear) -> StudyPeriod | None:
    today = timezone.localdate()
    periods = list(year.periods.order_by("number"))
    return next((p for p in periods if p.starts_on <= today <= p.ends_on), None) or next(
        (p for p in periods if p.starts_on > today), periods[-1] if periods else None
    )


def demo_configure_region(region: Any, *, schools_with_timetable: int | None = None) -> DemoReport:
    """Configure a demo region from the data present (see the module docstring). Idempotent."""
    from regions.timetable.autofill import timetable_autofill
    from regions.timetable.models import TimetableEntry
    from regions.timetable.services import lessons_generate

    report = DemoReport()
    with tenant_context(region):
        region_defaults_ensure(actor=ACTOR)
        year = demo_year()
        period = current_period(year)
        schools = list(School.objects.filter(is_active=True).order_by("short_name", "id"))
        for index, school in enumerate(schools):
            report.schools += 1
            demo_rooms(school=school)
            demo_subgroups(school=school)
            plan_teacher_load(school=school, year=year)
            demo_class_teachers(school=school)
            if schools_with_timetable is not None and index >= schools_with_timetable:
                continue
            if not TimetableEntry.objects.filter(school=school, academic_year=year).exists():
                result = timetable_autofill(school=school, academic_year=year, actor=ACTOR)
                report.unplaced.extend(f"{school.short_name}: {m}" for m in result.unplaced)
            report.entries += TimetableEntry.objects.filter(school=school, academic_year=year).count()
            if period is not None:
                report.lessons += lessons_generate(school=school, period=period, actor=ACTOR).created
    if report.unplaced:
        logger.warning("demo timetable: %d loads not placed: %s", len(report.unplaced), report.unplaced[:5])
    return report
