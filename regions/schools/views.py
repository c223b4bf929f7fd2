from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from regions.people.models import Person
from regions.schools.models import School


def region_home(request: HttpRequest) -> HttpResponse:
    context = {
        "schools": School.objects.filter(is_active=True).count(),
        "people": Person.objects.filter(is_active=True).count(),
    }
    return render(request, "schools/region_home.html", context)
