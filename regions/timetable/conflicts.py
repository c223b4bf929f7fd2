"""Who is in two places at once: set-based conflict detection for the weekly template and for
dated lessons.

A *slot* is one lesson at one time: a weekday, a time range (from the bell schedule), a week
parity, a validity range of dates, and the resources it takes — a teacher, a room, and a class
footprint. Two slots clash when they meet in time (same weekday, overlapping times, compatible
parity, overlapping validity) and share

* the teacher (in any school of the region: a teacher may work in two schools),
* the room,
* or a class. A lesson of a whole class takes the whole class; a subgroup lesson takes its
  subgroup of the class; a cross-class group takes a part of every class its students are in.
  Two different subgroups of one class do NOT clash (English groups study at the same time);
  a whole-class lesson clashes with any part of the class; a cross-class group clashes with a
  group of the same class only if they share a student.

Every check is ONE SQL statement, whatever the number of candidates: candidates travel as a
JSON array (``jsonb_to_recordset``), existing rows are read with index-friendly equality
joins (teacher+weekday, room+weekday, class+weekday), and the pairs come back as rows. Dated
lessons use the same statement: a date is a weekday with a one-day validity range.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

WEEKDAYS_IN = {
    1: gettext_lazy("в понедельник"),
    2: gettext_lazy("во вторник"),
    3: gettext_lazy("в среду"),
    4: gettext_lazy("в четверг"),
    5: gettext_lazy("в пятницу"),
    6: gettext_lazy("в субботу"),
    7: gettext_lazy("в воскресенье"),
}
WEEKDAYS = {
    1: gettext_lazy("Понедельник"),
    2: gettext_lazy("Вторник"),
    3: gettext_lazy("Среда"),
    4: gettext_lazy("Четверг"),
    5: gettext_lazy("Пятница"),
    6: gettext_lazy("Суббота"),
    7: gettext_lazy("Воскресенье"),
}


def weekday_in_sentence(number: int) -> str:
    """A weekday inside a sentence: lower case in Russian («5А, понедельник, 2 урок»), as
    English writes it (Monday) in English."""
    name = str(WEEKDAYS.get(number, number))
    return name.lower() if (get_language() or "ru").startswith("ru") else name


WEEKDAYS_SHORT = {
    1: gettext_lazy("Пн"),
    2: gettext_lazy("Вт"),
    3: gettext_lazy("Ср"),
    4: gettext_lazy("Чт"),
    5: gettext_lazy("Пт"),
    6: gettext_lazy("Сб"),
    7: gettext_lazy("Вс"),
}


def short_person_name(surname: str, name: str, patronymic: str = "") -> str:
    """«Иванова А. П.» — how a timetable names a teacher."""
    initials = " ".join(f"{part[0]}." for part in (name, patronymic) if part)
    return f"{surname} {initials}".strip()


@dataclass(frozen=True)
class Slot:
    """A candidate lesson. ``key`` identifies it to the caller (an index, or an entry id).
    The label fields are only used for messages when the clash is between two candidates."""

    key: int
    weekday: int
    starts_at: datetime.time
    ends_at: datetime.time
    teacher_id: int
    school_id: int
    lesson_number: int
    parity: str = "every"
    valid_from: datetime.date = datetime.date(1900, 1, 1)
    valid_to: datetime.date = datetime.date(2999, 12, 31)
    room_id: int | None = None
    class_id: int | None = None
    group_id: int | None = None
    date: datetime.date | None = None  # dated lessons
    # labels for messages
    target: str = ""
    subject: str = ""
    teacher: str = ""
    room: str = ""
    school: str = ""

    @classmethod
    def dated(cls, *, key: int, date: datetime.date, **kwargs: Any) -> Slot:
        return cls(key=key, weekday=date.isoweekday(), valid_from=date, valid_to=date, date=date, **kwargs)


@dataclass(frozen=True)
class Clash:
    kind: str  # teacher | room | class
    key: int  # the candidate refused
    other: dict[str, Any]  # who/what is already there
    message: str
    class_id: int | None = None


@dataclass
class _Other:
    weekday: int
    lesson_number: int
    date: datetime.date | None
    target: str
    subject: str
    teacher: str
    room: str
    school_id: int
    school: str
    extra: dict[str, Any] = field(default_factory=dict)


_CAND_COLUMNS = (
    "id bigint, weekday int, starts time, ends time, parity text, vfrom date, vto date, "
    "teacher bigint, room bigint, cls bigint, grp bigint, school bigint"
)

_PAIR = (
    "a.src = 'c' AND (b.src = 'e' OR a.id < b.id)"
    " AND a.starts < b.ends AND b.starts < a.ends"
    " AND (a.parity = 'every' OR b.parity = 'every' OR a.parity = b.parity)"
    " AND a.vfrom <= b.vto AND b.vfrom <= a.vto"
)

_SLOT_COLUMNS = "id, weekday, starts, ends, parity, vfrom, vto, teacher, room, cls, grp, school"


def _clash_sql(cand_sql: str, existing_sql: str) -> str:
    # Both sources yield _SLOT_COLUMNS. ``slots`` is referenced several times, so PostgreSQL
    # materialises it once; every pair join is an equality hash join on a small relation.
    # Only constant SQL fragments of this module are interpolated; values are parameters.
    return f"""
