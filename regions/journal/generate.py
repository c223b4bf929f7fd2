"""Set-based fill of the journal for lessons that already exist: topics, attendance, marks
and homework, in a handful of ``INSERT … SELECT`` statements.

Two users: the benchmark (a region-size term in minutes, not hours) and the demo (a region
after configuration gets a lived-in current period). It is the journal's one bulk path and
bypasses the services on purpose — generated history is not a teacher's action, so nothing
is audited and nobody is notified. The rules the services enforce hold by construction:
marks only for held lessons and for students of the lesson's class or group, values of the
five-point scale, the weight of the control form, one live attendance entry per lesson and
student. Lessons that already have a topic or marks are left alone (every filled lesson gets
a topic), so a second run adds nothing and a teacher's real entries are never mixed with
generated ones.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from regions.academics.models import ControlForm

# Which lessons to fill: held (scheduled, not in the future) lessons in the date range, not yet
# filled. A small temporary table keeps the following statements to indexed joins.
_TARGET = [
    "DROP TABLE IF EXISTS journal_fill_lessons",
    """
CREATE TEMP TABLE journal_fill_lessons (
    id bigint, school_id bigint, school_class_id bigint, group_id bigint, subject_id bigint,
    date date, lesson_number smallint
) ON COMMIT DROP
""",
    # (parameters are bound server-side, which utility statements such as CREATE … AS refuse)
    """
INSERT INTO journal_fill_lessons
SELECT l.id, l.school_id, l.school_class_id, l.group_id, l.subject_id, l.date, l.lesson_number
  FROM timetable_lesson l
 WHERE l.date BETWEEN %(date_from)s AND %(date_to)s
   AND l.date <= %(today)s
   AND l.status = 'scheduled'
   AND NOT EXISTS (SELECT 1 FROM journal_lessoncontent c WHERE c.lesson_id = l.id)
   AND NOT EXISTS (SELECT 1 FROM journal_mark m WHERE m.lesson_id = l.id)
""",
    "CREATE INDEX ON journal_fill_lessons (school_class_id)",
    "CREATE INDEX ON journal_fill_lessons (group_id)",
    "ANALYZE journal_fill_lessons",
]

# Every (lesson, student) pair with two uniform pseudo-random numbers in [0, 1) derived from the
# ids and the seed: deterministic, and the same for the attendance and the marks statements, so
# nobody absent gets a mark — without materialising tens of millions of pairs.
_PAIRS = """
WITH pairs AS (
    SELECT t.id AS lesson_id, m.person_id AS student_id
      FROM journal_fill_lessons t
      JOIN people_membership m ON m.school_class_id = t.school_class_id
     WHERE m.role = 'student' AND m.is_active
       AND (m.date_from IS NULL OR m.date_from <= t.date) AND (m.date_to IS NULL OR m.date_to >= t.date)
    UNION ALL
    SELECT t.id, g.person_id
      FROM journal_fill_lessons t
      JOIN teaching_studygroup_members g ON g.studygroup_id = t.group_id
), drawn AS (
    SELECT lesson_id, student_id,
           (hashint8(lesson_id * 1000003 + student_id + %(seed)s) & 2147483647)::float8 / 2147483648 AS r1,
           (hashint8(student_id * 1000003 + lesson_id + %(seed)s) & 2147483647)::float8 / 2147483648 AS r2
      FROM pairs
)
"""

_TOPICS = """
INSERT INTO journal_lessoncontent (lesson_id, topic, updated_at)
SELECT t.id,
       s.name || ': ' || (ARRAY['повторение', 'новая тема', 'практикум', 'самостоятельная работа',
                                'разбор ошибок', 'решение задач'])[1 + (t.id %% 6)]
              || ' (' || to_char(t.date, 'DD.MM') || ')',
       now()
  FROM journal_fill_lessons t JOIN teaching_subject s ON s.id = t.subject_id
ON CONFLICT (lesson_id) DO NOTHING
"""

_ATTENDANCE = """
<pairs>
INSERT INTO journal_attendance (lesson_id, student_id, kind, reason, created_at, updated_at, is_deleted)
SELECT lesson_id, student_id,
       CASE WHEN r2 < 0.6 THEN 'absent' WHEN r2 < 0.9 THEN 'ill' ELSE 'late' END,
       CASE WHEN r2 >= 0.6 AND r2 < 0.9 THEN 'справка' ELSE '' END,
       now(), now(), false
  FROM drawn
 WHERE r1 < %(absence_rate)s
ON CONFLICT (lesson_id, student_id) WHERE NOT is_deleted DO NOTHING
""".replace("<pairs>", _PAIRS)

# A mark for a share of the students present: 5 — 30 %, 4 — 40 %, 3 — 22 %, 2 — 8 %; the control
# form by the forms' shares (``<form>`` and ``<weight>`` are CASE expressions built from the
# region's forms: ids and weights only), its weight captured.
_MARKS = """
<pairs>
INSERT INTO journal_mark (lesson_id, student_id, value, value_five, control_form_id, weight, comment,
                          created_at, updated_at, is_deleted)
