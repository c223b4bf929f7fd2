#!/usr/bin/env python
"""Timetable: conflict check of a whole large school's weekly template and generation of
dated lessons, each beside a baseline measured in the same run.

* conflict check of a school with 44 classes × 34 lessons a week (1,496 entries): the
  set-based check (``find_school_clashes``, and the batch check the services run before a
  save) against the naive per-entry ORM check (one query per entry);
* generation of the dated lessons of a quarter for that school, and for 100 schools of 11
  classes, against a raw ``INSERT … SELECT generate_series`` of the same number of rows
  (the floor of writing that many rows) and Django's ``bulk_create`` of the same rows;
* regeneration (idempotent: nothing to do) of the large school's quarter.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench, drop_database, setup_django

DB = "msh_bench_timetable_config"


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build_school(
    *, index: int, classes_per_parallel: int, lessons: int, teachers: int, rooms: int, year, schedule
):
    """A school whose template is conflict-free by construction: in every (day, lesson) cell
    the classes get distinct teachers and rooms (a rotation modulo their number)."""
    from core.validators import make_inn10, make_ogrn
    from regions.people.models import Membership, Person
    from regions.schools.models import School, SchoolClass
    from regions.teaching.models import Room, Subject
    from regions.timetable.models import TimetableEntry

    school = School.objects.create(
        ogrn=make_ogrn(1020500000000 + index),
        inn=make_inn10(5000000 + index),
        full_name=f"Школа {index}",
        short_name=f"Школа {index}",
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, parallel=p, letter="АБВГДЕ"[k], name=f"{p}{'АБВГДЕ'[k]}")
        for p in range(1, 12)
        for k in range(classes_per_parallel)
    )
    people = Person.objects.bulk_create(
        Person(registry_id=f"T{index}-{t}", surname=f"Учитель{t}", name="Имя", patronymic="Отчество")
        for t in range(teachers)
    )
    Membership.objects.bulk_create(Membership(person=p, school=school, role="teacher") for p in people)
    room_rows = Room.objects.bulk_create(Room(school=school, name=f"{100 + r}") for r in range(rooms))
    subjects = list(Subject.objects.order_by("position")[:20])
    cells = [(day, number) for number in range(1, 8) for day in range(1, 6)][:lessons]
    entries = []
    for c, school_class in enumerate(classes):
        for k, (day, number) in enumerate(cells):
            offset = day * 7 + number
            entries.append(
                TimetableEntry(
                    school=school,
                    academic_year=year,
                    weekday=day,
                    lesson_number=number,
                    bell_schedule=schedule,
                    school_class=school_class,
                    subject=subjects[(c + k) % len(subjects)],
                    teacher=people[(c + offset) % teachers],
                    room=room_rows[(c + offset) % rooms],
                    valid_from=year.starts_on,
                    valid_to=year.ends_on,
                )
            )
    TimetableEntry.objects.bulk_create(entries, batch_size=5000)
    return school, len(entries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(DB)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Q
    from django_tenants.utils import tenant_context

    from tenants.services import region_create

    try:
        call_command("migrate_regions", verbosity=0, stdout=StringIO())
        region = region_create(code="05", domains=["r05.bench.localhost"])
        with tenant_context(region):
            from regions.academics.calendar import propose_year
            from regions.academics.models import BellSchedule
            from regions.academics.services import academic_year_create
            from regions.timetable.conflicts import (
                Slot,
                find_school_clashes,
                template_clash_rows,
            )
            from regions.timetable.models import Lesson, TimetableEntry
            from regions.timetable.services import lessons_generate

            draft = propose_year(2026)
            year = academic_year_create(
                name=draft.name,
                starts_on=draft.starts_on,
                ends_on=draft.ends_on,
                period_kind=draft.period_kind,
                periods=draft.periods,
                holidays=draft.holidays,
            )
            schedule = BellSchedule.objects.get(school__isnull=True, shift=1)
            bells = {b.lesson_number: (b.starts_at, b.ends_at) for b in schedule.bells.all()}
            quarter = year.periods.get(number=2)

            # --- a large school: 44 classes × 34 lessons -------------------------------------
            big, n_entries = build_school(
                index=1,
                classes_per_parallel=4,
                lessons=34,
                teachers=80,
                rooms=50,
                year=year,
                schedule=schedule,
            )
            repeat = 3 if args.quick else 5
            assert find_school_clashes(school_id=big.pk, academic_year_id=year.pk) == []
            t_school = median_time(
                lambda: find_school_clashes(school_id=big.pk, academic_year_id=year.pk), repeat
            )
            entries = list(TimetableEntry.objects.filter(school=big))
            slots = [
                Slot(
                    key=i,
                    weekday=e.weekday,
                    starts_at=bells[e.lesson_number][0],
                    ends_at=bells[e.lesson_number][1],
                    teacher_id=e.teacher_id,
                    school_id=e.school_id,
                    lesson_number=e.lesson_number,
                    valid_from=e.valid_from,
                    valid_to=e.valid_to or year.ends_on,
                    room_id=e.room_id,
                    class_id=e.school_class_id,
                )
                for i, e in enumerate(entries)
            ]
            ids = [e.pk for e in entries]
            assert template_clash_rows(slots, exclude_entry_ids=ids) == []
            t_batch = median_time(lambda: template_clash_rows(slots, exclude_entry_ids=ids), repeat)

            def naive() -> int:
                clashes = 0
                for e in entries:
                    clashes += (
                        TimetableEntry.objects.filter(
                            weekday=e.weekday, lesson_number=e.lesson_number, academic_year=year
                        )
                        .filter(
                            Q(teacher_id=e.teacher_id)
                            | Q(room_id=e.room_id)
                            | Q(school_class_id=e.school_class_id)
                        )
                        .exclude(pk=e.pk)
                        .exists()
                    )
                return clashes

            assert naive() == 0
            t_naive = median_time(naive, 1 if args.quick else 3)
            bench(f"conflict_check_school_{n_entries}_entries_set_based", t_school * 1000, "ms")
            bench(f"conflict_check_batch_{n_entries}_candidates_set_based", t_batch * 1000, "ms")
            bench(f"conflict_check_school_{n_entries}_entries_naive_orm_baseline", t_naive * 1000, "ms")
            bench("conflict_check_set_based_vs_naive", t_naive / t_school, "x_faster")

            # --- generation of a quarter for the large school -----------------------------------
            started = time.perf_counter()
            report = lessons_generate(school=big, period=quarter)
            t_generate = time.perf_counter() - started
            rows = report.created
            started = time.perf_counter()
            again = lessons_generate(school=big, period=quarter)
            t_again = time.perf_counter() - started
            assert again.created == 0 and again.removed == 0
            bench(f"generate_quarter_school_{rows}_lessons", t_generate, "s")
            bench("regenerate_quarter_school_noop", t_again, "s")

            def raw_insert(count: int) -> float:
                """The floor: INSERT of ``count`` lesson rows from generate_series, rolled back."""
                sample = Lesson.objects.filter(school=big).first()
                assert sample is not None
                started = time.perf_counter()
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        """
INSERT INTO timetable_lesson (school_id, period_id, date, lesson_number, starts_at, ends_at,
       school_class_id, subject_id, teacher_id, status, is_remote, video_url, change_note,
       created_at, updated_at)
