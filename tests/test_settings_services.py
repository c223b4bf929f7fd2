"""Region defaults and school overrides: the calendar, grading scales, control forms, bells,
curriculum and teacher load — every rule and its message; effective settings; copying."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import tenant_context

from core.models import AuditEvent
from regions.academics.calendar import HolidayDraft, propose_year
from regions.academics.copying import (
    school_settings_copy,
    school_settings_override,
    school_settings_revert,
    settings_copy_preview,
)
from regions.academics.models import AcademicYear, BellSchedule, ControlForm, GradingScale, StudyPeriod
from regions.academics.selectors import school_settings, schools_own_settings
from regions.academics.services import (
    academic_year_create,
    academic_year_update,
    bell_schedule_create,
    bell_schedule_update,
    control_form_create,
    control_form_update,
    grading_scale_create,
    region_defaults_ensure,
)
from regions.teaching.defaults import federal_subject_rows
from regions.teaching.models import CurriculumLine, Subject
from regions.teaching.selectors import curriculum_hours
from regions.teaching.services import (
    curriculum_set,
    school_class_configure,
    teaching_assignment_create,
    teaching_assignment_update,
)
from regions.timetable.models import TimetableEntry
from regions.timetable.services import EntryDraft, timetable_entry_create
from tenants.services import RegionError, region_set_timezone
from tests.config_world import build_world
from tests.factories import SchoolFactory, make_teacher, make_year, subject

D = datetime.date


def messages(exc: pytest.ExceptionInfo) -> str:
    return " | ".join(exc.value.messages)


# --- defaults of a new region ------------------------------------------------------------------


def test_a_region_starts_with_subjects_scales_forms_and_bells(region_a, region_b):
    for region in (region_a, region_b):
        with tenant_context(region):
            codes = set(Subject.objects.values_list("code", flat=True))
            assert {r.code for r in federal_subject_rows()} <= codes
            assert Subject.objects.get(code="obzr").name == "Основы безопасности и защиты Родины"
            scales = {s.code: s for s in GradingScale.objects.filter(school__isnull=True)}
            assert set(scales) == {"five_point", "hundred_point", "pass_fail"}
            assert scales["hundred_point"].to_five("85") == 5 and scales["hundred_point"].to_five("69") == 3
            assert scales["hundred_point"].to_five("49") == 2
            assert scales["pass_fail"].valid_values() == ["зч", "нз"]
            weights = dict(ControlForm.objects.filter(school__isnull=True).values_list("name", "weight"))
            assert weights["Контрольная работа"] == 3 and weights["Ответ на уроке"] == 1
            assert set(BellSchedule.objects.filter(school__isnull=True).values_list("shift", flat=True)) == {
                1,
                2,
            }
            assert not AcademicYear.objects.exists()  # the year is created by the regional admin


def test_defaults_are_idempotent_and_never_overwrite_a_change(region_a):
    with tenant_context(region_a):
        form = ControlForm.objects.get(school__isnull=True, code="test")
        control_form_update(form=form, weight=4)
        ControlForm.objects.filter(school__isnull=True, code="oral").delete()
        counts = region_defaults_ensure(actor="test")
        assert counts == {"grading_scales": 0, "control_forms": 1, "bell_schedules": 0, "subjects": 0}
        assert ControlForm.objects.get(school__isnull=True, code="test").weight == 4
        assert region_defaults_ensure()["control_forms"] == 0


# --- calendar --------------------------------------------------------------------------------------


def year_kwargs(start=2031, kind="quarter", **changes):
    draft = propose_year(start, kind)
    kwargs = {
        "name": draft.name,
        "starts_on": draft.starts_on,
        "ends_on": draft.ends_on,
        "period_kind": draft.period_kind,
        "periods": draft.periods,
        "holidays": draft.holidays,
    }
    kwargs.update(changes)
    return kwargs


@pytest.mark.parametrize("kind,count", [("quarter", 4), ("trimester", 3), ("semester", 2)])
def test_the_generator_proposes_a_valid_year(region_a, kind, count):
    with tenant_context(region_a):
        year = academic_year_create(**year_kwargs(kind=kind))
        assert year.periods.count() == count
        assert year.holidays.filter(name="Зимние каникулы").exists()
        assert AuditEvent.objects.filter(action="academic_year_create", entity_id=str(year.pk)).exists()


def test_calendar_errors_are_named_and_nothing_is_half_saved(region_a):
    with tenant_context(region_a):
        draft = propose_year(2031)
        p = draft.periods
        overlapping = [p[0], replace(p[1], starts_on=p[0].ends_on), p[2], p[3]]
        with pytest.raises(ValidationError) as exc:
            academic_year_create(**year_kwargs(periods=overlapping))
        assert (
            "Периоды «1 четверть» (01.09.2031–26.10.2031) и «2 четверть» (26.10.2031–30.12.2031) пересекаются"
            in messages(exc)
        )
        outside = [*p[:3], replace(p[3], ends_on=D(2032, 9, 15))]
        with pytest.raises(ValidationError) as exc:
            academic_year_create(**year_kwargs(periods=outside))
        assert (
            "Период «4 четверть» (05.04.2032–15.09.2032) выходит за границы учебного года 01.09.2031–31.08.2032"
            in messages(exc)
        )
        holiday = HolidayDraft("Каникулы в августе", "vacation", D(2031, 8, 20), D(2031, 8, 31))
        with pytest.raises(ValidationError) as exc:
            academic_year_create(**year_kwargs(holidays=[*draft.holidays, holiday]))
        assert (
            "Каникулы «Каникулы в августе» (20.08.2031–31.08.2031) вне учебного года 01.09.2031–31.08.2032"
            in messages(exc)
        )
        with pytest.raises(ValidationError) as exc:
            academic_year_create(**year_kwargs(periods=p[:3]))
        assert "нужно периодов: 4, указано: 3" in messages(exc)
        with pytest.raises(ValidationError) as exc:
            academic_year_create(**year_kwargs(name="2031-2032"))
        assert "должно быть вида 2026/2027" in messages(exc)
        assert not AcademicYear.objects.exists() and not StudyPeriod.objects.exists()


def test_a_year_is_edited_in_place_and_the_database_refuses_overlaps_too(region_a):
    with tenant_context(region_a):
        year = academic_year_create(**year_kwargs())
        ids = list(year.periods.order_by("number").values_list("pk", flat=True))
        draft = propose_year(2031)
        shifted = [
            replace(period, starts_on=period.starts_on + datetime.timedelta(days=1))
            for period in draft.periods
        ]
        academic_year_update(
            year=year,
            starts_on=year.starts_on,
            ends_on=year.ends_on,
            period_kind="quarter",
            periods=shifted,
            holidays=[],
        )
        assert (
            list(year.periods.order_by("number").values_list("pk", flat=True)) == ids
        )  # lessons keep their period
        assert year.holidays.count() == 0
        # the exclusion constraint backs the service (e.g. a concurrent writer)
        with pytest.raises(IntegrityError), transaction.atomic():
            StudyPeriod.objects.filter(pk=ids[1]).update(starts_on=D(2031, 10, 1))
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS period_no_overlap IMMEDIATE")


# --- scales, forms, bells -------------------------------------------------------------------------


def test_grading_scale_rules(region_a):
    with tenant_context(region_a):
        school = SchoolFactory.create()
        with pytest.raises(ValidationError) as exc:
            grading_scale_create(
                school=school,
                code="ten",
                name="Десятибалльная",
                kind="hundred_point",
                min_value=0,
                max_value=10,
                conversion=[[5, 5], [7, 4]],
            )
        assert "Пороги должны убывать: 7 после 5" in messages(exc)
        with pytest.raises(ValidationError) as exc:
            grading_scale_create(
                school=None, code="five_point", name="x", kind="five_point", min_value=1, max_value=5
            )
        assert "Шкала с кодом «five_point» уже есть (регион)" in messages(exc)
        own = grading_scale_create(
            school=school,
            code="five_point",
            name="Пятибалльная (2–5)",
            kind="five_point",
            min_value=2,
            max_value=5,
            is_default=True,
        )
        settings = school_settings(school_id=school.pk)
        assert settings.default_scale == own and own.valid_values() == ["2", "3", "4", "5"]
        assert {s.code for s in settings.grading_scales} == {"five_point", "hundred_point", "pass_fail"}


def test_control_form_weight_must_be_1_to_10(region_a):
    with tenant_context(region_a):
        with pytest.raises(ValidationError) as exc:
            control_form_create(school=None, code="project", name="Проект", weight=11)
        assert "Вес формы контроля «Проект» должен быть от 1 до 10, указано 11" in messages(exc)


def test_bells_must_not_overlap_and_used_lessons_cannot_be_removed(region_a):
    with tenant_context(region_a):
        t = datetime.time
        with pytest.raises(ValidationError) as exc:
            bell_schedule_create(
                school=None,
                name="Сокращённые",
                shift=1,
                bells=[(1, t(8, 0), t(8, 30)), (2, t(8, 25), t(9, 0))],
            )
        assert "Урок 2 (08:25–09:00) пересекается с уроком 1 (08:00–08:30)" in messages(exc)
        w = build_world()
        timetable_entry_create(
            school=w.school,
            academic_year=w.year,
            draft=EntryDraft(
                weekday=1,
                lesson_number=8,
                subject_id=w.math.pk,
                teacher_id=w.ivanova.pk,
                school_class_id=w.c5a.pk,
            ),
        )
        schedule = BellSchedule.objects.get(school__isnull=True, shift=1)
        bells = [(b.lesson_number, b.starts_at, b.ends_at) for b in schedule.bells.all()]
        with pytest.raises(ValidationError) as exc:
            bell_schedule_update(schedule=schedule, name=schedule.name, bells=bells[:7])
        assert "Уроки 8 нельзя убрать: они стоят в расписании (5А, понедельник, 8 урок)" in messages(exc)
        # a school's own bells of shift 1 take over its timetable; a lesson outside them is refused
        with pytest.raises(ValidationError) as exc:
            bell_schedule_create(school=w.school, name="Наши звонки", shift=1, bells=bells[:6])
        assert "нет уроков, которые уже стоят в расписании: 5А, понедельник, 8 урок" in messages(exc)
        own = bell_schedule_create(school=w.school, name="Наши звонки", shift=1, bells=bells)
        assert TimetableEntry.objects.get(school=w.school).bell_schedule == own
        assert school_settings(school_id=w.school.pk).schedule_for_shift(1) == own


def test_effective_settings_in_a_constant_number_of_queries(region_a, assert_queries):
    with tenant_context(region_a):
        make_year(2031)
        school = SchoolFactory.create()
        for i in range(3):
            control_form_create(school=school, code=f"own{i}", name=f"Своя форма {i}", weight=2)
        make_year(2032, school=school)
        with assert_queries(7):
            settings = school_settings(school_id=school.pk)
            [p.name for y in settings.years for p in y.periods.all()]
            [b.starts_at for s in settings.bell_schedules for b in s.bells.all()]
        assert {y.name for y in settings.years} == {"2031/2032", "2032/2033"}
        assert settings.own == {"calendar": True, "grading": False, "control_forms": True, "bells": False}
        with assert_queries(1):
            assert schools_own_settings([school.pk]) == {school.pk: {"calendar", "control_forms"}}


# --- curriculum and load ----------------------------------------------------------------------


def test_curriculum_and_teacher_load_rules(region_a):
    with tenant_context(region_a):
        w = build_world()
        with pytest.raises(ValidationError) as exc:
            curriculum_set(school=None, academic_year=w.year, parallel=5, hours={w.math.pk: 0.3})
        assert "5 параллель, «Математика»: 0,3 ч — нужно от 0 до 40 с шагом 0,5" in messages(exc)
        too_much = {
            s.pk: 3
            for s in Subject.objects.filter(
                code__in=["rus", "lit", "eng", "math", "history", "geo", "bio", "art", "music", "tech", "pe"]
            )
        }
        with pytest.raises(ValidationError) as exc:
            curriculum_set(school=None, academic_year=w.year, parallel=5, hours=too_much)
        assert "Учебный план 5 параллели: 33 ч в неделю больше допустимой нагрузки 29 ч" in messages(exc)
        # lowering the hours below the load already given is refused, naming the class
        with pytest.raises(ValidationError) as exc:
            curriculum_set(
                school=w.school,
                academic_year=w.year,
                parallel=5,
                hours={w.math.pk: 4, w.rus.pk: 5, w.eng.pk: 3},
            )
        assert (
            "Нагрузка по предмету «Математика» в 5А: назначено 5 ч, а по новому учебному плану 4 ч"
            in messages(exc)
        )
        # over the curriculum
        helper = make_teacher(w.school, "Козлова", "Ирина", "Павловна")
        with pytest.raises(ValidationError) as exc:
            teaching_assignment_create(
                school=w.school,
                teacher=helper,
                subject=w.math,
                school_class=w.c5a,
                hours_per_week=1,
                academic_year=w.year,
            )
        assert (
            "Нагрузка по предмету «Математика» в 5А: запланировано 6 ч, по учебному плану 5 ч в неделю"
            in messages(exc)
        )
        with pytest.raises(ValidationError) as exc:
            teaching_assignment_create(
                school=w.school,
                teacher=helper,
                subject=subject("chem"),
                school_class=w.c5a,
                academic_year=w.year,
            )
        assert "Предмета «Химия» нет в учебном плане 5 параллели на 2030/2031" in messages(exc)
        outsider = make_teacher(w.other_school, "Орлова", "Нина", "Юрьевна")
        with pytest.raises(ValidationError) as exc:
            teaching_assignment_create(
                school=w.school, teacher=outsider, subject=w.pe, school_class=w.c5a, academic_year=w.year
            )
        assert "Орлова Н. Ю. не работает учителем в этой школе (по данным реестра)" in messages(exc)
        # without hours: what the curriculum leaves
        pe = teaching_assignment_create(
            school=w.school, teacher=helper, subject=w.pe, school_class=w.c5a, academic_year=w.year
        )
        assert pe.hours_per_week == Decimal(2)
        # a school's own plan for a parallel overrides the region's
        curriculum_set(school=w.school, academic_year=w.year, parallel=6, hours={w.math.pk: 6})
        hours = curriculum_hours(school_id=w.school.pk, year=w.year)
        assert hours[(6, w.math.pk)] == 6 and (6, w.rus.pk) not in hours and hours[(5, w.rus.pk)] == 5


def test_load_changes_hands_with_its_timetable(region_a):
    with tenant_context(region_a):
        w = build_world()
        timetable_entry_create(
            school=w.school,
            academic_year=w.year,
            draft=EntryDraft(
                weekday=1,
                lesson_number=1,
                subject_id=w.math.pk,
                teacher_id=w.ivanova.pk,
                school_class_id=w.c5a.pk,
            ),
        )
        timetable_entry_create(
            school=w.school,
            academic_year=w.year,
            draft=EntryDraft(
                weekday=1,
                lesson_number=1,
                subject_id=w.rus.pk,
                teacher_id=w.sidorov.pk,
                school_class_id=w.c5b.pk,
            ),
        )
        # Sidorov is busy at that time: handing him 5А's math is refused with the clash
        with pytest.raises(ValidationError) as exc:
            teaching_assignment_update(assignment=w.a_math_5a, teacher=w.sidorov, academic_year=w.year)
        assert "Учитель Сидоров П. И. уже ведёт урок в 5Б в понедельник, 1 урок" in messages(exc)
        teaching_assignment_update(assignment=w.a_math_5a, teacher=w.smirnova, academic_year=w.year)
        assert TimetableEntry.objects.get(school_class=w.c5a).teacher == w.smirnova


def test_class_configuration_and_a_shift_change_that_takes_the_week_along(region_a):
    with tenant_context(region_a):
        w = build_world()
        school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=1, actor="test")
        w.c5a.refresh_from_db()
        assert w.c5a.class_teacher == w.ivanova
        with pytest.raises(ValidationError) as exc:
            school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=3)
        assert "Для 3 смены нет расписания звонков" in messages(exc)
        outsider = make_teacher(w.other_school, "Орлова", "Нина", "Юрьевна")
        with pytest.raises(ValidationError) as exc:
            school_class_configure(school_class=w.c5a, class_teacher=outsider, shift=1)
        assert "Орлова Н. Ю. не работает учителем в этой школе" in messages(exc)

        def put(cls, teacher, subj, day, n):
            timetable_entry_create(
                school=w.school,
                academic_year=w.year,
                draft=EntryDraft(
                    weekday=day,
                    lesson_number=n,
                    subject_id=subj.pk,
                    teacher_id=teacher.pk,
                    school_class_id=cls.pk,
                ),
            )

        put(w.c5a, w.ivanova, w.math, 1, 1)
        put(w.c5a, w.ivanova, w.math, 2, 8)
        put(w.c5b, w.ivanova, w.math, 1, 8)  # 14:45–15:30 in the first shift
        # the 2nd shift has 7 lessons: lesson 8 of 5А has nowhere to go
        with pytest.raises(ValidationError) as exc:
            school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=2)
        assert "5А, вторник, 8 урок: урок 8 вне расписания звонков «2 смена» (уроки 1–7)" in messages(exc)
        TimetableEntry.objects.filter(school_class=w.c5a, lesson_number=8).delete()
        put(w.c5a, w.ivanova, w.math, 1, 2)
        # 5А's lesson 2 moves to 14:25–15:10 — Ivanova is in 5Б then (lesson 8)
        with pytest.raises(ValidationError) as exc:
            school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=2)
        assert "Учитель Иванова А. П. уже ведёт урок в 5Б в понедельник, 8 урок" in messages(exc)
        TimetableEntry.objects.filter(school_class=w.c5b).delete()
        school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=2)
        second = BellSchedule.objects.get(school__isnull=True, shift=2)
        assert set(
            TimetableEntry.objects.filter(school_class=w.c5a).values_list("bell_schedule", flat=True)
        ) == {second.pk}


def test_a_registry_reimport_never_wipes_configuration(region_a):
    """The import upserts the columns it owns (name, parallel, letter, is_active); the class
    teacher, shift, rooms, groups, load and timetable stay."""
    with tenant_context(region_a):
        w = build_world()
        school_class_configure(school_class=w.c5a, class_teacher=w.ivanova, shift=1)
        with connection.cursor() as cursor:
            cursor.execute(
                """
