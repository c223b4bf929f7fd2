"""Access rules of the configuration API (and pages): who may read and change region defaults
and a school's configuration. Built on ``regions.access.viewer_for``.

* region defaults (``school = NULL``): read by any admin (a school admin sees what the school
  inherits), changed by the regional admin only;
* a school's configuration: its school admin and the regional admin; anyone else 403;
* an object of another region does not exist here (its schema is not on the path): 404.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.permissions import BasePermission

from core.roles import Role
from regions.access import Viewer, viewer_for
from regions.schools.models import School

M = TypeVar("M", bound=Model)
MAX_ID = 2**62


class IsConfigAdmin(BasePermission):
    """A regional admin or a school admin (what they may touch is checked per object)."""

    message = gettext_lazy("Настройки доступны региональному администратору и администратору школы")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_role(Role.REGIONAL_ADMIN) or user.has_role(Role.SCHOOL_ADMIN))
        )


def viewer(request: Any) -> Viewer:
    return viewer_for(request.user)


def get_or_404(model: type[M], pk: Any, **filters: Any) -> M:
    try:
        return model._default_manager.get(pk=int(pk), **filters)
    except (model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:  # type: ignore[attr-defined]
        raise Http404(
            _("Не найдено: %(verbose_name)s %(pk)s") % {"verbose_name": model._meta.verbose_name, "pk": pk}
        ) from exc


def admin_school(request: Any, school_id: Any) -> School:
    """The school, if the user administers it; 404 if it does not exist, 403 otherwise."""
    school = get_or_404(School, school_id)
    if not viewer(request).can_admin_school(school.pk):
        raise PermissionDenied(_("Это не ваша школа: настройки доступны её администратору и РЦК"))
    return school


def check_level(request: Any, school_id: int | None, *, write: bool) -> None:
    """Region level: writes by the regional admin only. School level: its admins."""
    v = viewer(request)
    if school_id is None:
        if write and not v.is_regional_admin:
            raise PermissionDenied(
                _("Настройки региона по умолчанию меняет только региональный администратор (РЦК)")
            )
        return
    if not v.can_admin_school(school_id):
        raise PermissionDenied(_("Это не ваша школа: настройки доступны её администратору и РЦК"))


def level_object(request: Any, model: type[M], pk: Any, *, write: bool) -> M:
    obj = get_or_404(model, pk)
    check_level(request, getattr(obj, "school_id", None), write=write)
    return obj


def level_from_query(request: Any) -> School | None:
    """``?school=<id>``: that school's own rows (it must be the user's); absent: the region's."""
    raw = request.query_params.get("school")
    if raw in (None, ""):
        return None
    return admin_school(request, raw)


def Id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
