"""Schools and classes of a region. The federal registry owns these rows (keyed by OGRN);
the import keeps them in sync and deactivates, never deletes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class School(models.Model):
    ogrn = models.CharField(gettext_lazy("ОГРН"), max_length=15, unique=True)
    inn = models.CharField(gettext_lazy("ИНН"), max_length=12)
    kpp = models.CharField(gettext_lazy("КПП"), max_length=9, blank=True)
    full_name = models.CharField(gettext_lazy("Полное наименование"), max_length=1000)
    short_name = models.CharField(gettext_lazy("Краткое наименование"), max_length=300)
    municipality = models.CharField(gettext_lazy("Муниципалитет"), max_length=300, blank=True)
    address = models.CharField(gettext_lazy("Адрес"), max_length=1000, blank=True)
    kind = models.CharField(gettext_lazy("Тип"), max_length=100, blank=True)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["short_name", "id"]
        verbose_name = gettext_lazy("школа")
        verbose_name_plural = gettext_lazy("школы")

    def __str__(self) -> str:
        return self.short_name


class SchoolClass(models.Model):
    """A class such as «5А»: parallel 1–11 and a letter. The registry owns which classes exist
    and who is in them; the school owns the class teacher and the shift."""

    # indexed by "school_class_unique_name" (school, name), which leads with it
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="classes", db_index=False)
    name = models.CharField(max_length=16)
    parallel = models.PositiveSmallIntegerField()
    letter = models.CharField(max_length=8, blank=True)
    # Configuration of the school, not of the registry: a re-import never touches these.
    class_teacher = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="homeroom_classes",
        verbose_name=gettext_lazy("Классный руководитель"),
    )
    shift = models.PositiveSmallIntegerField(gettext_lazy("Смена"), default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school_id", "parallel", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="school_class_unique_name"),
            models.CheckConstraint(
                condition=models.Q(parallel__gte=0, parallel__lte=12), name="school_class_parallel_range"
            ),
        ]
        verbose_name = gettext_lazy("класс")
        verbose_name_plural = gettext_lazy("классы")

    def __str__(self) -> str:
        return self.name