SELECT lesson_id, student_id, v::text, v, <form>, <weight>, '', now(), now(), false
  FROM (SELECT lesson_id, student_id,
               CASE WHEN r2 < 0.30 THEN 5 WHEN r2 < 0.70 THEN 4 WHEN r2 < 0.92 THEN 3 ELSE 2 END AS v,
               (r1 - %(absence_rate)s) / %(mark_rate)s AS r3
          FROM drawn
         WHERE r1 >= %(absence_rate)s AND r1 < %(absence_rate)s + %(mark_rate)s) x
""".replace("<pairs>", _PAIRS)

# The lessons of every (class, subject) and (group, subject) being filled, for "the next lesson"
# of each. Joins against the distinct keys, not ``… IN (subquery) OR … IN (subquery)``: an OR of
# two IN's cannot become a join, and once the keys outgrow work_mem PostgreSQL rescans the fill
# table for every lesson of the region (at Dagestan size it ran for hours).
_HOMEWORK = """
WITH class_keys AS (
    SELECT DISTINCT school_class_id, subject_id FROM journal_fill_lessons WHERE school_class_id IS NOT NULL
), group_keys AS (
    SELECT DISTINCT group_id, subject_id FROM journal_fill_lessons WHERE group_id IS NOT NULL
), candidates AS (
    SELECT l.id FROM timetable_lesson l JOIN class_keys k USING (school_class_id, subject_id)
     WHERE l.status = 'scheduled'
    UNION
    SELECT l.id FROM timetable_lesson l JOIN group_keys k USING (group_id, subject_id)
     WHERE l.status = 'scheduled'
), ordered AS (
    SELECT l.id,
           lead(l.id) OVER (PARTITION BY l.school_class_id, l.group_id, l.subject_id
                            ORDER BY l.date, l.lesson_number, l.id) AS next_id
      FROM timetable_lesson l JOIN candidates c ON c.id = l.id
)
INSERT INTO journal_homework (lesson_id, due_lesson_id, due_date, text, created_at, updated_at, is_deleted)
SELECT t.id, o.next_id, CASE WHEN o.next_id IS NULL THEN t.date + 7 END,
       (ARRAY['§ ', 'Упражнения ', 'Задачи № ', 'Прочитать с. '])[1 + (t.id %% 4)] || (10 + t.id %% 90)::text,
       now(), now(), false
  FROM journal_fill_lessons t JOIN ordered o ON o.id = t.id
 WHERE (hashint8(t.id + %(seed)s) & 2147483647)::float8 / 2147483648 < %(homework_rate)s
"""


def _form_cases() -> tuple[str, str]:
    """CASE expressions choosing a region form by its share (the lightest eight times as often
    as each other one) from ``r3`` in [0, 1): one for the form's id, one for its weight."""
    forms = list(ControlForm.objects.filter(school__isnull=True, is_active=True).order_by("weight", "id"))
    if not forms:
        raise ValueError("В регионе нет действующих форм контроля по умолчанию: оценки не из чего выставить")
    shares = [8 if f.weight == min(x.weight for x in forms) else 1 for f in forms]
    total, upto, ids, weights = sum(shares), 0, [], []
    for form, share in zip(forms, shares, strict=True):
        upto += share
        bound = f"{upto / total:.6f}"
        ids.append(f"WHEN r3 < {bound} THEN {int(form.pk)}")
        weights.append(f"WHEN r3 < {bound} THEN {int(form.weight)}")
    last = forms[-1]
    return (
        f"CASE {' '.join(ids)} ELSE {int(last.pk)} END",
        f"CASE {' '.join(weights)} ELSE {int(last.weight)} END",
    )


@dataclass(frozen=True)
class FillCounts:
    lessons: int
    topics: int
    attendance: int
    marks: int
    homework: int


@transaction.atomic
def journal_fill(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    today: datetime.date,
    mark_rate: float = 0.3,
    absence_rate: float = 0.04,
    homework_rate: float = 0.6,
    seed: int = 42,
) -> FillCounts:
    """Fill the held, not yet filled lessons between ``date_from`` and ``date_to`` of the
    current schema. ``mark_rate`` is the share of a lesson's students who get a mark,
    ``absence_rate`` the share who miss it. Deterministic for a given ``seed``."""
    if not (0 <= mark_rate <= 1 and 0 <= absence_rate <= 1 and mark_rate + absence_rate <= 1):
        raise ValueError("mark_rate и absence_rate — доли от 0 до 1, в сумме не больше 1")
    params: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "today": today,
        "mark_rate": mark_rate,
        "absence_rate": absence_rate,
        "homework_rate": homework_rate,
        "seed": int(seed),
    }
    with connection.cursor() as cursor:
        for statement in _TARGET:
            cursor.execute(statement, params if "%(" in statement else None)
        cursor.execute("SELECT count(*) FROM journal_fill_lessons")
        row = cursor.fetchone()
        lessons = row[0] if row else 0
        counts = [lessons]
        if not lessons:
            return FillCounts(0, 0, 0, 0, 0)
        form, weight = _form_cases()
        marks = _MARKS.replace("<form>", form).replace("<weight>", weight)
        for sql in (_TOPICS, _ATTENDANCE, marks, _HOMEWORK):
            cursor.execute(sql, params)
            counts.append(cursor.rowcount)
    return FillCounts(*counts)