WITH cand AS ({cand_sql}),
ex AS ({existing_sql}),
slots AS (
    SELECT 'c'::text AS src, {_SLOT_COLUMNS} FROM cand
    UNION ALL
    SELECT 'e'::text, {_SLOT_COLUMNS} FROM ex
),
units AS (
    SELECT s.src, s.id, s.weekday, s.starts, s.ends, s.parity, s.vfrom, s.vto,
           s.cls AS ucls, NULL::bigint AS ugrp, false AS cross_class
      FROM slots s WHERE s.cls IS NOT NULL
    UNION ALL
    SELECT s.src, s.id, s.weekday, s.starts, s.ends, s.parity, s.vfrom, s.vto,
           g.school_class_id, s.grp, false
      FROM slots s JOIN teaching_studygroup g ON g.id = s.grp AND g.kind = 'subgroup'
    UNION ALL
    SELECT DISTINCT s.src, s.id, s.weekday, s.starts, s.ends, s.parity, s.vfrom, s.vto,
           m.school_class_id, s.grp, true
      FROM slots s
      JOIN teaching_studygroup g ON g.id = s.grp AND g.kind = 'cross_class'
      JOIN teaching_studygroup_members gm ON gm.studygroup_id = g.id
      JOIN people_membership m ON m.person_id = gm.person_id AND m.role = 'student'
           AND m.is_active AND m.school_id = g.school_id AND m.school_class_id IS NOT NULL
)
SELECT 'teacher', a.src, a.id, b.src, b.id, NULL::bigint
  FROM slots a JOIN slots b ON a.teacher = b.teacher AND a.weekday = b.weekday
 WHERE {_PAIR}
UNION ALL
SELECT 'room', a.src, a.id, b.src, b.id, NULL::bigint
  FROM slots a JOIN slots b ON a.room = b.room AND a.weekday = b.weekday
 WHERE {_PAIR}
UNION ALL
SELECT DISTINCT ON (a.id, b.src, b.id) 'class', a.src, a.id, b.src, b.id, a.ucls
  FROM units a JOIN units b ON a.ucls = b.ucls AND a.weekday = b.weekday
 WHERE {_PAIR}
   AND (a.ugrp IS NULL OR b.ugrp IS NULL OR a.ugrp = b.ugrp
        OR ((a.cross_class OR b.cross_class) AND EXISTS (
              SELECT 1 FROM teaching_studygroup_members x
                JOIN teaching_studygroup_members y ON x.person_id = y.person_id
               WHERE x.studygroup_id = a.ugrp AND y.studygroup_id = b.ugrp)))
