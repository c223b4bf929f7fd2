"""Writes of a school's teaching set-up: class configuration (class teacher, shift), rooms,
study groups, curriculum and teacher load.

The registry owns which classes exist and who is in them; nothing here creates classes or
memberships. What is written here is configuration, and a registry re-import never touches it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from regions.academics.models import AcademicYear
from regions.academics.selectors import school_settings
from regions.people.models import Membership, MembershipRole, Person
from regions.schools.models import School, SchoolClass
from regions.teaching.defaults import model_curriculum
from regions.teaching.models import CurriculumLine, GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.teaching.selectors import curriculum_hours, hours_text, is_school_teacher, planned_hours
from regions.timetable.conflicts import short_person_name

# Weekly maximum of the curriculum by parallel, 5-day week (СанПиН 1.2.3685-21, table 6.6).
MAX_WEEKLY_HOURS = {1: 21, 2: 23, 3: 23, 4: 23, 5: 29, 6: 30, 7: 32, 8: 33, 9: 33, 10: 34, 11: 34}


def person_label(person: Person) -> str:
    return short_person_name(person.surname, person.name, person.patronymic)


def _hours(value: Any, label: str) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            {
                "hours_per_week": [
                    _("%(label)s: «%(value)s» — не число часов") % {"label": label, "value": value}
                ]
            }
        ) from exc
    if (hours * 2) % 1 != 0 or not Decimal(0) <= hours <= 40:
        raise ValidationError(
            {
                "hours_per_week": [
                    _("%(label)s: %(hours_text)s ч — нужно от 0 до 40 с шагом 0,5")
                    % {"label": label, "hours_text": hours_text(hours) if hours.is_finite() else value}
                ]
            }
        )
    return hours


def current_year(*, school_id: int, on: datetime.date | None = None) -> AcademicYear | None:
    return school_settings(school_id=school_id).year_on(on or timezone.localdate())


def _require_year(school: School, year: AcademicYear | None) -> AcademicYear:
    year = year or current_year(school_id=school.pk)
    if year is None:
        raise ValidationError(
            _("Нет учебного года: сначала региональный администратор создаёт учебный год с периодами")
        )
    return year


# --- classes (the school's configuration columns of the registry's classes) -------------------------


def school_class_configure(
    *, school_class: SchoolClass, class_teacher: Person | None, shift: int, actor: Any = None
) -> SchoolClass:
    """Set the class teacher and the shift of a class. These two columns belong to the school,
    not to the registry: the import never overwrites them."""
    errors: dict[str, list[str]] = {}
    if class_teacher is not None and not is_school_teacher(
        school_id=school_class.school_id, person_id=class_teacher.pk
    ):
        errors["class_teacher"] = [
            _("%(person_label)s не работает учителем в этой школе (по данным реестра)")
            % {"person_label": person_label(class_teacher)}
        ]
    settings = school_settings(school_id=school_class.school_id)
    if settings.schedule_for_shift(shift) is None:
        errors["shift"] = [_("Для %(shift)s смены нет расписания звонков") % {"shift": shift}]
    if errors:
        raise ValidationError(errors)
    old = {"class_teacher": school_class.class_teacher_id, "shift": school_class.shift}
    new = {"class_teacher": class_teacher.pk if class_teacher else None, "shift": shift}
    if old == new:
        return school_class
    with transaction.atomic():
        if shift != school_class.shift:
            _move_week_to_shift(school_class, settings.schedule_for_shift(shift), actor)
        school_class.class_teacher = class_teacher
        school_class.shift = shift
        school_class.save(update_fields=["class_teacher", "shift", "updated_at"])
        audit_record(
            actor=actor,
            action="school_class_configure",
            entity="school_class",
            entity_id=school_class.pk,
            changes={k: [old[k], new[k]] for k in old if old[k] != new[k]},
        )
    return school_class


def _move_week_to_shift(school_class: SchoolClass, schedule: Any, actor: Any) -> None:
    """A class changing shift takes its week along: same weekdays and lesson numbers, the new
    shift's bell times — refused, naming the lesson, if a number is not in the new bells or the
    new times clash (a teacher who also teaches the other shift)."""
    from regions.timetable.models import TimetableEntry
    from regions.timetable.services import EntryDraft, timetable_entries_save

    entries = list(
        TimetableEntry.objects.filter(Q(school_class=school_class) | Q(group__school_class=school_class))
        .exclude(bell_schedule=schedule)
        .select_related("academic_year")
    )
    by_year: dict[int, list] = defaultdict(list)
    for entry in entries:
        by_year[entry.academic_year_id].append(entry)
    for year_entries in by_year.values():
        timetable_entries_save(
            school=school_class.school,
            academic_year=year_entries[0].academic_year,
            drafts=[EntryDraft.of(e, bell_schedule_id=schedule.pk) for e in year_entries],
            actor=actor,
            action="school_class_shift",
        )


# --- rooms ----------------------------------------------------------------------------------------------


def _room_snapshot(room: Room) -> dict[str, Any]:
    return {
        "name": room.name,
        "capacity": room.capacity,
        "home_class": room.home_class_id,
        "subjects": sorted(room.subjects.values_list("pk", flat=True)) if room.pk else [],
        "is_active": room.is_active,
    }


def _check_room(
    school: School, name: str, home_class: SchoolClass | None, capacity: int | None, exclude_id: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Укажите название кабинета")]
    elif Room.objects.filter(school=school, name=name.strip()).exclude(pk=exclude_id or 0).exists():
        errors["name"] = [_("Кабинет «%(name)s» уже есть в школе") % {"name": name.strip()}]
    if home_class is not None and home_class.school_id != school.pk:
        errors["home_class"] = [_("Класс %(name)s из другой школы") % {"name": home_class.name}]
    if capacity is not None and not 1 <= capacity <= 1000:
        errors["capacity"] = [_("Число мест %(capacity)s вне 1…1000") % {"capacity": capacity}]
    return errors


def room_create(
    *,
    school: School,
    name: str,
    capacity: int | None = None,
    home_class: SchoolClass | None = None,
    subjects: Iterable[Subject] = (),
    actor: Any = None,
) -> Room:
    errors = _check_room(school, name, home_class, capacity, None)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        room = Room(school=school, name=name.strip(), capacity=capacity, home_class=home_class)
        room.full_clean()
        room.save()
        room.subjects.set(list(subjects))
        audit_record(
            actor=actor,
            action="room_create",
            entity="room",
            entity_id=room.pk,
            changes={k: [None, v] for k, v in _room_snapshot(room).items()},
        )
    return room


def room_update(
    *,
    room: Room,
    name: str,
    capacity: int | None = None,
    home_class: SchoolClass | None = None,
    subjects: Iterable[Subject] = (),
    is_active: bool = True,
    actor: Any = None,
) -> Room:
    errors = _check_room(room.school, name, home_class, capacity, room.pk)
    if errors:
        raise ValidationError(errors)
    old = _room_snapshot(room)
    with transaction.atomic():
        room.name, room.capacity, room.home_class, room.is_active = (
            name.strip(),
            capacity,
            home_class,
            is_active,
        )
        room.full_clean()
        room.save()
        room.subjects.set(list(subjects))
        new = _room_snapshot(room)
        if new != old:
            audit_record(
                actor=actor,
                action="room_update",
                entity="room",
                entity_id=room.pk,
                changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
            )
    return room


def room_delete(*, room: Room, actor: Any = None) -> None:
    old = _room_snapshot(room)
    with transaction.atomic():
        try:
            with transaction.atomic():
                room.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _("Кабинет «%(name)s» стоит в расписании: уберите его из расписания или сделайте неактивным")
                % {"name": room.name}
            ) from exc
        audit_record(
            actor=actor,
            action="room_delete",
            entity="room",
            entity_id=room.pk,
            changes={k: [v, None] for k, v in old.items()},
        )


# --- study groups ----------------------------------------------------------------------------------------


def _check_members(group: StudyGroup, member_ids: set[int]) -> list[str]:
    if not member_ids:
        return []
    memberships = Membership.objects.filter(
        person_id__in=member_ids, school_id=group.school_id, role=MembershipRole.STUDENT, is_active=True
    )
    if group.kind == GroupKind.SUBGROUP:
        memberships = memberships.filter(school_class_id=group.school_class_id)
    ok = set(memberships.values_list("person_id", flat=True))
    bad = member_ids - ok
    if not bad:
        return []
    names = [person_label(p) for p in Person.objects.filter(pk__in=bad).order_by("surname", "name")[:5]]
    more = _(" и ещё %(count)s") % {"count": len(bad) - len(names)} if len(bad) > len(names) else ""
    if group.kind == GroupKind.SUBGROUP and group.school_class:
        return [
            _("Не ученики класса %(name)s: %(names)s%(more)s")
            % {"name": group.school_class.name, "names": ", ".join(names), "more": more}
        ]
    return [_("Не ученики школы: %(names)s%(more)s") % {"names": ", ".join(names), "more": more}]


def _group_snapshot(group: StudyGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "kind": group.kind,
        "school_class": group.school_class_id,
        "subject": group.subject_id,
        "is_active": group.is_active,
    }


def study_group_create(
    *,
    school: School,
    name: str,
    kind: str,
    school_class: SchoolClass | None = None,
    subject: Subject | None = None,
    members: Iterable[Person] = (),
    actor: Any = None,
) -> StudyGroup:
    """A subgroup of a class (needs the class) or a cross-class group (no class; members from
    any classes of the school)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Укажите название группы")]
    elif StudyGroup.objects.filter(school=school, name=name).exists():
        errors["name"] = [_("Группа «%(name)s» уже есть в школе") % {"name": name}]
    if kind not in GroupKind.values:
        errors["kind"] = [_("Неизвестный вид группы «%(kind)s»") % {"kind": kind}]
    elif kind == GroupKind.SUBGROUP and school_class is None:
        errors["school_class"] = [_("Подгруппа должна принадлежать классу")]
    elif kind == GroupKind.CROSS_CLASS and school_class is not None:
        errors["school_class"] = [_("Межклассная группа не принадлежит одному классу")]
    if school_class is not None and school_class.school_id != school.pk:
        errors["school_class"] = [_("Класс %(name)s из другой школы") % {"name": school_class.name}]
    if errors:
        raise ValidationError(errors)
    group = StudyGroup(school=school, name=name, kind=kind, school_class=school_class, subject=subject)
    member_ids = {m.pk for m in members}
    problems = _check_members(group, member_ids)
    if problems:
        raise ValidationError({"members": problems})
    with transaction.atomic():
        group.full_clean()
        group.save()
        group.members.set(member_ids)
        audit_record(
            actor=actor,
            action="study_group_create",
            entity="study_group",
            entity_id=group.pk,
            changes={k: [None, v] for k, v in _group_snapshot(group).items()}
            | {"members": [None, sorted(member_ids)]},
        )
    return group


