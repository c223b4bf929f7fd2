"""Region pages. Each page asks the permission matrix (``regions.access.viewer_for``) what the
signed-in user may see; what they may not see is a 404, exactly like what does not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.sso.config import realm_for_tenant
from core.sso.events import auth_event
from regions.access import viewer_for
from regions.people.models import Person
from regions.schools import selectors
from regions.schools.models import School


def _denied(request: HttpRequest, what: str) -> Http404:
    realm = realm_for_tenant(getattr(request, "tenant", None))
    auth_event("access_denied", realm=realm.name, user_id=request.user.pk, reason=what, path=request.path)
    return Http404(_("Не найдено или нет доступа"))


def region_home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    context: dict[str, object] = {"viewer": viewer}
    if not viewer.is_anonymous:
        context["schools"] = list(selectors.school_list_for(viewer=viewer)[:200])
        people = [pid for pid in (viewer.person_id, *sorted(viewer.child_ids)) if pid]
        context["me"] = next(
            (p for p in Person.objects.filter(pk__in=people) if p.pk == viewer.person_id), None
        )
        context["children"] = list(Person.objects.filter(pk__in=viewer.child_ids).order_by("surname", "name"))
        if viewer.is_regional_admin:
            context["counts"] = {
                "schools": School.objects.filter(is_active=True).count(),
                "people": Person.objects.filter(is_active=True).count(),
            }
    return render(request, "schools/region_home.html", context)


@login_required
def school_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    school = selectors.school_get_for(viewer=viewer, school_id=pk)
    if school is None:
        raise _denied(request, "school")
    classes = list(selectors.class_list_for(viewer=viewer, school=school))
    readable = {c.pk for c in classes if viewer.can_view_class(c.pk, school.pk)}
    return render(
        request, "schools/school_detail.html", {"school": school, "classes": classes, "readable": readable}
    )


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    school_class = selectors.class_get_for(viewer=viewer, class_id=pk)
    if school_class is None:
        raise _denied(request, "class")
    students = list(selectors.class_students(school_class=school_class))
    return render(request, "schools/class_detail.html", {"school_class": school_class, "students": students})


@login_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    person = selectors.student_get_for(viewer=viewer, person_id=pk)
    if person is None:
        raise _denied(request, "person")
    classes = selectors.student_class_names(person_ids=[person.pk])
    return render(
        request, "schools/student_detail.html", {"person": person, "class_name": classes.get(person.pk)}
    )
