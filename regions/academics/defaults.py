"""What a new region starts with, so that the regional centre of competence does not have to
type it: grading scales, control forms with weights, bell schedules for two shifts.

The academic year is NOT seeded: a regional admin creates it with the period generator
(``regions.academics.calendar``). Like the subject list, the seeding takes model classes so a
data migration can use historical models; it only adds what is missing and never overwrites
what a region has changed.
"""

from __future__ import annotations

import datetime
from typing import Any

GRADING_SCALES = [
    {
        "code": "five_point",
        "name": "Пятибалльная",
        "kind": "five_point",
        "min_value": 1,
        "max_value": 5,
        "conversion": [],
        "is_default": True,
    },
    {
        "code": "hundred_point",
        "name": "Стобалльная",
        "kind": "hundred_point",
        "min_value": 0,
        "max_value": 100,
        "conversion": [[85, 5], [70, 4], [50, 3], [0, 2]],
        "is_default": False,
    },
    {
        "code": "pass_fail",
        "name": "Зачёт / незачёт",
        "kind": "pass_fail",
        "min_value": 0,
        "max_value": 1,
        "conversion": [],
        "is_default": False,
    },
]

# Weights as most Russian regional journals set them: a lesson answer or homework counts once,
# independent and check-up work twice, a test or a dictation three times, a final test four.
CONTROL_FORMS = [
    ("oral", "Ответ на уроке", "ОУ", 1),
    ("homework", "Домашняя работа", "ДЗ", 1),
    ("independent", "Самостоятельная работа", "СР", 2),
    ("check", "Проверочная работа", "ПР", 2),
    ("lab", "Лабораторная работа", "ЛР", 2),
    ("practical", "Практическая работа", "ПрР", 2),
    ("test", "Контрольная работа", "КР", 3),
    ("dictation", "Диктант", "Д", 3),
    ("essay", "Сочинение", "Соч", 3),
    ("final_test", "Итоговая контрольная работа", "ИКР", 4),
]


def _t(value: str) -> datetime.time:
    hours, minutes = value.split(":")
    return datetime.time(int(hours), int(minutes))


# 45-minute lessons, 10-minute breaks and one 20-minute break (СанПиН 1.2.3685-21).
BELL_SCHEDULES = [
    (
        "1 смена",
        1,
        [
            ("08:00", "08:45"),
            ("08:55", "09:40"),
            ("10:00", "10:45"),
            ("11:05", "11:50"),
            ("12:00", "12:45"),
            ("12:55", "13:40"),
            ("13:50", "14:35"),
            ("14:45", "15:30"),
        ],
    ),
    (
        "2 смена",
        2,
        [
            ("13:30", "14:15"),
            ("14:25", "15:10"),
            ("15:30", "16:15"),
            ("16:35", "17:20"),
            ("17:30", "18:15"),
            ("18:25", "19:10"),
            ("19:20", "20:05"),
        ],
    ),
]


def seed_region_defaults(
    *, scale_model: Any, form_model: Any, schedule_model: Any, bell_model: Any
) -> dict[str, int]:
    """Create the region defaults (``school = NULL``) that are missing. Returns counts."""
    counts = {"grading_scales": 0, "control_forms": 0, "bell_schedules": 0}
    have_scales = set(scale_model.objects.filter(school__isnull=True).values_list("code", flat=True))
    new_scales = [scale_model(school=None, **s) for s in GRADING_SCALES if s["code"] not in have_scales]
    scale_model.objects.bulk_create(new_scales)
    counts["grading_scales"] = len(new_scales)

    have_forms = set(form_model.objects.filter(school__isnull=True).values_list("code", flat=True))
    new_forms = [
        form_model(school=None, code=code, name=name, short_name=short, weight=weight)
        for code, name, short, weight in CONTROL_FORMS
        if code not in have_forms
    ]
    form_model.objects.bulk_create(new_forms)
    counts["control_forms"] = len(new_forms)

    have_shifts = set(schedule_model.objects.filter(school__isnull=True).values_list("shift", flat=True))
    for name, shift, bells in BELL_SCHEDULES:
        if shift in have_shifts:
            continue
        schedule = schedule_model.objects.create(school=None, name=name, shift=shift)
        bell_model.objects.bulk_create(
            bell_model(schedule=schedule, lesson_number=n, starts_at=_t(a), ends_at=_t(b))
            for n, (a, b) in enumerate(bells, start=1)
        )
        counts["bell_schedules"] += 1
    return counts
