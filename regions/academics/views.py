"""Pages of the school year and assessment settings: region defaults (`/settings/`), a
school's effective settings (`/schools/<id>/settings/`), the academic year editor with the
period generator, bell schedules, and copying settings to many schools."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.federal_subjects import federal_subjects
from regions.academics import services
from regions.academics.calendar import HolidayDraft, PeriodDraft, YearDraft, propose_year
from regions.academics.copying import (
    changes_by_kind,
    school_settings_copy,
    school_settings_override,
    school_settings_revert,
    settings_copy_preview,
)
from regions.academics.models import (
    AcademicYear,
    BellSchedule,
    ControlForm,
    GradingScale,
    HolidayKind,
    PeriodKind,
    ScaleKind,
)
from regions.academics.selectors import KIND_LABELS, KINDS, region_settings, school_settings, year_queryset
from regions.config_pages import (
    config_admin_required,
    page_viewer,
    parse_date,
    parse_int,
    parse_time,
    require_level,
    school_or_403,
    show_errors,
)
from regions.schools.models import School
from tenants.services import RegionError, region_set_timezone


def _timezones(current: str) -> list[str]:
    zones = {s.timezone for s in federal_subjects().values()} | {"Europe/Moscow", current}
    return sorted(zones)


def _level_url(school: School | None) -> str:
    return reverse("school-settings", args=[school.pk]) if school else reverse("region-settings")


def _parse_conversion(text: str) -> list[list[int]]:
    rows = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        threshold, _sep, five = part.partition(":")
        try:
            rows.append([int(threshold), int(five)])
        except ValueError as exc:
            raise ValidationError(
                _("Перевод в пятибалльную: «%(part)s» — ожидается «порог:оценка», например 85:5")
                % {"part": part}
            ) from exc
    return rows


@config_admin_required
def region_settings_page(request: HttpRequest) -> HttpResponse:
    """Region defaults: visible to every admin (what schools inherit), editable by the РЦК."""
    viewer = page_viewer(request)
    if request.method == "POST":
        if not viewer.is_regional_admin:
            raise PermissionDenied(_("Настройки региона меняет только региональный администратор (РЦК)"))
        try:
            region_set_timezone(
                region=request.tenant,  # type: ignore[attr-defined]
                timezone_name=request.POST.get("timezone", ""),
                actor=request.user,
            )
            messages.success(request, _("Часовой пояс региона сохранён"))
        except RegionError as exc:
            messages.error(request, str(exc))
        return redirect("region-settings")
    settings = region_settings()
    return render(
        request,
        "academics/settings.html",
        {
            "school": None,
            "settings": settings,
            "can_edit": viewer.is_regional_admin,
            "timezones": _timezones(request.tenant.timezone),  # type: ignore[attr-defined]
            "scale_kinds": ScaleKind.choices,
            "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
            "next_year": timezone.localdate().year + (1 if timezone.localdate().month >= 6 else 0),
        },
    )


@config_admin_required
def school_settings_page(request: HttpRequest, school_id: int) -> HttpResponse:
    school = school_or_403(request, school_id)
    if request.method == "POST":
        kinds = request.POST.getlist("kinds")
        action = request.POST.get("action")
        try:
            if action == "override":
                plan = school_settings_override(school=school, kinds=kinds, actor=request.user)
                messages.success(
                    request,
                    _("Своя копия настроек создана: изменений %(changes_count)s")
                    % {"changes_count": len(plan.changes)},
                )
            elif action == "revert":
                plan = school_settings_revert(school=school, kinds=kinds, actor=request.user)
                messages.success(
                    request,
                    _("Снова действуют настройки региона: удалено своих записей %(changes_count)s")
                    % {"changes_count": len(plan.changes)},
                )
        except ValidationError as exc:
            show_errors(request, exc)
        return redirect("school-settings", school.pk)
    settings = school_settings(school_id=school.pk)
    from regions.teaching.models import CurriculumLine

    settings.own["curriculum"] = CurriculumLine.objects.filter(school=school).exists()
    return render(
        request,
        "academics/settings.html",
        {
            "school": school,
            "tab": "settings",
            "settings": settings,
            "can_edit": True,
            "kind_rows": [(k, KIND_LABELS[k], settings.own.get(k, False)) for k in KINDS],
            "scale_kinds": ScaleKind.choices,
            "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
            "next_year": timezone.localdate().year + (1 if timezone.localdate().month >= 6 else 0),
        },
    )


# --- academic years --------------------------------------------------------------------------------------


def _year_from_post(post: Any, count: int) -> tuple[YearDraft, list[str]]:
    problems: list[str] = []

    def date(name: str, label: str) -> Any:
        try:
            return parse_date(post.get(name), label)
        except ValidationError as exc:
            problems.extend(exc.messages)
            return None

    periods = []
    for i in range(count):
        name = (post.get(f"p-{i}-name") or "").strip()
        starts, ends = (
            date(f"p-{i}-starts_on", _("Период %(i)s, начало") % {"i": i + 1}),
            date(f"p-{i}-ends_on", _("Период %(i)s, окончание") % {"i": i + 1}),
        )
        closes = date(f"p-{i}-closes_on", _("Период %(i)s, закрытие") % {"i": i + 1})
        periods.append(PeriodDraft(i + 1, name, starts, ends, closes))
    holidays = []
    for i in range(int(post.get("holiday_rows") or 0) if (post.get("holiday_rows") or "").isdigit() else 0):
        name = (post.get(f"h-{i}-name") or "").strip()
        raw_start, raw_end = post.get(f"h-{i}-starts_on"), post.get(f"h-{i}-ends_on")
        if not name and not raw_start and not raw_end:
            continue
        start = date(f"h-{i}-starts_on", _("«%(name)s», начало") % {"name": name})
        end = date(f"h-{i}-ends_on", _("«%(name)s», окончание") % {"name": name}) if raw_end else start
        parallels = []
        for part in (post.get(f"h-{i}-parallels") or "").replace(";", ",").split(","):
            if part.strip():
                try:
                    parallels.append(int(part))
                except ValueError:
                    problems.append(
                        _("«%(name)s»: параллели перечисляются числами через запятую") % {"name": name}
                    )
        kind = post.get(f"h-{i}-kind") or HolidayKind.VACATION
        holidays.append(HolidayDraft(name, kind, start, end, parallels))
    draft = YearDraft(
        name=(post.get("name") or "").strip(),
        starts_on=date("starts_on", _("Начало учебного года")),
        ends_on=date("ends_on", _("Окончание учебного года")),
        period_kind=post.get("period_kind") or PeriodKind.QUARTER,
        periods=periods,
        holidays=holidays,
    )
    return draft, problems


def _year_page(request: HttpRequest, school: School | None, year: AcademicYear | None) -> HttpResponse:
    require_level(request, school.pk if school else None)
    errors: list[str] = []
    if request.method == "POST" and request.POST.get("action") == "delete" and year is not None:
        try:
            services.academic_year_delete(year=year, actor=request.user)
            messages.success(request, _("Учебный год %(name)s удалён") % {"name": year.name})
            return redirect(_level_url(school))
        except ValidationError as exc:
            errors = show_errors(request, exc)
    if request.method == "POST" and request.POST.get("action") != "delete":
        count = parse_int(request.POST.get("period_rows"), _("Число периодов"), low=0, high=12, default=0)
        draft, problems = _year_from_post(request.POST, count)
        if problems:
            errors = problems
        else:
            try:
                if year is None:
                    year = services.academic_year_create(
                        school=school,
                        name=draft.name,
                        starts_on=draft.starts_on,
                        ends_on=draft.ends_on,
                        period_kind=draft.period_kind,
                        periods=draft.periods,
                        holidays=draft.holidays,
                        actor=request.user,
                    )
                    messages.success(request, _("Учебный год %(name)s создан") % {"name": year.name})
                else:
                    services.academic_year_update(
                        year=year,
                        starts_on=draft.starts_on,
                        ends_on=draft.ends_on,
                        period_kind=draft.period_kind,
                        periods=draft.periods,
                        holidays=draft.holidays,
                        actor=request.user,
                    )
                    messages.success(request, _("Учебный год %(name)s сохранён") % {"name": year.name})
                return redirect(_level_url(school))
            except ValidationError as exc:
                errors = list(exc.messages)
    else:
        if year is not None:
            draft = YearDraft(
                name=year.name,
                starts_on=year.starts_on,
                ends_on=year.ends_on,
                period_kind=year.period_kind,
                periods=[
                    PeriodDraft(p.number, p.name, p.starts_on, p.ends_on, p.closes_on)
                    for p in year.periods.all()
                ],
                holidays=[
                    HolidayDraft(h.name, h.kind, h.starts_on, h.ends_on, h.parallels)
                    for h in year.holidays.all()
                ],
            )
        else:
            start = parse_int(
                request.GET.get("start_year"),
                _("Год начала"),
                low=2000,
                high=2100,
                default=timezone.localdate().year,
            )
            kind = request.GET.get("period_kind") or PeriodKind.QUARTER
            if kind not in PeriodKind.values:
                kind = PeriodKind.QUARTER
            draft = propose_year(start, kind)
    holidays = list(draft.holidays) + [HolidayDraft("", HolidayKind.PUBLIC, None, None) for _i in range(3)]  # type: ignore[arg-type]
    return render(
        request,
        "academics/year_edit.html",
        {
            "school": school,
            "year": year,
            "draft": draft,
            "holidays": holidays,
            "errors": errors,
            "period_kinds": PeriodKind.choices,
            "holiday_kinds": HolidayKind.choices,
            "back": _level_url(school),
        },
    )


@config_admin_required
def year_new(request: HttpRequest, school_id: int | None = None) -> HttpResponse:
    school = school_or_403(request, school_id) if school_id else None
    return _year_page(request, school, None)


@config_admin_required
def year_edit(request: HttpRequest, year_id: int) -> HttpResponse:
    year = year_queryset().filter(pk=year_id).first()
    if year is None:
        raise Http404(_("Учебный год не найден"))
    return _year_page(request, year.school, year)


# --- scales and control forms ----------------------------------------------------------------------------


def _level_from_post(request: HttpRequest) -> School | None:
    raw = request.POST.get("school")
    return school_or_403(request, raw) if raw else None


@config_admin_required
def scale_save(request: HttpRequest, scale_id: int | None = None) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    scale = GradingScale.objects.filter(pk=scale_id).select_related("school").first() if scale_id else None
    if scale_id and scale is None:
        raise Http404(_("Шкала не найдена"))
    school = scale.school if scale else _level_from_post(request)
    require_level(request, school.pk if school else None)
    post = request.POST
    try:
        if scale is not None and post.get("action") == "delete":
            services.grading_scale_delete(scale=scale, actor=request.user)
            messages.success(request, _("Шкала «%(name)s» удалена") % {"name": scale.name})
        else:
            fields: dict[str, Any] = {
                "name": post.get("name", ""),
                "kind": post.get("kind") or (scale.kind if scale else ""),
                "min_value": parse_int(post.get("min_value"), _("Минимум"), high=1000),
                "max_value": parse_int(post.get("max_value"), _("Максимум"), high=1000),
                "conversion": _parse_conversion(post.get("conversion", "")),
                "is_default": post.get("is_default") == "on",
            }
            if scale is None:
                services.grading_scale_create(
                    school=school, code=post.get("code", "").strip(), actor=request.user, **fields
                )
                messages.success(request, _("Шкала добавлена"))
            else:
                services.grading_scale_update(scale=scale, actor=request.user, **fields)
                messages.success(request, _("Шкала «%(name)s» сохранена") % {"name": scale.name})
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect(_level_url(school) + "#scales")


@config_admin_required
def form_save(request: HttpRequest, form_id: int | None = None) -> HttpResponse:
    if request.method != "POST":
        raise Http404
    form = ControlForm.objects.filter(pk=form_id).select_related("school").first() if form_id else None
    if form_id and form is None:
        raise Http404(_("Форма контроля не найдена"))
    school = form.school if form else _level_from_post(request)
    require_level(request, school.pk if school else None)
    post = request.POST
    try:
        if form is not None and post.get("action") == "delete":
            services.control_form_delete(form=form, actor=request.user)
            messages.success(request, _("Форма контроля «%(name)s» удалена") % {"name": form.name})
        else:
            fields: dict[str, Any] = {
                "name": post.get("name", ""),
                "short_name": post.get("short_name", ""),
                "weight": parse_int(post.get("weight"), _("Вес"), high=1000),
                "is_active": post.get("is_active") == "on" if form else True,
            }
            if form is None:
                services.control_form_create(
                    school=school, code=post.get("code", "").strip(), actor=request.user, **fields
                )
                messages.success(request, _("Форма контроля добавлена"))
            else:
                services.control_form_update(form=form, actor=request.user, **fields)
                messages.success(request, _("Форма контроля «%(name)s» сохранена") % {"name": fields["name"]})
    except ValidationError as exc:
        show_errors(request, exc)
    return redirect(_level_url(school) + "#forms")


# --- bell schedules ---------------------------------------------------------------------------------------


def _bells_page(request: HttpRequest, school: School | None, schedule: BellSchedule | None) -> HttpResponse:
    require_level(request, school.pk if school else None)
    errors: list[str] = []
    rows: list[tuple[str, str, str]] = []
    if request.method == "POST":
        if schedule is not None and request.POST.get("action") == "delete":
            try:
                services.bell_schedule_delete(schedule=schedule, actor=request.user)
                messages.success(
                    request, _("Расписание звонков «%(name)s» удалено") % {"name": schedule.name}
                )
                return redirect(_level_url(school) + "#bells")
            except ValidationError as exc:
                errors = show_errors(request, exc)
        count = parse_int(request.POST.get("rows"), _("Строк"), high=30, default=0)
        bells, problems = [], []
        for i in range(count):
            number, start, end = (
                request.POST.get(f"b-{i}-{k}", "").strip() for k in ("number", "starts_at", "ends_at")
            )
            rows.append((number, start, end))
            if not (number or start or end):
                continue
            try:
                bells.append(
                    (
                        parse_int(number, _("Строка %(i)s, урок") % {"i": i + 1}, high=20),
                        parse_time(start, _("Урок %(number)s, начало") % {"number": number}),
                        parse_time(end, _("Урок %(number)s, конец") % {"number": number}),
                    )
                )
            except ValidationError as exc:
                problems.extend(exc.messages)
        name = request.POST.get("name", "")
        if problems:
            errors = problems
        elif not errors:
            try:
                if schedule is None:
                    schedule = services.bell_schedule_create(
                        school=school,
                        name=name,
                        shift=parse_int(request.POST.get("shift"), _("Смена"), high=10, default=1),
                        bells=bells,
                        actor=request.user,
                    )
                else:
                    services.bell_schedule_update(
                        schedule=schedule, name=name, bells=bells, actor=request.user
                    )
                messages.success(
                    request, _("Расписание звонков «%(name)s» сохранено") % {"name": schedule.name}
                )
                return redirect(_level_url(school) + "#bells")
            except ValidationError as exc:
                errors = list(exc.messages)
    elif schedule is not None:
        rows = [
            (str(b.lesson_number), f"{b.starts_at:%H:%M}", f"{b.ends_at:%H:%M}")
            for b in schedule.bells.order_by("lesson_number")
        ]
    rows += [("", "", "")] * max(0, 10 - len(rows))
    return render(
        request,
        "academics/bells_edit.html",
        {
            "school": school,
            "schedule": schedule,
            "rows": rows,
            "errors": errors,
            "name": request.POST.get("name")
            if request.method == "POST"
            else (schedule.name if schedule else ""),
            "back": _level_url(school),
        },
    )


@config_admin_required
def bells_new(request: HttpRequest, school_id: int | None = None) -> HttpResponse:
    school = school_or_403(request, school_id) if school_id else None
    return _bells_page(request, school, None)


@config_admin_required
def bells_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = BellSchedule.objects.filter(pk=schedule_id).select_related("school").first()
    if schedule is None:
        raise Http404(_("Расписание звонков не найдено"))
    return _bells_page(request, schedule.school, schedule)


# --- copy settings to many schools ---------------------------------------------------------------------


@config_admin_required
def settings_copy_page(request: HttpRequest) -> HttpResponse:
    viewer = page_viewer(request)
    schools = list(School.objects.filter(is_active=True).order_by("municipality", "short_name", "id"))
    if not viewer.is_regional_admin:
        schools = [s for s in schools if s.pk in viewer.admin_school_ids]
    by_id = {s.pk: s for s in schools}
    source_id = request.POST.get("source") or request.GET.get("source")
    chosen_targets = {int(t) for t in request.POST.getlist("targets") if t.isdigit()}
    chosen_kinds = request.POST.getlist("kinds")
    plans = None
    if request.method == "POST":
        try:
            source = by_id.get(int(source_id or 0))
            if source is None:
                raise ValidationError(_("Выберите школу-образец"))
            targets = [by_id[t] for t in sorted(chosen_targets) if t in by_id]
            if len(targets) != len(chosen_targets):
                raise PermissionDenied(_("Есть школы, к которым у вас нет доступа"))
            if request.POST.get("action") == "apply":
                with transaction.atomic():
                    applied = school_settings_copy(
                        source=source, targets=targets, kinds=chosen_kinds, actor=request.user
                    )
                messages.success(
                    request,
                    _("Настройки скопированы в школ: %(applied_count)s; изменений: %(sum)s")
                    % {"applied_count": len(applied), "sum": sum(len(p.changes) for p in applied)},
                )
                return redirect("settings-copy")
            plans = [
                (p, [(KIND_LABELS[k], changes) for k, changes in changes_by_kind(p).items()])
                for p in settings_copy_preview(source=source, targets=targets, kinds=chosen_kinds)
            ]
        except ValidationError as exc:
            show_errors(request, exc)
    return render(
        request,
        "academics/settings_copy.html",
        {
            "schools": schools,
            "source_id": int(source_id) if source_id and source_id.isdigit() else None,
            "chosen_targets": chosen_targets,
            "chosen_kinds": chosen_kinds,
            "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
            "plans": plans,
            "has_errors": bool(plans and any(p.errors for p, _ in plans)),
        },
    )