INSERT INTO schools_schoolclass (school_id, name, parallel, letter, shift, is_active, created_at, updated_at)
VALUES (%s, '5А', 5, 'А', 1, TRUE, now(), now())
ON CONFLICT (school_id, name) DO UPDATE
   SET parallel = EXCLUDED.parallel, letter = EXCLUDED.letter, is_active = EXCLUDED.is_active,
       updated_at = now()
""",
                [w.school.pk],
            )
        w.c5a.refresh_from_db()
        assert w.c5a.class_teacher == w.ivanova
        assert w.g1.members.count() == 2 and w.a_math_5a.__class__.objects.filter(pk=w.a_math_5a.pk).exists()


# --- override, revert, copy ---------------------------------------------------------------------


def test_a_school_takes_its_own_copy_and_goes_back(region_a):
    with tenant_context(region_a):
        w = build_world()
        timetable_entry_create(
            school=w.school,
            academic_year=w.year,
            draft=EntryDraft(
                weekday=1,
                lesson_number=1,
                subject_id=w.math.pk,
                teacher_id=w.ivanova.pk,
                school_class_id=w.c5a.pk,
            ),
        )
        school_settings_override(school=w.school, kinds=["calendar", "bells", "control_forms"], actor="test")
        settings = school_settings(school_id=w.school.pk)
        assert settings.own == {"calendar": True, "grading": False, "control_forms": True, "bells": True}
        own_year = settings.year_named("2030/2031")
        entry = TimetableEntry.objects.get(school=w.school)
        assert own_year is not None and own_year.school_id == w.school.pk and entry.academic_year == own_year
        assert entry.bell_schedule.school_id == w.school.pk
        school_settings_revert(school=w.school, kinds=["calendar", "bells", "control_forms"])
        entry.refresh_from_db()
        assert entry.academic_year == w.year and entry.bell_schedule.school_id is None
        assert school_settings(school_id=w.school.pk).own == dict.fromkeys(
            ("calendar", "grading", "control_forms", "bells"), False
        )


def test_copy_settings_to_many_schools_with_a_preview(region_a):
    with tenant_context(region_a):
        year = make_year(2030)
        source, t1, t2 = (
            SchoolFactory.create(short_name="Школа-образец"),
            SchoolFactory.create(short_name="Школа 1"),
            SchoolFactory.create(short_name="Школа 2"),
        )
        school_settings_override(school=source, kinds=["control_forms", "calendar"])
        control_form_update(form=ControlForm.objects.get(school=source, code="test"), weight=4)
        control_form_create(school=t1, code="quiz", name="Тест", weight=1)
        curriculum_set(
            school=source, academic_year=year, parallel=5, hours={subject("math").pk: 6, subject("rus").pk: 5}
        )
        before = AuditEvent.objects.count()
        preview = settings_copy_preview(
            source=source, targets=[t1, t2], kinds=["control_forms", "curriculum", "calendar"]
        )
        assert AuditEvent.objects.count() == before and not ControlForm.objects.filter(school=t2).exists()
        by_school = {p.school.short_name: p for p in preview}
        t1_changes = {(c.kind, c.action, c.key): c.detail for c in by_school["Школа 1"].changes}
        assert t1_changes[("control_forms", "remove", "quiz")] == "Тест, вес 1"
        # told against what the school used so far — the region's value — not against nothing
        assert t1_changes[("control_forms", "override", "test")] == "Контрольная работа: вес 3 → 4"
        assert ("curriculum", "create", "2030/2031, 5 параллель") in t1_changes
        assert t1_changes[("calendar", "override", "2030/2031")] == "как в регионе"
        assert not by_school["Школа 1"].errors
        school_settings_copy(
            source=source, targets=[t1, t2], kinds=["control_forms", "curriculum", "calendar"], actor="test"
        )
        for target in (t1, t2):
            assert ControlForm.objects.get(school=target, code="test").weight == 4
            assert not ControlForm.objects.filter(school=target, code="quiz").exists()
            own_year = AcademicYear.objects.get(school=target, name="2030/2031")
            assert (
                CurriculumLine.objects.get(school=target, parallel=5, subject=subject("math")).academic_year
                == own_year
            )
        # copying again changes nothing
        assert all(
            not p.changes
            for p in settings_copy_preview(
                source=source, targets=[t1, t2], kinds=["control_forms", "curriculum", "calendar"]
            )
        )
        assert AuditEvent.objects.filter(action="settings_copy", entity_id=str(source.pk)).exists()


def test_copy_is_all_or_nothing(region_a):
    with tenant_context(region_a):
        w = build_world()
        source = SchoolFactory.create(short_name="Образец")
        # the source's plan for 5th grade has less math than w.school's load: w.school refuses
        curriculum_set(
            school=source, academic_year=w.year, parallel=5, hours={w.math.pk: 3, w.rus.pk: 5, w.eng.pk: 3}
        )
        fine = SchoolFactory.create(short_name="Другая")
        preview = {
            p.school.short_name: p
            for p in settings_copy_preview(source=source, targets=[fine, w.school], kinds=["curriculum"])
        }
        assert (
            "Нагрузка по предмету «Математика» в 5А: назначено 5 ч, а по новому учебному плану 3 ч"
            in " ".join(preview["МБОУ СОШ №1"].errors)
        )
        assert not preview["Другая"].errors
        with pytest.raises(ValidationError) as exc:
            school_settings_copy(source=source, targets=[fine, w.school], kinds=["curriculum"])
        assert messages(exc).startswith("МБОУ СОШ №1: Нагрузка по предмету «Математика»")
        assert not CurriculumLine.objects.filter(school=fine).exists()


# --- the region's time zone ---------------------------------------------------------------------


def test_region_time_zone(region_a, region_b):
    with tenant_context(region_a):
        region_set_timezone(region=region_a, timezone_name="Asia/Yekaterinburg", actor="rca")
        region_a.refresh_from_db()
        assert region_a.timezone == "Asia/Yekaterinburg"
        assert AuditEvent.objects.filter(action="region_set_timezone").exists()
        with pytest.raises(RegionError, match="Неизвестный часовой пояс «Mars/Olympus»"):
            region_set_timezone(region=region_a, timezone_name="Mars/Olympus")
        with pytest.raises(RegionError, match="только для своего региона"):
            region_set_timezone(region=region_b, timezone_name="Europe/Moscow")
    with tenant_context(region_b):
        assert not AuditEvent.objects.filter(action="region_set_timezone").exists()


def test_configuration_of_one_region_is_invisible_in_the_other(region_a, region_b):
    with tenant_context(region_a):
        build_world()
        control_form_create(school=None, code="only_a", name="Только в А", weight=2)
    with tenant_context(region_b):
        assert not AcademicYear.objects.exists()
        assert not ControlForm.objects.filter(code="only_a").exists()
        assert not TimetableEntry.objects.exists() and not CurriculumLine.objects.exists()
