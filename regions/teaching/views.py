"""Pages of a school's teaching set-up: the list of schools, classes (class teacher, shift)
and groups, rooms, curriculum (region and school), teacher load."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from regions.academics.models import AcademicYear
from regions.academics.selectors import KIND_LABELS, school_settings, schools_own_settings
from regions.config_pages import (
    config_admin_required,
    id_or_zero,
    page_viewer,
    parse_hours,
    parse_int,
    parse_optional_id,
    require_level,
    school_or_403,
    show_errors,
)
from regions.people.models import Person
from regions.schools.models import School, SchoolClass
from regions.teaching import services
from regions.teaching.models import GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.teaching.selectors import (
    assignment_list,
    class_list,
    curriculum_lines,
    group_list,
    group_members_gone,
    hours_text,
    load_summary,
    room_list,
    school_students,
    school_teachers,
    subject_list,
)
from regions.teaching.services import MAX_WEEKLY_HOURS
from regions.timetable.conflicts import short_person_name


@config_admin_required
def school_list_page(request: HttpRequest) -> HttpResponse:
    """Regional admin: every school of the region; school admin: their schools. 3 queries
    per page whatever the number of schools."""
    viewer = page_viewer(request)
    qs = School.objects.filter(is_active=True).order_by("municipality", "short_name", "id")
    if not viewer.is_regional_admin:
        qs = qs.filter(pk__in=viewer.admin_school_ids)
    query = (request.GET.get("q") or "").strip()
    if query:
        qs = qs.filter(Q(short_name__icontains=query) | Q(municipality__icontains=query) | Q(ogrn=query))
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    own = schools_own_settings([s.pk for s in page.object_list])
    rows = [(s, sorted(KIND_LABELS[k] for k in own.get(s.pk, ()))) for s in page.object_list]
    return render(request, "teaching/school_list.html", {"page": page, "rows": rows, "q": query})


# --- classes and groups --------------------------------------------------------------------------------


@config_admin_required
def school_classes_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "configure":
                school_class = SchoolClass.objects.filter(
                    school=school, pk=id_or_zero(request.POST.get("class"))
                ).first()
                if school_class is None:
                    raise ValidationError(_("Нет такого класса в школе"))
                teacher_id = parse_optional_id(request.POST.get("class_teacher"))
                services.school_class_configure(
                    school_class=school_class,
                    class_teacher=Person.objects.filter(pk=teacher_id).first() if teacher_id else None,
                    shift=parse_int(request.POST.get("shift"), _("Смена"), low=1, high=3),
                    actor=request.user,
                )
                messages.success(request, _("%(name)s: сохранено") % {"name": school_class.name})
            elif action == "split":
                school_class = SchoolClass.objects.filter(
                    school=school, pk=id_or_zero(request.POST.get("class"))
                ).first()
                subject = Subject.objects.filter(pk=id_or_zero(request.POST.get("subject"))).first()
                if school_class is None or subject is None:
                    raise ValidationError(_("Выберите класс и предмет"))
                groups = services.subgroups_split(
                    school_class=school_class,
                    subject=subject,
                    count=parse_int(request.POST.get("count"), _("Подгрупп"), low=2, high=4, default=2),
                    actor=request.user,
                )
                messages.success(
                    request, _("Созданы группы: %(groups)s") % {"groups": ", ".join(g.name for g in groups)}
                )
            elif action == "cross":
                subject = Subject.objects.filter(pk=id_or_zero(request.POST.get("subject"))).first()
                group = services.study_group_create(
                    school=school,
                    name=request.POST.get("name", ""),
                    kind=GroupKind.CROSS_CLASS,
                    subject=subject,
                    actor=request.user,
                )
                return redirect("school-group", school.pk, group.pk)
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect("school-classes", school.pk)
    teachers = [
        (t.pk, short_person_name(t.surname, t.name, t.patronymic))
        for t in school_teachers(school_id=school.pk)
    ]
    return render(
        request,
        "teaching/classes.html",
        {
            "school": school,
            "tab": "classes",
            "classes": list(class_list(school_id=school.pk)),
            "groups": list(group_list(school_id=school.pk)),
            "teachers": teachers,
            # a class teacher the registry no longer lists is shown as such, not as «—»
            "working": {t_pk for t_pk, _name in teachers},
            "subjects": list(subject_list()),
            "shifts": [s.shift for s in school_settings(school_id=school.pk).bell_schedules],
        },
    )


@config_admin_required
def school_group_page(request: HttpRequest, school_id: int, group_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    group = (
        StudyGroup.objects.filter(school=school, pk=group_id)
        .select_related("school_class", "subject")
        .first()
    )
    if group is None:
        raise Http404(_("Группа не найдена"))
    if request.method == "POST":
        try:
            if request.POST.get("action") == "delete":
                services.study_group_delete(group=group, actor=request.user)
                messages.success(request, _("Группа «%(name)s» удалена") % {"name": group.name})
                return redirect("school-classes", school.pk)
            if request.POST.get("action") == "rename":
                subject = Subject.objects.filter(pk=id_or_zero(request.POST.get("subject"))).first()
                services.study_group_update(
                    group=group,
                    name=request.POST.get("name", ""),
                    subject=subject,
                    is_active=request.POST.get("is_active") == "on",
                    actor=request.user,
                )
            else:
                ids = [int(x) for x in request.POST.getlist("members") if x.isdigit()]
                services.study_group_set_members(
                    group=group, members=Person.objects.filter(pk__in=ids), actor=request.user
                )
            messages.success(request, _("Группа «%(name)s» сохранена") % {"name": group.name})
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect("school-group", school.pk, group.pk)
    students = list(
        school_students(
            school_id=school.pk, class_id=group.school_class_id if group.kind == GroupKind.SUBGROUP else None
        )
    )
    class_of = dict(
        Person.objects.filter(
            pk__in=[s.pk for s in students], memberships__school=school, memberships__role="student"
        ).values_list("pk", "memberships__school_class__name")
    )
    members = set(group.members.values_list("pk", flat=True))
    by_class: dict[str, list] = defaultdict(list)
    for s in students:
        by_class[class_of.get(s.pk) or "—"].append((s, s.pk in members))
    return render(
        request,
        "teaching/group.html",
        {
            "school": school,
            "tab": "classes",
            "group": group,
            "by_class": sorted(by_class.items()),
            "gone": group_members_gone(group=group),
            "subjects": list(subject_list()),
        },
    )


# --- rooms ---------------------------------------------------------------------------------------------------


@config_admin_required
def school_rooms_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    if request.method == "POST":
        try:
            room_id = parse_optional_id(request.POST.get("room"))
            room = Room.objects.filter(school=school, pk=room_id).first() if room_id else None
            if room_id and room is None:
                raise ValidationError(_("Нет такого кабинета"))
            if room is not None and request.POST.get("action") == "delete":
                services.room_delete(room=room, actor=request.user)
                messages.success(request, _("Кабинет «%(name)s» удалён") % {"name": room.name})
            else:
                home_id = parse_optional_id(request.POST.get("home_class"))
                home = SchoolClass.objects.filter(school=school, pk=home_id).first() if home_id else None
                capacity_raw = (request.POST.get("capacity") or "").strip()
                kwargs: dict[str, Any] = {
                    "name": request.POST.get("name", ""),
                    "capacity": parse_int(capacity_raw, _("Мест"), low=1, high=1000)
                    if capacity_raw
                    else None,
                    "home_class": home,
                    "subjects": list(
                        Subject.objects.filter(
                            pk__in=[x for x in request.POST.getlist("subjects") if x.isdigit()]
                        )
                    ),
                }
                if room is None:
                    services.room_create(school=school, actor=request.user, **kwargs)
                else:
                    services.room_update(
                        room=room,
                        is_active=request.POST.get("is_active") == "on",
                        actor=request.user,
                        **kwargs,
                    )
                messages.success(request, _("Кабинет «%(name)s» сохранён") % {"name": kwargs["name"]})
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect("school-rooms", school.pk)
    rooms = [(room, {s.pk for s in room.subjects.all()}) for room in room_list(school_id=school.pk)]
    return render(
        request,
        "teaching/rooms.html",
        {
            "school": school,
            "tab": "rooms",
            "rooms": rooms,
            "classes": list(class_list(school_id=school.pk)),
            "subjects": list(subject_list()),
        },
    )


# --- curriculum ----------------------------------------------------------------------------------------------------


def _curriculum_page(request: HttpRequest, school: School | None) -> HttpResponse:
    settings = school_settings(school_id=school.pk) if school else None
    years = (
        settings.years
        if settings
        else list(AcademicYear.objects.filter(school__isnull=True).order_by("-starts_on"))
    )
    if not years:
        messages.error(request, _("Сначала создайте учебный год"))
        return redirect(
            reverse("school-settings", args=[school.pk]) if school else reverse("region-settings")
        )
    chosen = parse_optional_id(request.GET.get("year") or request.POST.get("year"))
    year = next((y for y in years if y.pk == chosen), None) or (
        settings.year_on(_today()) if settings else years[0]
    )
    assert year is not None  # noqa: S101 - years is not empty
    lines = curriculum_lines(school_id=school.pk if school else None, year=year)
    current: dict[int, dict[int, Decimal]] = defaultdict(dict)
    own_parallels = set()
    for line in lines:
        current[line.parallel][line.subject_id] = line.hours_per_week
        if getattr(line, "is_own", False):
            own_parallels.add(line.parallel)
    if request.method == "POST":
        require_level(request, school.pk if school else None)
        try:
            with transaction.atomic():
                if request.POST.get("action") == "fill":
                    filled = services.curriculum_fill_from_model(
                        school=school, academic_year=year, actor=request.user
                    )
                    messages.success(
                        request,
                        _("Заполнено параллелей по примерному учебному плану: %(filled)s")
                        % {"filled": filled},
                    )
                else:
                    subjects = list(subject_list())
                    reset = {int(p) for p in request.POST.getlist("reset") if p.isdigit()}
                    changed = 0
                    for parallel in range(1, 12):
                        if school and parallel in reset:
                            services.curriculum_reset(
                                school=school, academic_year=year, parallel=parallel, actor=request.user
                            )
                            changed += 1
                            continue
                        hours = {
                            s.pk: parse_hours(
                                request.POST.get(f"h-{parallel}-{s.pk}"),
                                _("%(parallel)s параллель, «%(name)s»")
                                % {"parallel": parallel, "name": s.name},
                            )
                            for s in subjects
                        }
                        wanted = {k: v for k, v in hours.items() if v > 0}
                        if wanted != {k: v for k, v in current.get(parallel, {}).items() if v > 0}:
                            services.curriculum_set(
                                school=school,
                                academic_year=year,
                                parallel=parallel,
                                hours=wanted,
                                actor=request.user,
                            )
                            changed += 1
                    messages.success(
                        request,
                        _("Учебный план сохранён (параллелей изменено: %(changed)s)") % {"changed": changed},
                    )
        except ValidationError as exc:
            show_errors(request, exc)
        target = reverse("school-curriculum", args=[school.pk]) if school else reverse("region-curriculum")
        return redirect(f"{target}?year={year.pk}")
    subjects = list(subject_list())
    totals = {p: sum(current.get(p, {}).values(), Decimal(0)) for p in range(1, 12)}
    rows = [
        (s, [(p, hours_text(current[p][s.pk]) if s.pk in current.get(p, {}) else "") for p in range(1, 12)])
        for s in subjects
    ]
    can_edit = page_viewer(request).is_regional_admin or school is not None
    return render(
        request,
        "teaching/curriculum.html",
        {
            "school": school,
            "tab": "curriculum",
            "years": years,
            "year": year,
            "rows": rows,
            "parallels": list(range(1, 12)),
            "totals": [
                (p, hours_text(totals[p]), MAX_WEEKLY_HOURS[p], totals[p] > MAX_WEEKLY_HOURS[p])
                for p in range(1, 12)
            ],
            "own_parallels": own_parallels,
            "can_edit": can_edit,
        },
    )


def _today():
    from django.utils import timezone

    return timezone.localdate()


@config_admin_required
def region_curriculum_page(request: HttpRequest) -> HttpResponse:
    return _curriculum_page(request, None)


@config_admin_required
def school_curriculum_page(request: HttpRequest, school_id: int) -> HttpResponse:
    return _curriculum_page(request, school_or_403(request, school_id))


# --- teacher load ---------------------------------------------------------------------------------------------------


@config_admin_required
def school_load_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    settings = school_settings(school_id=school.pk)
    year = settings.year_on(_today())
    classes = list(class_list(school_id=school.pk))
    chosen = parse_optional_id(request.GET.get("class") or request.POST.get("class"))
    current_class = next((c for c in classes if c.pk == chosen), classes[0] if classes else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("update", "delete"):
                assignment = TeachingAssignment.objects.filter(
                    school=school, pk=id_or_zero(request.POST.get("assignment"))
                ).first()
                if assignment is None:
                    raise ValidationError(_("Нет такой нагрузки"))
                if action == "delete":
                    services.teaching_assignment_delete(assignment=assignment, actor=request.user)
                else:
                    teacher = Person.objects.filter(pk=id_or_zero(request.POST.get("teacher"))).first()
                    room_id = parse_optional_id(request.POST.get("room"))
                    services.teaching_assignment_update(
                        assignment=assignment,
                        teacher=teacher,
                        hours_per_week=parse_hours(request.POST.get("hours"), _("Часы")) or None,
                        room=Room.objects.filter(school=school, pk=room_id).first() if room_id else None,
                        academic_year=year,
                        actor=request.user,
                    )
            else:
                teacher = Person.objects.filter(pk=id_or_zero(request.POST.get("teacher"))).first()
                subject = Subject.objects.filter(pk=id_or_zero(request.POST.get("subject"))).first()
                if teacher is None or subject is None:
                    raise ValidationError(_("Выберите учителя и предмет"))
                target = request.POST.get("target", "")
                group = None
                school_class = None
                if target.startswith("g"):
                    group = StudyGroup.objects.filter(school=school, pk=id_or_zero(target[1:])).first()
                else:
                    school_class = SchoolClass.objects.filter(school=school, pk=id_or_zero(target)).first()
                raw_hours = (request.POST.get("hours") or "").strip()
                services.teaching_assignment_create(
                    school=school,
                    teacher=teacher,
                    subject=subject,
                    school_class=school_class,
                    group=group,
                    hours_per_week=parse_hours(raw_hours, _("Часы")) if raw_hours else None,
                    academic_year=year,
                    actor=request.user,
                )
            messages.success(request, _("Нагрузка сохранена"))
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect(
            reverse("school-load", args=[school.pk]) + (f"?class={current_class.pk}" if current_class else "")
        )
    assignments = list(assignment_list(school_id=school.pk))
    hours_by_teacher: dict[int, Decimal] = defaultdict(Decimal)
    for a in assignments:
        hours_by_teacher[a.teacher_id] += a.hours_per_week
    teachers = [
        (
            t.pk,
            short_person_name(t.surname, t.name, t.patronymic),
            hours_text(hours_by_teacher.get(t.pk, Decimal(0))),
        )
        for t in school_teachers(school_id=school.pk)
    ]
    summary = (
        [
            row
            for row in load_summary(school_id=school.pk, year=year)
            if current_class and row.school_class.pk == current_class.pk
        ]
        if year
        else []
    )
    class_assignments = [
        a
        for a in assignments
        if current_class
        and (
            a.school_class_id == current_class.pk or (a.group and a.group.school_class_id == current_class.pk)
        )
    ]
    groups = [
        g for g in group_list(school_id=school.pk) if current_class and g.school_class_id == current_class.pk
    ]
    # a teacher the registry no longer lists stays on their load until someone else takes it:
    # shown as such (and kept selected), never silently replaced by the first name of the list
    working = {t_pk for t_pk, _name, _hours in teachers}
    departed = {a.teacher_id for a in assignments if a.teacher_id not in working}
    return render(
        request,
        "teaching/load.html",
        {
            "school": school,
            "tab": "load",
            "year": year,
            "classes": classes,
            "current_class": current_class,
            "summary": summary,
            "assignments": class_assignments,
            "teachers": teachers,
            "departed": departed,
            "groups": groups,
            "rooms": list(room_list(school_id=school.pk)),
            "subjects": list(subject_list()),
        },
    )