SELECT %s, %s, DATE '2026-11-05' + (g %% 50), 1 + g %% 7, '08:00', '08:45', %s, %s, %s,
       'scheduled', FALSE, '', '', now(), now()
  FROM generate_series(1, %s) AS g
""",
                        [
                            big.pk,
                            quarter.pk,
                            sample.school_class_id,
                            sample.subject_id,
                            sample.teacher_id,
                            count,
                        ],
                    )
                    elapsed = time.perf_counter() - started
                    transaction.set_rollback(True)
                return elapsed

            def orm_bulk(count: int) -> float:
                """Django's bulk_create of the same number of rows, built in Python."""
                sample = Lesson.objects.filter(school=big).first()
                assert sample is not None
                day0 = datetime.date(2026, 11, 5)
                started = time.perf_counter()
                with transaction.atomic():
                    Lesson.objects.bulk_create(
                        (
                            Lesson(
                                school=big,
                                period=quarter,
                                date=day0 + datetime.timedelta(days=i % 50),
                                lesson_number=1 + i % 7,
                                starts_at=datetime.time(8),
                                ends_at=datetime.time(8, 45),
                                school_class_id=sample.school_class_id,
                                subject_id=sample.subject_id,
                                teacher_id=sample.teacher_id,
                            )
                            for i in range(count)
                        ),
                        batch_size=5000,
                    )
                    elapsed = time.perf_counter() - started
                    transaction.set_rollback(True)
                return elapsed

            t_raw = raw_insert(rows)
            t_bulk = orm_bulk(rows)
            bench(f"raw_insert_{rows}_lesson_rows_baseline", t_raw, "s")
            bench(f"orm_bulk_create_{rows}_lesson_rows_baseline", t_bulk, "s")
            bench("generate_vs_raw_insert", t_generate / t_raw, "x_slower")
            bench("generate_vs_orm_bulk_create", t_bulk / t_generate, "x_faster")

            # --- 100 schools of 11 classes ------------------------------------------------------
            n_schools = 20 if args.quick else 100
            schools = []
            for i in range(n_schools):
                school, _n = build_school(
                    index=100 + i,
                    classes_per_parallel=1,
                    lessons=30,
                    teachers=20,
                    rooms=14,
                    year=year,
                    schedule=schedule,
                )
                schools.append(school)
            started = time.perf_counter()
            total = sum(lessons_generate(school=s, period=quarter).created for s in schools)
            t_many = time.perf_counter() - started
            t_many_raw = raw_insert(total)
            bench(f"generate_quarter_{n_schools}_schools_{total}_lessons", t_many, "s")
            bench(f"raw_insert_{total}_lesson_rows_baseline", t_many_raw, "s")
            bench(f"generate_quarter_{n_schools}_schools_vs_raw_insert", t_many / t_many_raw, "x_slower")
    finally:
        drop_database(DB)


if __name__ == "__main__":
    main()