"""  # noqa: S608 - constant fragments of this module; values are parameters


_JSON_CANDIDATES = f"SELECT {_SLOT_COLUMNS} FROM jsonb_to_recordset(%(cands)s::jsonb) AS c({_CAND_COLUMNS})"  # noqa: S608

# Existing template entries that may meet a candidate: same weekday, and the same teacher,
# room or school (a class lives in one school). Validity defaults to the academic year's end.
_TEMPLATE_EXISTING = """
SELECT e.id, e.weekday, b.starts_at AS starts, b.ends_at AS ends, e.parity,
       e.valid_from AS vfrom, COALESCE(e.valid_to, y.ends_on) AS vto,
       e.teacher_id AS teacher, e.room_id AS room, e.school_class_id AS cls, e.group_id AS grp,
       e.school_id AS school
  FROM timetable_timetableentry e
  JOIN academics_bell b ON b.schedule_id = e.bell_schedule_id AND b.lesson_number = e.lesson_number
  JOIN academics_academicyear y ON y.id = e.academic_year_id
 WHERE e.weekday IN (SELECT weekday FROM cand)
   AND (e.teacher_id IN (SELECT teacher FROM cand)
        OR e.room_id IN (SELECT room FROM cand)
        OR e.school_id IN (SELECT school FROM cand))
   AND {filter}
"""

_LESSON_EXISTING = """
SELECT l.id, EXTRACT(ISODOW FROM l.date)::int AS weekday, l.starts_at AS starts, l.ends_at AS ends,
       'every'::text AS parity, l.date AS vfrom, l.date AS vto,
       COALESCE(l.substitute_id, l.teacher_id) AS teacher, l.room_id AS room,
       l.school_class_id AS cls, l.group_id AS grp, l.school_id AS school
  FROM timetable_lesson l
 WHERE l.date IN (SELECT vfrom FROM cand)
   AND l.status = 'scheduled'
   AND (l.teacher_id IN (SELECT teacher FROM cand) OR l.substitute_id IN (SELECT teacher FROM cand)
        OR l.room_id IN (SELECT room FROM cand) OR l.school_id IN (SELECT school FROM cand))
   AND NOT (l.id = ANY(%(exclude)s))
"""


def _slot_json(slots: Sequence[Slot]) -> str:
    return json.dumps(
        [
            {
                "id": s.key,
                "weekday": s.weekday,
                "starts": s.starts_at.strftime("%H:%M:%S"),
                "ends": s.ends_at.strftime("%H:%M:%S"),
                "parity": s.parity,
                "vfrom": s.valid_from.isoformat(),
                "vto": s.valid_to.isoformat(),
                "teacher": s.teacher_id,
                "room": s.room_id,
                "cls": s.class_id,
                "grp": s.group_id,
                "school": s.school_id,
            }
            for s in slots
        ]
    )


def _run(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def template_clash_rows(slots: Sequence[Slot], *, exclude_entry_ids: Iterable[int] = ()) -> list[tuple]:
    """Raw clash rows ``(kind, 'c', key, 'c'|'e', other, class_id)`` of candidates against
    each other and against the stored template (minus ``exclude_entry_ids``)."""
    if not slots:
        return []
    sql = _clash_sql(_JSON_CANDIDATES, _TEMPLATE_EXISTING.format(filter="NOT (e.id = ANY(%(exclude)s))"))
    return _run(sql, {"cands": _slot_json(slots), "exclude": list(exclude_entry_ids)})


def school_template_clash_rows(*, school_id: int, academic_year_id: int) -> list[tuple]:
    """Every clash of a school's stored template of one year: its entries against each other
    and against other schools' entries of the same teachers. One statement."""
    cand = """
SELECT e.id, e.weekday, b.starts_at AS starts, b.ends_at AS ends, e.parity,
       e.valid_from AS vfrom, COALESCE(e.valid_to, y.ends_on) AS vto,
       e.teacher_id AS teacher, e.room_id AS room, e.school_class_id AS cls, e.group_id AS grp,
       e.school_id AS school
  FROM timetable_timetableentry e
  JOIN academics_bell b ON b.schedule_id = e.bell_schedule_id AND b.lesson_number = e.lesson_number
  JOIN academics_academicyear y ON y.id = e.academic_year_id
 WHERE e.school_id = %(school)s AND e.academic_year_id = %(year)s
"""
    existing = _TEMPLATE_EXISTING.format(filter="e.school_id <> %(school)s")
    return _run(_clash_sql(cand, existing), {"school": school_id, "year": academic_year_id})


