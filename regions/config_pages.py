"""Helpers shared by the configuration pages (academics, teaching, timetable): who may open
them, reading form input, showing a service's refusal."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.roles import Role
from regions.access import Viewer, viewer_for
from regions.schools.models import School


def config_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A regional admin or a school admin; the object checks come in the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.has_role(Role.REGIONAL_ADMIN) or user.has_role(Role.SCHOOL_ADMIN)):
            raise PermissionDenied(
                _("Настройки доступны региональному администратору и администратору школы")
            )
        return view(request, *args, **kwargs)

    return wrapper


def page_viewer(request: HttpRequest) -> Viewer:
    return viewer_for(request.user)


def school_or_403(request: HttpRequest, school_id: Any) -> School:
    school = School.objects.filter(pk=school_id).first()
    if school is None:
        raise Http404(_("Школа не найдена"))
    if not page_viewer(request).can_admin_school(school.pk):
        raise PermissionDenied(_("Это не ваша школа"))
    return school


def require_level(request: HttpRequest, school_id: int | None) -> None:
    v = page_viewer(request)
    if school_id is None:
        if not v.is_regional_admin:
            raise PermissionDenied(_("Настройки региона меняет только региональный администратор (РЦК)"))
    elif not v.can_admin_school(school_id):
        raise PermissionDenied(_("Это не ваша школа"))


def show_errors(request: HttpRequest, exc: ValidationError) -> list[str]:
    for message in exc.messages:
        messages.error(request, message)
    return list(exc.messages)


def parse_date(value: str | None, label: str) -> datetime.date:
    value = (value or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValidationError(
        _("%(label)s: «%(value)s» — не дата (ДД.ММ.ГГГГ)") % {"label": label, "value": value[:20]}
    )


def parse_time(value: str | None, label: str) -> datetime.time:
    value = (value or "").strip()
    try:
        hours, minutes = value.split(":")[:2]
        return datetime.time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            _("%(label)s: «%(value)s» — не время (ЧЧ:ММ)") % {"label": label, "value": value[:10]}
        ) from exc


def parse_int(
    value: str | None, label: str, *, low: int = 0, high: int = 2**62, default: int | None = None
) -> int:
    value = (value or "").strip()
    if not value and default is not None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError(
            _("%(label)s: «%(value)s» — не число") % {"label": label, "value": value[:20]}
        ) from exc
    if not low <= number <= high:
        raise ValidationError(
            _("%(label)s: %(number)s вне %(low)s…%(high)s")
            % {"label": label, "number": number, "low": low, "high": high}
        )
    return number


def parse_optional_id(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 < number < 2**62 else None


def id_or_zero(value: str | None) -> int:
    """An id for a lookup: a bad or missing value matches nothing (ids start at 1)."""
    return parse_optional_id(value) or 0


def parse_hours(value: str | None, label: str) -> Decimal:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return Decimal(0)
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ValidationError(
            _("%(label)s: «%(value)s» — не число часов") % {"label": label, "value": value[:10]}
        ) from exc
