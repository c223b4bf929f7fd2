"""Pages of the journal (teachers, school admins), the diary (students, parents) and the
notifications (everybody). Thin: parse the request, call a selector or a service, render.
Marks, attendance and finals are saved by the page's script through the JSON API
(``api/journal.py``), one request per entry."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.models import User
from core.roles import Role
from regions.access import Viewer, viewer_for
from regions.journal import diary, selectors, services, versions
from regions.journal import render as render_diary
from regions.journal.access import can_write_lesson
from regions.journal.errors import JournalError, JournalForbidden, JournalNotFound
from regions.journal.models import AttendanceKind, NotificationPreference
from regions.journal.render import journal_header, journal_rows
from regions.people.models import Person
from regions.schools.models import School


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def _journal_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Not visible → 404; visible but not allowed → 403 page with the reason."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except JournalNotFound as exc:
            raise Http404(exc.message) from exc
        except JournalForbidden as exc:
            return render(request, "journal/forbidden.html", {"message": exc.message}, status=403)

    return login_required(wrapper)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _date(value: str | None, default: datetime.date) -> datetime.date:
    if not value:
        return default
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 — a calendar date, no time
        except ValueError:
            continue
    return default


# --- journal ---------------------------------------------------------------------------------------


@_journal_errors
def journal_index(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not (viewer.has_role(Role.TEACHER) or viewer.admin_school_ids or viewer.is_regional_admin):
        raise JournalForbidden(_("Журнал доступен учителям и администраторам школ"))
    school_id = _int(request.GET.get("school"))
    schools = None
    if viewer.is_regional_admin and not viewer.admin_school_ids:
        schools = School.objects.filter(is_active=True).only("id", "short_name").order_by("short_name")[:2000]
    links = selectors.journal_links(viewer=viewer, school_id=school_id)
    return render(request, "journal/index.html", {"links": links, "schools": schools, "school_id": school_id})


@_journal_errors
def journal_grid(request: HttpRequest, kind: str, target_id: int, subject_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    scope = versions.class_scope(target_id) if kind == "class" else versions.group_scope(target_id)

    def page_response() -> HttpResponse:
        page = selectors.journal_page(
            viewer=viewer,
            kind=kind,
            target_id=target_id,
            subject_id=subject_id,
            period_id=_int(request.GET.get("period")),
            today=timezone.localdate(),
            edit=request.GET.get("edit") == "1",
        )
        return render(
            request,
            "journal/grid.html",
            {
                "page": page,
                "header_html": journal_header(page),
                "rows_html": journal_rows(page),
                "scale_values": page.scale.valid_values() if page.scale else [],
                "weights": sorted({f.weight for f in page.control_forms}),
                "attendance_kinds": AttendanceKind.choices,
            },
        )

    # the page as this user last got it, while nothing it shows changed (regions.journal.versions)
    return versions.cached_page(request, name="journal", scopes=[scope], render=page_response)


@_journal_errors
def journal_year(request: HttpRequest, kind: str, target_id: int, subject_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    page = selectors.journal_year_page(
        viewer=viewer,
        kind=kind,
        target_id=target_id,
        subject_id=subject_id,
        today=timezone.localdate(),
        edit=request.GET.get("edit") == "1",
    )
    return render(request, "journal/year.html", {"page": page})


@_journal_errors
def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """A lesson's topic and homework (text, due lesson or date, files, students' variants)."""
    viewer = viewer_for(request.user)
    lesson = selectors.lesson_for_view(viewer=viewer, lesson_id=lesson_id)
    errors: list[str] = []
    if request.method == "POST":
        try:
            # a homework and its files are one change: a file refused (too big) leaves no homework
            # behind that a second try would duplicate
            with transaction.atomic():
                _lesson_post(request, lesson.pk)
        except JournalError as exc:
            errors.append(exc.message)
        else:
            messages.success(request, _("Сохранено"))
            return HttpResponseRedirect(request.get_full_path())
    return render(
        request,
        "journal/lesson.html",
        {
            "lesson": lesson,
            "topic": getattr(getattr(lesson, "content", None), "topic", ""),
            "homework": selectors.lesson_homework(lesson.pk),
            "students": selectors.lesson_students(lesson),
            "writable": can_write_lesson(viewer, lesson),
            "due_lessons": services.next_lessons(lesson),
            "errors": errors,
            # what was typed comes back with the error instead of an empty form
            "posted": request.POST if errors else {},
            "journal_kind": "class" if lesson.school_class_id else "group",
            "journal_target": lesson.school_class_id or lesson.group_id,
        },
        status=400 if errors else 200,
    )


def _lesson_post(request: HttpRequest, lesson_id: int) -> None:
    user = _user(request)
    action = request.POST.get("action")
    if action == "topic":
        services.lesson_topic_set(actor=user, lesson_id=lesson_id, topic=request.POST.get("topic", ""))
    elif action == "homework":
        due_date_raw = request.POST.get("due_date") or ""
        due_date = _date(due_date_raw, datetime.date.min) if due_date_raw else None
        if due_date == datetime.date.min:
            raise JournalError(_("Срок: дата в виде ДД.ММ.ГГГГ"), field="due_date")
        homework = services.homework_create(
            actor=user,
            lesson_id=lesson_id,
            text=request.POST.get("text", ""),
            # a date typed in wins over the lesson picked in the list (which always has one)
            due_lesson_id=None if due_date else _int(request.POST.get("due_lesson")),
            due_date=due_date,
        )
        for upload in request.FILES.getlist("files"):
            services.homework_file_add(actor=user, homework_id=homework.pk, upload=upload)
    elif action == "variant":
        homework_id, student_id = _int(request.POST.get("homework")), _int(request.POST.get("student"))
        if homework_id is None or student_id is None:
            raise JournalError(_("Выберите задание и ученика"), field="student")
        services.homework_variant_set(
            actor=user,
            homework_id=homework_id,
            student_id=student_id,
            text=request.POST.get("text", ""),
        )
        for upload in request.FILES.getlist("files"):
            services.homework_file_add(
                actor=user,
                homework_id=homework_id,
                upload=upload,
                student_id=student_id,
            )
    elif action == "homework_delete":
        homework_id = _int(request.POST.get("homework"))
        if homework_id is None:
            raise JournalError(_("Не выбрано задание"), field="homework")
        services.homework_delete(actor=user, homework_id=homework_id)
    else:
        raise JournalError(_("Неизвестное действие"), field="action")


@_journal_errors
def homework_file(request: HttpRequest, file_id: int) -> FileResponse:
    viewer = viewer_for(request.user)
    attachment = selectors.homework_file_for(viewer=viewer, file_id=file_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise JournalNotFound(_("Файл не найден")) from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


AUDIT_PAGE = 50


#: what the school admin reads instead of the stored codes (the API keeps the codes)
AUDIT_ACTIONS = {
    "mark_create": gettext_lazy("Оценка поставлена"),
    "mark_change": gettext_lazy("Оценка изменена"),
    "mark_delete": gettext_lazy("Оценка удалена"),
    "attendance_create": gettext_lazy("Отметка посещаемости поставлена"),
    "attendance_change": gettext_lazy("Отметка посещаемости изменена"),
    "attendance_delete": gettext_lazy("Отметка посещаемости снята"),
    "final_mark_create": gettext_lazy("Итоговая оценка выставлена"),
    "final_mark_change": gettext_lazy("Итоговая оценка изменена"),
    "final_mark_delete": gettext_lazy("Итоговая оценка удалена"),
}
AUDIT_FIELDS = {
    "value": gettext_lazy("Оценка"),
    "weight": gettext_lazy("Вес"),
    "control_form": gettext_lazy("Форма контроля"),
    "comment": gettext_lazy("Комментарий"),
    "kind": gettext_lazy("Отметка"),
    "reason": gettext_lazy("Причина"),
    "is_override": gettext_lazy("Не совпадает с предложенной"),
    "proposed": gettext_lazy("Предложено"),
}


def _audit_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "kind":
        return str(AttendanceKind(value).label) if value in AttendanceKind.values else str(value)
    if isinstance(value, bool):
        return _("да") if value else _("нет")
    return str(value)


def _audit_row(event: Any, students: dict[int, str], actors: dict[int, str]) -> dict[str, Any]:
    """One line of the audit page in words: the actor's name, the action, the lesson with its
    date as DD.MM.YYYY, each changed field as «old → new» (a field empty before and after is
    left out)."""
    context = event.changes.get("context", {})
    pairs = [
        (field, *pair)
        for field, pair in event.changes.items()
        if field != "context" and isinstance(pair, list) and len(pair) == 2
    ]
    changes = [
        (AUDIT_FIELDS.get(field, field), _audit_value(field, old), _audit_value(field, new))
        for field, old, new in pairs
        if old not in (None, "") or new not in (None, "")
    ]
    lesson_date = context.get("date")
    if lesson_date:
        with contextlib.suppress(ValueError):
            lesson_date = datetime.date.fromisoformat(lesson_date).strftime("%d.%m.%Y")
    where = [context.get(k) for k in ("subject", "target") if context.get(k)]
    where += [v for v in (lesson_date, context.get("period")) if v]
    return {
        "event": event,
        "actor": actors.get(event.actor_id) or event.actor_label,
        "action": AUDIT_ACTIONS.get(event.action, event.action),
        "where": ", ".join(str(v) for v in where),
        "changes": changes,
        "student": students.get(context.get("student"), ""),
    }


@_journal_errors
def journal_audit(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    school_id = _int(request.GET.get("school"))
    events = selectors.journal_audit(viewer=viewer, school_id=school_id)
    # newest first, pages by the last id seen: no COUNT over a region's whole audit trail
    before = _int(request.GET.get("before"))
    if before is not None:
        events = events.filter(pk__lt=before)
    window = list(events[: AUDIT_PAGE + 1])
    has_next, window = len(window) > AUDIT_PAGE, window[:AUDIT_PAGE]
    student_ids = {e.changes.get("context", {}).get("student") for e in window} - {None}
    names = {
        p.pk: f"{p.surname} {p.name}"
        for p in Person.objects.filter(pk__in=student_ids).only("id", "surname", "name")
    }
    actors = {
        u.pk: f"{u.last_name} {u.first_name}".strip()
        for u in User.objects.filter(pk__in={e.actor_id for e in window} - {None}).only(
            "id", "first_name", "last_name"
        )
    }
    rows = [_audit_row(event, names, actors) for event in window]
    next_before = window[-1].pk if has_next else None
    return render(
        request,
        "journal/audit.html",
        {"rows": rows, "next_before": next_before, "school_id": school_id, "first_page": before is None},
    )


# --- diary -------------------------------------------------------------------------------------------


def _diary_children(request: HttpRequest, viewer: Viewer) -> list[diary.Child]:
    # whose diaries: the roster's, so kept with the account while the roster is unchanged
    return cast(
        "list[diary.Child]",
        versions.account_value(request.user, "diary_children", lambda: diary.diary_children(viewer=viewer)),
    )


@_journal_errors
def diary_week(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    children = _diary_children(request, viewer)
    child = diary.pick_child(viewer=viewer, children=children, student_id=_int(request.GET.get("student")))
    scopes = [versions.class_scope(c) for c in child.class_ids] + [
        versions.group_scope(g) for g in child.group_ids
    ]

    def page_response() -> HttpResponse:
        week = diary.diary_week(
            viewer=viewer,
            child=child,
            children=children,
            day=_date(request.GET.get("date"), timezone.localdate()),
        )
        can_tick = viewer.has_role(Role.STUDENT) and week.child.id == viewer.person_id
        csrf, next_path = get_token(request), request.get_full_path()
        days = [
            (
                day,
                render_diary.diary_rows(day.lessons, can_tick=can_tick, csrf=csrf, next_path=next_path),
                render_diary.diary_homework(
                    day.homework_by_date, can_tick=can_tick, csrf=csrf, next_path=next_path
                ),
            )
            for day in week.days
        ]
        return render(request, "diary/week.html", {"week": week, "days": days, "today": timezone.localdate()})

    # the week as this user last got it, while nothing it shows changed (regions.journal.versions)
    return versions.cached_page(request, name="diary", scopes=scopes, render=page_response)


@_journal_errors
def diary_marks(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    data = diary.diary_marks(
        viewer=viewer,
        children=_diary_children(request, viewer),
        student_id=_int(request.GET.get("student")),
        period_id=_int(request.GET.get("period")),
        today=timezone.localdate(),
    )
    return render(request, "diary/marks.html", {"data": data})


@require_POST
@_journal_errors
def homework_done(request: HttpRequest, homework_id: int) -> HttpResponse:
    """The no-script fallback of the diary's "done" checkbox."""
    services.homework_done_set(
        actor=_user(request), homework_id=homework_id, done=request.POST.get("done") == "1"
    )
    return _back(request, reverse("diary:week"))


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


# --- notifications ---------------------------------------------------------------------------------


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "journal/notifications.html", {"page": page})


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = [i for i in (_int(v) for v in request.POST.getlist("id")) if i is not None]
    services.notifications_mark_read(actor=_user(request), notification_ids=ids or None)
    return _back(request, reverse("notifications:list"))


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    fields = ["marks_in_app", "marks_email", "absences_in_app", "absences_email"]
    if request.method == "POST":
        services.notification_preference_update(
            actor=_user(request),
            **{name: request.POST.get(name) == "on" for name in fields},
        )
        messages.success(request, _("Настройки сохранены"))
        return HttpResponseRedirect(reverse("notifications:settings"))
    pref = (
        NotificationPreference.objects.filter(user_id=_user(request).pk).first() or NotificationPreference()
    )
    rows = [
        (
            name,
            cast(models.Field, NotificationPreference._meta.get_field(name)).verbose_name,
            getattr(pref, name),
        )
        for name in fields
    ]
    return render(request, "journal/notification_settings.html", {"rows": rows})