def lesson_clash_rows(slots: Sequence[Slot], *, exclude_lesson_ids: Iterable[int] = ()) -> list[tuple]:
    if not slots:
        return []
    return _run(
        _clash_sql(_JSON_CANDIDATES, _LESSON_EXISTING),
        {"cands": _slot_json(slots), "exclude": list(exclude_lesson_ids)},
    )


# --- messages ---------------------------------------------------------------------------------


def _when(o: _Other) -> str:
    if o.date is not None:
        return _("%(date)s, %(lesson_number)s урок") % {
            "date": format(o.date, "%d.%m.%Y"),
            "lesson_number": o.lesson_number,
        }
    return _("%(weekday)s, %(lesson_number)s урок") % {
        "weekday": WEEKDAYS_IN[o.weekday],
        "lesson_number": o.lesson_number,
    }


def _message(kind: str, cand: Slot, o: _Other, class_name: str) -> str:
    elsewhere = f" ({o.school})" if o.school_id != cand.school_id and o.school else ""
    if kind == "teacher":
        who = cand.teacher or o.teacher
        return _("Учитель %(who)s уже ведёт урок в %(target)s%(elsewhere)s %(o)s") % {
            "who": who,
            "target": o.target,
            "elsewhere": elsewhere,
            "o": _when(o),
        }
    if kind == "room":
        room = cand.room or o.room
        return _("Кабинет «%(room)s» уже занят %(o)s: %(target)s, %(subject)s (%(teacher)s)") % {
            "room": room,
            "o": _when(o),
            "target": o.target,
            "subject": o.subject,
            "teacher": o.teacher,
        }
    target = class_name or o.target
    detail = f"{o.subject}" + (f" ({o.target})" if o.target != target else "")
    return _("Класс %(target)s уже занят %(o)s: %(detail)s, %(teacher)s") % {
        "target": target,
        "o": _when(o),
        "detail": detail,
        "teacher": o.teacher,
    }


def _others_from_entries(ids: set[int]) -> dict[int, _Other]:
    from regions.timetable.models import TimetableEntry

    rows = TimetableEntry.objects.filter(pk__in=ids).select_related(
        "school", "school_class", "group", "subject", "teacher", "room"
    )
    return {
        e.pk: _Other(
            weekday=e.weekday,
            lesson_number=e.lesson_number,
            date=None,
            target=(e.school_class.name if e.school_class else e.group.name),  # type: ignore[union-attr]
            subject=e.subject.name,
            teacher=short_person_name(e.teacher.surname, e.teacher.name, e.teacher.patronymic),
            room=e.room.name if e.room else "",
            school_id=e.school_id,
            school=e.school.short_name,
            extra={"entry_id": e.pk},
        )
        for e in rows
    }


def _others_from_lessons(ids: set[int]) -> dict[int, _Other]:
    from regions.timetable.models import Lesson

    rows = Lesson.objects.filter(pk__in=ids).select_related(
        "school", "school_class", "group", "subject", "teacher", "substitute", "room"
    )
    out = {}
    for lesson in rows:
        acting = lesson.substitute or lesson.teacher
        out[lesson.pk] = _Other(
            weekday=lesson.date.isoweekday(),
            lesson_number=lesson.lesson_number,
            date=lesson.date,
            target=(lesson.school_class.name if lesson.school_class else lesson.group.name),  # type: ignore[union-attr]
            subject=lesson.subject.name,
            teacher=short_person_name(acting.surname, acting.name, acting.patronymic),
            room=lesson.room.name if lesson.room else "",
            school_id=lesson.school_id,
            school=lesson.school.short_name,
            extra={"lesson_id": lesson.pk},
        )
    return out


