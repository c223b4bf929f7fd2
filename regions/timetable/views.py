"""Pages of the timetable: the weekly grid editor of a class (with fill from load, copy a
week, conflict check, generation of dated lessons), the week of a teacher and of a room, and
the lessons of a date with their changes (substitution, cancellation, move, remote)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from regions.academics.models import AcademicYear, StudyPeriod
from regions.academics.selectors import school_settings
from regions.config_pages import (
    config_admin_required,
    id_or_zero,
    parse_date,
    parse_int,
    parse_optional_id,
    school_or_403,
    show_errors,
)
from regions.people.models import Person
from regions.schools.models import School, SchoolClass
from regions.teaching.models import GroupKind, Room, TeachingAssignment
from regions.teaching.selectors import class_list, room_list, school_teachers
from regions.timetable import services
from regions.timetable.autofill import timetable_autofill
from regions.timetable.conflicts import WEEKDAYS, WEEKDAYS_SHORT, short_person_name, weekday_in_sentence
from regions.timetable.models import Lesson, LessonStatus, WeekParity
from regions.timetable.selectors import lesson_list, timetable_entries, week_grid


def _year(request: HttpRequest, school: School) -> tuple[AcademicYear | None, list[AcademicYear]]:
    settings = school_settings(school_id=school.pk)
    chosen = parse_optional_id(request.GET.get("year") or request.POST.get("year"))
    year = next((y for y in settings.years if y.pk == chosen), None) or settings.year_on(timezone.localdate())
    return year, settings.years


def _label(a: TeachingAssignment) -> str:
    who = short_person_name(a.teacher.surname, a.teacher.name, a.teacher.patronymic)
    subject = a.subject.short_name or a.subject.name
    group = f" ({a.group.name.split(', ')[-1]})" if a.group else ""
    return f"{subject}{group} · {who}"


def _times(
    school: School, school_class: SchoolClass | None
) -> dict[int, tuple[datetime.time, datetime.time]]:
    settings = school_settings(school_id=school.pk)
    schedule = settings.schedule_for_shift(school_class.shift if school_class else 1)
    return {b.lesson_number: (b.starts_at, b.ends_at) for b in schedule.bells.all()} if schedule else {}


@config_admin_required
def timetable_page(request: HttpRequest, school_id: int) -> HttpResponse:
    """The grid of one class: weekdays × lesson numbers; each cell one lesson or the class's
    subgroups side by side. The whole week is saved at once, all or nothing."""
    school = school_or_403(request, school_id)
    year, years = _year(request, school)
    classes = list(class_list(school_id=school.pk))
    if year is None or not classes:
        return render(request, "timetable/empty.html", {"school": school, "tab": "timetable", "year": year})
    chosen = parse_optional_id(request.GET.get("class") or request.POST.get("class"))
    found = next((c for c in classes if c.pk == chosen), None)
    if found is None and chosen:
        # a class the registry closed: it opens only to clear the lessons it still holds
        found = SchoolClass.objects.filter(school=school, pk=chosen, is_active=False).first()
        if found is not None:
            classes.append(found)
    school_class = found or classes[0]
    loads = list(
        TeachingAssignment.objects.filter(school=school, is_active=True)
        .filter(
            Q(school_class=school_class) | Q(group__school_class=school_class, group__kind=GroupKind.SUBGROUP)
        )
        .select_related("teacher", "subject", "group")
        .order_by("subject__position", "group__name")
    )
    options = [(a.pk, _label(a)) for a in loads]
    by_key = {(a.teacher_id, a.subject_id, a.school_class_id, a.group_id): a for a in loads}
    rooms = list(room_list(school_id=school.pk))
    times = _times(school, school_class)
    # every bell of the shift: a lesson the grid does not show would be dropped on saving
    numbers = sorted(times)
    days = 6 if request.GET.get("days") == "6" or request.POST.get("days") == "6" else 5
    groups_per_subject: dict[int, int] = defaultdict(int)
    for a in loads:
        if a.group_id:
            groups_per_subject[a.subject_id] += 1
    slots_per_cell = max([1, *groups_per_subject.values()])
    errors: list[str] = []
    posted: dict[tuple[int, int, int], tuple[str, str, str]] = {}
    if request.method == "POST" and request.POST.get("action") == "save":
        drafts = []
        for day in range(1, days + 1):
            for number in numbers:
                for slot in range(slots_per_cell):
                    key = f"c-{day}-{number}-{slot}"
                    load_id = parse_optional_id(request.POST.get(f"{key}-load"))
                    room_id = parse_optional_id(request.POST.get(f"{key}-room"))
                    parity = request.POST.get(f"{key}-parity") or WeekParity.EVERY
                    posted[(day, number, slot)] = (str(load_id or ""), str(room_id or ""), parity)
                    if load_id is None:
                        continue
                    chosen_load = next((x for x in loads if x.pk == load_id), None)
                    if chosen_load is None:
                        errors.append(
                            _("%(weekday)s, %(number)s урок: эта нагрузка не относится к %(name)s")
                            % {"weekday": WEEKDAYS[day], "number": number, "name": school_class.name}
                        )
                        continue
                    drafts.append(
                        services.EntryDraft(
                            weekday=day,
                            lesson_number=number,
                            subject_id=chosen_load.subject_id,
                            teacher_id=chosen_load.teacher_id,
                            school_class_id=chosen_load.school_class_id,
                            group_id=chosen_load.group_id,
                            room_id=room_id,
                            parity=parity if parity in WeekParity.values else WeekParity.EVERY,
                        )
                    )
        if not errors:
            try:
                services.timetable_class_week_save(
                    school_class=school_class, academic_year=year, drafts=drafts, actor=request.user
                )
                messages.success(request, _("Расписание %(name)s сохранено") % {"name": school_class.name})
                return redirect(
                    f"{reverse('school-timetable', args=[school.pk])}?class={school_class.pk}&year={year.pk}&days={days}"
                )
            except ValidationError as exc:
                errors = list(exc.messages)
    entries = services.class_week_entries(
        school_class=school_class, year=services.effective_year_for(school, year)
    )
    cell_entries: dict[tuple[int, int], list] = defaultdict(list)
    for e in entries:
        cell_entries[(e.weekday, e.lesson_number)].append(e)
        if e.weekday > days:
            days = 6
    bad_cells = set()
    group_names = [a.group.name for a in loads if a.group]
    for message in errors:
        for day in range(1, days + 1):
            for number in numbers:
                prefix = _("%(weekday)s, %(number)s урок") % {
                    "weekday": weekday_in_sentence(day),
                    "number": number,
                }
                if any(message.startswith(f"{t}, {prefix}") for t in [school_class.name, *group_names]):
                    bad_cells.add((day, number))
    grid_rows = []
    for number in numbers:
        cells = []
        for day in range(1, days + 1):
            current = cell_entries.get((day, number), [])
            slots = []
            for slot in range(slots_per_cell):
                shown: tuple[str, str, str] = ("", "", WeekParity.EVERY)
                if posted:
                    shown = posted.get((day, number, slot), shown)
                elif slot < len(current):
                    e = current[slot]
                    placed = by_key.get((e.teacher_id, e.subject_id, e.school_class_id, e.group_id))
                    shown = (str(placed.pk) if placed else ""), str(e.room_id or ""), e.parity
                slots.append(
                    {
                        "name": f"c-{day}-{number}-{slot}",
                        "load": shown[0],
                        "room": shown[1],
                        "parity": shown[2],
                    }
                )
            cells.append(
                {"day": day, "day_name": WEEKDAYS[day], "slots": slots, "bad": (day, number) in bad_cells}
            )
        grid_rows.append({"number": number, "time": times.get(number), "cells": cells})
    hours: dict[int, float] = defaultdict(float)
    for e in entries:
        placed = by_key.get((e.teacher_id, e.subject_id, e.school_class_id, e.group_id))
        if placed:
            hours[placed.pk] += 1 if e.parity == WeekParity.EVERY else 0.5
    load_rows = [(a, _label(a), hours.get(a.pk, 0), float(a.hours_per_week)) for a in loads]
    periods = list(
        StudyPeriod.objects.filter(academic_year=services.effective_year_for(school, year)).order_by("number")
    )
    return render(
        request,
        "timetable/grid.html",
        {
            "school": school,
            "tab": "timetable",
            "year": year,
            "years": years,
            "classes": classes,
            "school_class": school_class,
            "options": [(str(pk), label) for pk, label in options],
            "rooms": rooms,
            "grid_rows": grid_rows,
            "days": [(d, WEEKDAYS[d], WEEKDAYS_SHORT[d]) for d in range(1, days + 1)],
            "days_count": days,
            "errors": errors,
            "load_rows": load_rows,
            "periods": periods,
            "parities": [
                (WeekParity.EVERY, _("каждую")),
                (WeekParity.ODD, _("нечёт.")),
                (WeekParity.EVEN, _("чёт.")),
            ],
        },
    )


@config_admin_required
def timetable_action(request: HttpRequest, school_id: int) -> HttpResponse:
    """Fill from load, copy a week, generate dated lessons."""
    school = school_or_403(request, school_id)
    if request.method != "POST":
        raise Http404
    year, _years = _year(request, school)
    class_id = id_or_zero(request.POST.get("class"))
    back = f"{reverse('school-timetable', args=[school.pk])}?class={class_id or ''}&year={year.pk if year else ''}"
    if year is None:
        messages.error(request, _("Нет учебного года"))
        return redirect(back)
    action = request.POST.get("action")
    try:
        if action == "autofill":
            classes = None
            if request.POST.get("scope") == "class":
                classes = list(SchoolClass.objects.filter(school=school, pk=class_id))
            result = timetable_autofill(
                school=school,
                academic_year=year,
                classes=classes,
                replace=request.POST.get("replace") == "on",
                actor=request.user,
            )
            messages.success(
                request,
                _("Поставлено уроков: %(placed)s; без кабинета: %(without_room)s")
                % {"placed": result.placed, "without_room": result.without_room},
            )
            for message in result.unplaced:
                messages.error(request, message)
        elif action == "copy":
            source = SchoolClass.objects.filter(school=school, pk=class_id).first()
            target = SchoolClass.objects.filter(
                school=school, pk=id_or_zero(request.POST.get("target"))
            ).first()
            if source is None or target is None:
                raise ValidationError(_("Выберите класс, в который копировать"))
            services.timetable_copy_week(source=source, target=target, academic_year=year, actor=request.user)
            messages.success(
                request,
                _("Неделя %(name)s скопирована в %(target_name)s")
                % {"name": source.name, "target_name": target.name},
            )
            back = f"{reverse('school-timetable', args=[school.pk])}?class={target.pk}&year={year.pk}"
        elif action == "generate":
            period = StudyPeriod.objects.filter(pk=id_or_zero(request.POST.get("period"))).first()
            if period is None:
                raise ValidationError(_("Выберите период"))
            report = services.lessons_generate(school=school, period=period, actor=request.user)
            messages.success(
                request,
                _(
                    "Уроки на %(name)s: создано %(created)s, обновлено %(updated)s, удалено %(removed)s, оставлено с записями журнала %(kept_with_content)s"
                )
                % {
                    "name": period.name,
                    "created": report.created,
                    "updated": report.updated,
                    "removed": report.removed,
                    "kept_with_content": report.kept_with_content,
                },
            )
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect(back)


@config_admin_required
def conflicts_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    year, _years = _year(request, school)
    clashes = services.school_timetable_check(school=school, academic_year=year) if year else []
    return render(
        request,
        "timetable/conflicts.html",
        {"school": school, "tab": "timetable", "year": year, "clashes": clashes},
    )


def _read_only_week(request: HttpRequest, school: School, title: str, **filters: Any) -> HttpResponse:
    year, _years = _year(request, school)
    if year is None:
        return render(request, "timetable/empty.html", {"school": school, "tab": "timetable", "year": None})
    entries = list(timetable_entries(school_id=school.pk, year=year, **filters))
    times = _times(school, None)
    grid = week_grid(entries, numbers=[n for n in sorted(times) if n >= 1], times=times)
    return render(
        request,
        "timetable/week.html",
        {
            "school": school,
            "tab": "timetable",
            "title": title,
            "year": year,
            "grid": grid,
            "rows": grid.rows(),
            "days": [(d, WEEKDAYS[d]) for d in grid.days],
        },
    )


@config_admin_required
def teacher_week_page(request: HttpRequest, school_id: int, person_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    person = Person.objects.filter(pk=person_id, memberships__school=school).first()
    if person is None:
        raise Http404(_("Учитель не найден"))
    name = short_person_name(person.surname, person.name, person.patronymic)
    return _read_only_week(request, school, _("Учитель %(name)s") % {"name": name}, teacher=person.pk)


@config_admin_required
def room_week_page(request: HttpRequest, school_id: int, room_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    room = Room.objects.filter(pk=room_id, school=school).first()
    if room is None:
        raise Http404(_("Кабинет не найден"))
    return _read_only_week(request, school, _("Кабинет «%(name)s»") % {"name": room.name}, room=room.pk)


# --- lessons of a date ------------------------------------------------------------------------------------


@config_admin_required
def lessons_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    try:
        day = (
            parse_date(request.GET.get("date") or request.POST.get("date"), _("Дата"))
            if (request.GET.get("date") or request.POST.get("date"))
            else timezone.localdate()
        )
    except ValidationError:
        day = timezone.localdate()
    class_id = parse_optional_id(request.GET.get("class") or request.POST.get("class"))
    teacher_id = parse_optional_id(request.GET.get("teacher") or request.POST.get("teacher"))
    if request.method == "POST":
        # back to the same day and filters
        back = (
            f"{reverse('school-lessons', args=[school.pk])}?date={day:%Y-%m-%d}"
            f"&class={class_id or ''}&teacher={teacher_id or ''}"
        )
        lesson = (
            lesson_list(school_id=school.pk, date_from=day, date_to=day)
            .filter(pk=id_or_zero(request.POST.get("lesson")))
            .first()
        )
        action = request.POST.get("action")
        try:
            if lesson is None:
                raise ValidationError(_("Урок не найден"))
            if action == "substitute":
                person_id = parse_optional_id(request.POST.get("substitute"))
                services.lesson_substitute(
                    lesson=lesson,
                    substitute=Person.objects.filter(pk=person_id).first() if person_id else None,
                    note=request.POST.get("note", ""),
                    actor=request.user,
                )
            elif action == "cancel":
                services.lesson_cancel(
                    lesson=lesson, reason=request.POST.get("reason", ""), actor=request.user
                )
            elif action == "restore":
                services.lesson_restore(lesson=lesson, actor=request.user)
            elif action == "move":
                moved = services.lesson_move(
                    lesson=lesson,
                    date=parse_date(request.POST.get("new_date"), _("Новая дата")),
                    lesson_number=parse_int(request.POST.get("new_number"), _("Урок"), high=20),
                    note=request.POST.get("note", ""),
                    actor=request.user,
                )
                # it leaves this day's list: say where it went
                messages.success(
                    request,
                    _("Урок перенесён на %(date)s, %(lesson_number)s урок")
                    % {"date": f"{moved.date:%d.%m.%Y}", "lesson_number": moved.lesson_number},
                )
                return redirect(back)
            elif action == "remote":
                services.lesson_set_remote(
                    lesson=lesson,
                    is_remote=request.POST.get("is_remote") == "on",
                    video_url=request.POST.get("video_url", ""),
                    actor=request.user,
                )
            messages.success(request, _("Изменение сохранено"))
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect(back)
    lessons = list(
        lesson_list(
            school_id=school.pk, date_from=day, date_to=day, school_class_id=class_id, teacher_id=teacher_id
        )
    )
    teachers = [
        (t.pk, short_person_name(t.surname, t.name, t.patronymic))
        for t in school_teachers(school_id=school.pk)
    ]
    # who already teaches when (in any school of the region, as the substitution check counts):
    # the substitute list marks them, so a free colleague is found without trial and error
    teacher_ids = [t_pk for t_pk, _name in teachers]
    taught = (
        Lesson.objects.filter(Q(teacher_id__in=teacher_ids) | Q(substitute_id__in=teacher_ids), date=day)
        .exclude(status=LessonStatus.CANCELLED)
        .values_list("pk", "teacher_id", "substitute_id", "starts_at", "ends_at")
    )
    busy_slots = [
        (pk, substitute or teacher, starts, ends) for pk, teacher, substitute, starts, ends in taught
    ]
    rows = []
    for lesson in lessons:
        acting = lesson.substitute or lesson.teacher
        busy = {
            who
            for pk, who, starts, ends in busy_slots
            if pk != lesson.pk and starts < lesson.ends_at and lesson.starts_at < ends
        }
        rows.append(
            (
                lesson,
                short_person_name(lesson.teacher.surname, lesson.teacher.name, lesson.teacher.patronymic),
                short_person_name(acting.surname, acting.name, acting.patronymic),
                [(t_pk, t_short, t_pk in busy) for t_pk, t_short in teachers],
            )
        )
    return render(
        request,
        "timetable/lessons.html",
        {
            "school": school,
            "tab": "lessons",
            "day": day,
            "prev": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "weekday": WEEKDAYS[day.isoweekday()],
            "lessons": rows,
            "classes": list(class_list(school_id=school.pk)),
            "class_id": class_id,
            "teacher_id": teacher_id,
            "teachers": teachers,
            "cancelled": LessonStatus.CANCELLED,
        },
    )