def study_group_update(
    *, group: StudyGroup, name: str, subject: Subject | None, is_active: bool = True, actor: Any = None
) -> StudyGroup:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Укажите название группы")]})
    if StudyGroup.objects.filter(school_id=group.school_id, name=name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": [_("Группа «%(name)s» уже есть в школе") % {"name": name}]})
    old = _group_snapshot(group)
    with transaction.atomic():
        group.name, group.subject, group.is_active = name, subject, is_active
        group.full_clean()
        group.save()
        new = _group_snapshot(group)
        if new != old:
            audit_record(
                actor=actor,
                action="study_group_update",
                entity="study_group",
                entity_id=group.pk,
                changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
            )
    return group


def study_group_set_members(*, group: StudyGroup, members: Iterable[Person], actor: Any = None) -> StudyGroup:
    member_ids = {m.pk for m in members}
    problems = _check_members(group, member_ids)
    if problems:
        raise ValidationError({"members": problems})
    old = sorted(group.members.values_list("pk", flat=True))
    if old == sorted(member_ids):
        return group
    with transaction.atomic():
        group.members.set(member_ids)
        audit_record(
            actor=actor,
            action="study_group_set_members",
            entity="study_group",
            entity_id=group.pk,
            changes={"members": [old, sorted(member_ids)]},
        )
    return group


def study_group_delete(*, group: StudyGroup, actor: Any = None) -> None:
    old = _group_snapshot(group)
    with transaction.atomic():
        try:
            with transaction.atomic():
                group.members.clear()
                group.delete()
        except ProtectedError as exc:
            raise ValidationError(
                _(
                    "Группу «%(name)s» нельзя удалить: у неё есть нагрузка, расписание или уроки; сделайте её неактивной"
                )
                % {"name": group.name}
            ) from exc
        audit_record(
            actor=actor,
            action="study_group_delete",
            entity="study_group",
            entity_id=group.pk,
            changes={k: [v, None] for k, v in old.items()},
        )


def subgroups_split(
    *, school_class: SchoolClass, subject: Subject, count: int = 2, actor: Any = None
) -> list[StudyGroup]:
    """Split a class into ``count`` subgroups for a subject («5А — Англ. яз., гр. 1/2»), the
    students by the class list in alphabetical order. The usual way to set up language groups."""
    if not 2 <= count <= 4:
        raise ValidationError(
            {"count": [_("Подгрупп может быть от 2 до 4, указано %(count)s") % {"count": count}]}
        )
    from regions.teaching.selectors import school_students

    students = list(school_students(school_id=school_class.school_id, class_id=school_class.pk))
    label = subject.short_name or subject.name
    # stored names, data like the registry's: in the region's language whoever splits the class
    names = [f"{school_class.name} — {label}, гр. {i}" for i in range(1, count + 1)]
    taken = set(
        StudyGroup.objects.filter(school_id=school_class.school_id, name__in=names).values_list(
            "name", flat=True
        )
    )
    if taken:
        raise ValidationError(
            {"name": [_("Группы уже есть: %(taken)s") % {"taken": ", ".join(sorted(taken))}]}
        )
    groups = []
    with transaction.atomic():
        size = -(-len(students) // count) if students else 0
        for i, name in enumerate(names):
            part = students[i * size : (i + 1) * size] if size else []
            groups.append(
                study_group_create(
                    school=school_class.school,
                    name=name,
                    kind=GroupKind.SUBGROUP,
                    school_class=school_class,
                    subject=subject,
                    members=part,
                    actor=actor,
                )
            )
    return groups


# --- curriculum --------------------------------------------------------------------------------------------


def _class_of(a: TeachingAssignment) -> SchoolClass:
    """The class of a load (a subgroup's class); only called for class and subgroup loads."""
    school_class = a.school_class or (a.group.school_class if a.group else None)
    if school_class is None:
        raise ValidationError(_("Нагрузка межклассной группы не относится к одному классу"))
    return school_class


def _curriculum_overrun(
    *, school_ids: list[int] | None, parallel: int, hours: Mapping[int, Decimal]
) -> list[str]:
    """Classes of ``parallel`` whose teacher load of a subject would exceed the new hours."""
    qs = TeachingAssignment.objects.filter(is_active=True).filter(
        Q(school_class__parallel=parallel)
        | Q(group__kind=GroupKind.SUBGROUP, group__school_class__parallel=parallel)
    )
    if school_ids is not None:
        qs = qs.filter(school_id__in=school_ids)
    by_class: dict[tuple[int, int], list[TeachingAssignment]] = defaultdict(list)
    for a in qs.select_related("school_class", "group", "group__school_class", "subject"):
        by_class[(_class_of(a).pk, a.subject_id)].append(a)
    problems = []
    for (_class_id, subject_id), items in sorted(by_class.items()):
        planned = planned_hours(items)
        allowed = hours.get(subject_id, Decimal(0))
        if planned > allowed:
            first = items[0]
            problems.append(
                _(
                    "Нагрузка по предмету «%(name)s» в %(first)s: назначено %(hours_text)s ч, а по новому учебному плану %(allowed)s ч"
                )
                % {
                    "name": first.subject.name,
                    "first": _class_of(first).name,
                    "hours_text": hours_text(planned),
                    "allowed": hours_text(allowed),
                }
            )
    return problems[:10]


def curriculum_set(
    *,
    school: School | None,
    academic_year: AcademicYear,
    parallel: int,
    hours: Mapping[int, Any],
    actor: Any = None,
) -> list[CurriculumLine]:
    """Replace the curriculum of one parallel at one level (``school=None``: the region's
    model curriculum). ``hours`` maps subject id → hours per week (0 or absent: not taught).
    A school's first lines for a parallel override the region's for that parallel."""
    errors: dict[str, list[str]] = {}
    if not 1 <= parallel <= 11:
        errors["parallel"] = [_("Параллель %(parallel)s вне 1–11") % {"parallel": parallel}]
    if school is None and academic_year.school_id is not None:
        errors["academic_year"] = [_("Учебный план региона строится на учебный год региона")]
    if school is not None and academic_year.school_id not in (None, school.pk):
        errors["academic_year"] = [_("Учебный год другой школы")]
    if school is not None and academic_year.school_id is None:
        own = AcademicYear.objects.filter(school=school, name=academic_year.name).first()
        if own is not None:
            academic_year = own
    subjects = {s.pk: s for s in Subject.objects.filter(pk__in=list(hours))}
    cleaned: dict[int, Decimal] = {}
    for subject_id, value in hours.items():
        subject = subjects.get(int(subject_id))
        if subject is None:
            errors.setdefault("hours", []).append(
                _("Нет предмета с id %(subject_id)s") % {"subject_id": subject_id}
            )
            continue
        try:
            h = _hours(
                value, _("%(parallel)s параллель, «%(name)s»") % {"parallel": parallel, "name": subject.name}
            )
        except ValidationError as exc:
            errors.setdefault("hours", []).extend(exc.messages)
            continue
        if h > 0:
            cleaned[subject.pk] = h
    total = sum(cleaned.values(), Decimal(0))
    limit = MAX_WEEKLY_HOURS.get(parallel)
    if limit is not None and total > limit:
        errors.setdefault("hours", []).append(
            _(
                "Учебный план %(parallel)s параллели: %(hours_text)s ч в неделю больше допустимой нагрузки %(limit)s ч (СанПиН, 5-дневная неделя)"
            )
            % {"parallel": parallel, "hours_text": hours_text(total), "limit": limit}
        )
    if errors:
        raise ValidationError(errors)
    if school is not None:
        affected: list[int] | None = [school.pk]
    else:
        # schools that use the region's lines for this parallel
        overriding = CurriculumLine.objects.filter(
            school__isnull=False, parallel=parallel, academic_year__name=academic_year.name
        ).values_list("school_id", flat=True)
        affected = list(School.objects.exclude(pk__in=overriding).values_list("pk", flat=True))
    overrun = _curriculum_overrun(school_ids=affected, parallel=parallel, hours=cleaned)
    if overrun:
        raise ValidationError({"hours": overrun})
    level = CurriculumLine.objects.filter(school=school, academic_year=academic_year, parallel=parallel)
    old = {line.subject_id: str(line.hours_per_week) for line in level}
    with transaction.atomic():
        level.exclude(subject_id__in=list(cleaned)).delete()
        # validated above (parallel, hours, one line per subject): written in bulk
        existing = {line.subject_id: line for line in level}
        created, changed, lines = [], [], []
        for subject_id, h in cleaned.items():
            line = existing.get(subject_id)
            if line is None:
                line = CurriculumLine(
                    school=school,
                    academic_year=academic_year,
                    parallel=parallel,
                    subject_id=subject_id,
                    hours_per_week=h,
                )
                created.append(line)
            elif line.hours_per_week != h:
                line.hours_per_week = h
                changed.append(line)
            lines.append(line)
        CurriculumLine.objects.bulk_create(created)
        CurriculumLine.objects.bulk_update(changed, ["hours_per_week"])
        new = {sid: str(h) for sid, h in cleaned.items()}
        if new != old:
            audit_record(
                actor=actor,
                action="curriculum_set",
                entity="curriculum",
                entity_id=f"{school.pk if school else 'region'}:{academic_year.name}:{parallel}",
                changes={"hours": [old, new]},
            )
    return lines


def curriculum_reset(
    *, school: School, academic_year: AcademicYear, parallel: int, actor: Any = None
) -> None:
    """Drop a school's own curriculum of one parallel: it inherits the region's again (refused
    if the teacher load would then exceed the region's hours)."""
    own = CurriculumLine.objects.filter(
        school=school, academic_year__name=academic_year.name, parallel=parallel
    )
    old = {line.subject_id: str(line.hours_per_week) for line in own}
    if not old:
        return
    region_hours = dict(
        CurriculumLine.objects.filter(
            school__isnull=True,
            academic_year__school__isnull=True,
            academic_year__name=academic_year.name,
            parallel=parallel,
        ).values_list("subject_id", "hours_per_week")
    )
    overrun = _curriculum_overrun(school_ids=[school.pk], parallel=parallel, hours=region_hours)
    if overrun:
        raise ValidationError({"hours": overrun})
    with transaction.atomic():
        own.delete()
        audit_record(
            actor=actor,
            action="curriculum_reset",
            entity="curriculum",
            entity_id=f"{school.pk}:{academic_year.name}:{parallel}",
            changes={"hours": [old, None]},
        )


def curriculum_fill_from_model(
    *,
    school: School | None,
    academic_year: AcademicYear,
    parallels: Iterable[int] = range(1, 12),
    actor: Any = None,
) -> int:
    """Fill the parallels that have no curriculum at this level with the federal model
    curriculum (ФОП, 5-day week). Returns how many parallels were filled."""
    subjects = dict(
        Subject.objects.filter(code__in={c for p in model_curriculum().values() for c in p}).values_list(
            "code", "pk"
        )
    )
    target_year = academic_year
    if school is not None and academic_year.school_id is None:
        target_year = (
            AcademicYear.objects.filter(school=school, name=academic_year.name).first() or academic_year
        )
    present = set(
        CurriculumLine.objects.filter(school=school, academic_year=target_year).values_list(
            "parallel", flat=True
        )
    )
    filled = 0
    with transaction.atomic():
        for parallel in parallels:
            if parallel in present:
                continue
            plan = {subjects[code]: h for code, h in model_curriculum()[parallel].items() if code in subjects}
            curriculum_set(
                school=school, academic_year=target_year, parallel=parallel, hours=plan, actor=actor
            )
            filled += 1
    return filled


# --- teacher load -------------------------------------------------------------------------------------------


def _load_target(
    school: School, school_class: SchoolClass | None, group: StudyGroup | None
) -> tuple[SchoolClass | None, str]:
    if (school_class is None) == (group is None):
        raise ValidationError({"school_class": [_("Укажите либо класс, либо группу")]})
    if school_class is not None:
        if school_class.school_id != school.pk:
            raise ValidationError(
                {"school_class": [_("Класс %(name)s из другой школы") % {"name": school_class.name}]}
            )
        return school_class, school_class.name
    if group is None:  # excluded above
        raise ValidationError({"group": [_("Укажите группу")]})
    if group.school_id != school.pk:
        raise ValidationError({"group": [_("Группа «%(name)s» из другой школы") % {"name": group.name}]})
    return (group.school_class if group.kind == GroupKind.SUBGROUP else None), _("группа «%(name)s»") % {
        "name": group.name
    }


def _check_load(
    *,
    school: School,
    year: AcademicYear,
    subject: Subject,
    school_class: SchoolClass | None,
    group: StudyGroup | None,
    hours: Decimal,
    exclude_id: int | None,
) -> list[str]:
    base_class, target = _load_target(school, school_class, group)
    if base_class is None:  # a cross-class group: an elective, outside the class curriculum
        return []
    allowed = curriculum_hours(school_id=school.pk, year=year, parallel=base_class.parallel).get(
        (base_class.parallel, subject.pk)
    )
    if allowed is None:
        return [
            _(
                "Предмета «%(name)s» нет в учебном плане %(parallel)s параллели на %(year_name)s: сначала добавьте его в учебный план"
            )
            % {"name": subject.name, "parallel": base_class.parallel, "year_name": year.name}
        ]
    items = list(
        TeachingAssignment.objects.filter(is_active=True, subject=subject)
        .filter(
            Q(school_class=base_class) | Q(group__school_class=base_class, group__kind=GroupKind.SUBGROUP)
        )
        .exclude(pk=exclude_id or 0)
        .select_related("group")
    )
    items.append(
        TeachingAssignment(
            school=school, subject=subject, school_class=school_class, group=group, hours_per_week=hours
        )
    )
    planned = planned_hours(items)
    if planned > allowed:
        return [
            _(
                "Нагрузка по предмету «%(name)s» в %(class_name)s%(group)s: запланировано %(planned)s ч, "
                "по учебному плану %(allowed)s ч в неделю"
            )
            % {
                "name": subject.name,
                "class_name": base_class.name,
                "group": f" ({target})" if group is not None else "",
                "planned": hours_text(planned),
                "allowed": hours_text(allowed),
            }
        ]
    return []


def _assignment_snapshot(a: TeachingAssignment) -> dict[str, Any]:
    return {
        "teacher": a.teacher_id,
        "subject": a.subject_id,
        "school_class": a.school_class_id,
        "group": a.group_id,
        "hours_per_week": str(a.hours_per_week),
        "room": a.room_id,
        "is_active": a.is_active,
    }


def teaching_assignment_create(
    *,
    school: School,
    teacher: Person,
    subject: Subject,
    school_class: SchoolClass | None = None,
    group: StudyGroup | None = None,
    hours_per_week: Any = None,
    room: Room | None = None,
    academic_year: AcademicYear | None = None,
    actor: Any = None,
) -> TeachingAssignment:
    """Teacher load: ``teacher`` teaches ``subject`` to a class or a group, so many hours a
    week. Without hours: what the curriculum leaves for that class and subject."""
    year = _require_year(school, academic_year)
    errors: dict[str, list[str]] = {}
    base_class, target = _load_target(school, school_class, group)
    if not is_school_teacher(school_id=school.pk, person_id=teacher.pk):
        errors["teacher"] = [
            _("%(person_label)s не работает учителем в этой школе (по данным реестра)")
            % {"person_label": person_label(teacher)}
        ]
    if room is not None and room.school_id != school.pk:
        errors["room"] = [_("Кабинет «%(name)s» из другой школы") % {"name": room.name}]
    duplicate = TeachingAssignment.objects.filter(
        teacher=teacher, subject=subject, school_class=school_class, group=group
    ).first()
    if duplicate is not None:
        errors.setdefault("teacher", []).append(
            _("%(person_label)s уже ведёт «%(name)s» (%(target)s): измените часы этой нагрузки")
            % {"person_label": person_label(teacher), "name": subject.name, "target": target}
        )
    if hours_per_week in (None, ""):
        if base_class is None:
            errors.setdefault("hours_per_week", []).append(_("Укажите часы в неделю для межклассной группы"))
            hours = Decimal(0)
        else:
            allowed = curriculum_hours(school_id=school.pk, year=year, parallel=base_class.parallel).get(
                (base_class.parallel, subject.pk), Decimal(0)
            )
            siblings = (
                list(
                    TeachingAssignment.objects.filter(
                        is_active=True, subject=subject, school_class=base_class
                    )
                )
                if school_class is not None
                else list(TeachingAssignment.objects.filter(is_active=True, subject=subject, group=group))
            )
            hours = max(allowed - sum((a.hours_per_week for a in siblings), Decimal(0)), Decimal(0))
    else:
        hours = _hours(
            hours_per_week, _("Нагрузка «%(name)s» (%(target)s)") % {"name": subject.name, "target": target}
        )
    if not errors:
        problems = _check_load(
            school=school,
            year=year,
            subject=subject,
            school_class=school_class,
            group=group,
            hours=hours,
            exclude_id=None,
        )
        if problems:
            errors["hours_per_week"] = problems
        elif hours <= 0:
            errors["hours_per_week"] = [
                _("Нагрузка «%(name)s» (%(target)s): число часов должно быть больше нуля")
                % {"name": subject.name, "target": target}
                + (_(" — по учебному плану часов не осталось") if hours_per_week in (None, "") else "")
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assignment = TeachingAssignment(
            school=school,
            teacher=teacher,
            subject=subject,
            school_class=school_class,
            group=group,
            hours_per_week=hours,
            room=room,
        )
        assignment.full_clean(validate_constraints=False)  # duplicates and hours checked above
        assignment.save()
        audit_record(
            actor=actor,
            action="teaching_assignment_create",
            entity="teaching_assignment",
            entity_id=assignment.pk,
            changes={k: [None, v] for k, v in _assignment_snapshot(assignment).items()},
        )
    return assignment


def teaching_assignment_update(
    *,
    assignment: TeachingAssignment,
    teacher: Person | None = None,
    hours_per_week: Any = None,
    room: Room | str | None = "keep",
    is_active: bool | None = None,
    academic_year: AcademicYear | None = None,
    actor: Any = None,
) -> TeachingAssignment:
    """Change the teacher, hours, room or activity of a load. A new teacher takes over the
    timetable entries of this load (conflict-checked there)."""
    school = assignment.school
    year = _require_year(school, academic_year)
    errors: dict[str, list[str]] = {}
    new_teacher = teacher or assignment.teacher
    if teacher is not None and not is_school_teacher(school_id=school.pk, person_id=teacher.pk):
        errors["teacher"] = [
            _("%(person_label)s не работает учителем в этой школе (по данным реестра)")
            % {"person_label": person_label(teacher)}
        ]
    hours = (
        assignment.hours_per_week
        if hours_per_week in (None, "")
        else _hours(hours_per_week, _("Нагрузка «%(name)s»") % {"name": assignment.subject.name})
    )
    if hours <= 0:
        errors.setdefault("hours_per_week", []).append(_("Число часов должно быть больше нуля"))
    if isinstance(room, Room) and room.school_id != school.pk:
        errors["room"] = [_("Кабинет «%(name)s» из другой школы") % {"name": room.name}]
    active = assignment.is_active if is_active is None else is_active
    if not errors and active:
        problems = _check_load(
            school=school,
            year=year,
            subject=assignment.subject,
            school_class=assignment.school_class,
            group=assignment.group,
            hours=hours,
            exclude_id=assignment.pk,
        )
        if problems:
            errors["hours_per_week"] = problems
    if errors:
        raise ValidationError(errors)
    old = _assignment_snapshot(assignment)
    with transaction.atomic():
        if new_teacher.pk != assignment.teacher_id:
            from regions.timetable.services import timetable_entries_reassign

            timetable_entries_reassign(assignment=assignment, teacher=new_teacher, actor=actor)
        assignment.teacher = new_teacher
        assignment.hours_per_week = hours
        if room != "keep":
            assignment.room = room if isinstance(room, Room) else None
        assignment.is_active = active
        assignment.full_clean(validate_constraints=False)  # duplicates and hours checked above
        assignment.save()
        new = _assignment_snapshot(assignment)
        if new != old:
            audit_record(
                actor=actor,
                action="teaching_assignment_update",
                entity="teaching_assignment",
                entity_id=assignment.pk,
                changes={k: [old[k], new[k]] for k in new if old[k] != new[k]},
            )
    return assignment


def teaching_assignment_delete(*, assignment: TeachingAssignment, actor: Any = None) -> None:
    """Remove a load. Refused while the timetable still has its lessons."""
    from regions.timetable.models import TimetableEntry

    entries = TimetableEntry.objects.filter(
        teacher_id=assignment.teacher_id,
        subject_id=assignment.subject_id,
        school_class_id=assignment.school_class_id,
        group_id=assignment.group_id,
    ).count()
    if entries:
        raise ValidationError(
            _(
                "Нагрузку нельзя удалить: по ней в расписании стоят уроки (%(entries)s) — сначала уберите их из сетки"
            )
            % {"entries": entries}
        )
    old = _assignment_snapshot(assignment)
    with transaction.atomic():
        assignment.delete()
        audit_record(
            actor=actor,
            action="teaching_assignment_delete",
            entity="teaching_assignment",
            entity_id=assignment.pk,
            changes={k: [v, None] for k, v in old.items()},
        )