def _other_from_slot(s: Slot) -> _Other:
    return _Other(
        weekday=s.weekday,
        lesson_number=s.lesson_number,
        date=s.date,
        target=s.target,
        subject=s.subject,
        teacher=s.teacher,
        room=s.room,
        school_id=s.school_id,
        school=s.school,
        extra={"candidate": s.key},
    )


def describe(rows: list[tuple], slots: Sequence[Slot], *, dated: bool = False) -> list[Clash]:
    """Turn clash rows into messages naming both sides (one query for the stored side)."""
    if not rows:
        return []
    by_key = {s.key: s for s in slots}
    stored = {r[4] for r in rows if r[3] == "e"}
    others = _others_from_lessons(stored) if dated else _others_from_entries(stored)
    class_ids = {r[5] for r in rows if r[5]}
    names: dict[int, str] = {}
    if class_ids:
        from regions.schools.models import SchoolClass

        names = dict(SchoolClass.objects.filter(pk__in=class_ids).values_list("pk", "name"))
    clashes = []
    for kind, _src, key, other_src, other_id, class_id in rows:
        cand = by_key[key]
        other = others[other_id] if other_src == "e" else _other_from_slot(by_key[other_id])
        clashes.append(
            Clash(
                kind=kind,
                key=key,
                other=other.extra,
                message=_message(kind, cand, other, names.get(class_id, "") if class_id else ""),
                class_id=class_id,
            )
        )
    clashes.sort(key=lambda c: (c.key, c.kind, c.message))
    return clashes


def find_template_clashes(slots: Sequence[Slot], *, exclude_entry_ids: Iterable[int] = ()) -> list[Clash]:
    return describe(template_clash_rows(slots, exclude_entry_ids=exclude_entry_ids), slots)


def find_lesson_clashes(slots: Sequence[Slot], *, exclude_lesson_ids: Iterable[int] = ()) -> list[Clash]:
    return describe(lesson_clash_rows(slots, exclude_lesson_ids=exclude_lesson_ids), slots, dated=True)


def find_school_clashes(*, school_id: int, academic_year_id: int) -> list[Clash]:
    """Every clash in a school's stored template, each named from the side of the entry that
    clashes («5А, понедельник, 2 урок: Учитель … уже ведёт урок в 6Б …»). Two queries."""
    rows = school_template_clash_rows(school_id=school_id, academic_year_id=academic_year_id)
    if not rows:
        return []
    ids = {r[2] for r in rows} | {r[4] for r in rows}
    others = _others_from_entries(ids)
    class_ids = {r[5] for r in rows if r[5]}
    from regions.schools.models import SchoolClass

    names = dict(SchoolClass.objects.filter(pk__in=class_ids).values_list("pk", "name")) if class_ids else {}
    clashes = []
    for kind, _src, entry_id, _other_src, other_id, class_id in rows:
        mine, other = others[entry_id], others[other_id]
        slot = Slot(
            key=entry_id,
            weekday=mine.weekday,
            starts_at=datetime.time(0),
            ends_at=datetime.time(0),
            teacher_id=0,
            school_id=mine.school_id,
            lesson_number=mine.lesson_number,
            target=mine.target,
            subject=mine.subject,
            teacher=mine.teacher,
            room=mine.room,
        )
        prefix = _("%(target)s, %(weekday)s, %(lesson_number)s урок (%(subject)s): ") % {
            "target": mine.target,
            "weekday": weekday_in_sentence(mine.weekday),
            "lesson_number": mine.lesson_number,
            "subject": mine.subject,
        }
        clashes.append(
            Clash(
                kind=kind,
                key=entry_id,
                other=other.extra,
                message=prefix + _message(kind, slot, other, names.get(class_id, "") if class_id else ""),
                class_id=class_id,
            )
        )
    clashes.sort(key=lambda c: (c.message,))
    return clashes
