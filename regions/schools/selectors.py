from django.db.models import QuerySet

from regions.schools.models import School


def school_list(*, include_inactive: bool = False) -> QuerySet[School]:
    qs = School.objects.order_by("short_name", "id")
    return qs if include_inactive else qs.filter(is_active=True)
