"""Who teaches what to whom: subjects, study groups and teacher assignments.

These rows are configuration owned by the region and its schools, not by the registry: a
registry re-import never touches them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class Subject(models.Model):
    """A subject of the federal list (or a region's own), e.g. «Математика»."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    is_federal = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    # Order of the federal curriculum (Русский язык first), used by lists and the curriculum grid.
    position = models.PositiveSmallIntegerField(default=1000)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A classroom of a school: «каб. 204», «Спортзал»."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(gettext_lazy("Кабинет"), max_length=100)
    capacity = models.PositiveSmallIntegerField(gettext_lazy("Мест"), null=True, blank=True)
    # Where a class sits by default (primary school) …
    home_class = models.ForeignKey(
        "schools.SchoolClass",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_rooms",
        verbose_name=gettext_lazy("Кабинет класса"),
    )
    # … and what a specialised room is for (Спортзал → Физическая культура): the automatic
    # placement of the timetable puts those subjects there.
    subjects = models.ManyToManyField(
        Subject, blank=True, related_name="rooms", verbose_name=gettext_lazy("Предметы")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["school_id", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="room_unique_name")]
        verbose_name = gettext_lazy("кабинет")
        verbose_name_plural = gettext_lazy("кабинеты")

    def __str__(self) -> str:
        return self.name


class CurriculumLine(models.Model):
    """Curriculum: hours per week of a subject in a parallel (1–11) in an academic year.
    ``school = NULL`` is the region's model curriculum; a school's rows override it."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="curriculum"
    )
    academic_year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.CASCADE, related_name="curriculum"
    )
    parallel = models.PositiveSmallIntegerField(gettext_lazy("Параллель"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="curriculum")
    hours_per_week = models.DecimalField(gettext_lazy("Часов в неделю"), max_digits=4, decimal_places=1)

    # Set by the selectors that resolve region defaults against a school's own rows.
    is_own: bool = False

    class Meta:
        ordering = ["school_id", "parallel", "subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year", "parallel", "subject"],
                nulls_distinct=False,
                name="curriculum_unique_line",
            ),
            models.CheckConstraint(
                condition=models.Q(parallel__gte=1, parallel__lte=11), name="curriculum_parallel_range"
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gt=0, hours_per_week__lte=40),
                name="curriculum_hours_range",
            ),
        ]
        verbose_name = gettext_lazy("строка учебного плана")
        verbose_name_plural = gettext_lazy("учебный план")

    def __str__(self) -> str:
        return f"{self.parallel}: {self.subject_id} × {self.hours_per_week}"


class GroupKind(models.TextChoices):
    SUBGROUP = "subgroup", gettext_lazy("подгруппа класса")
    CROSS_CLASS = "cross_class", gettext_lazy("межклассная группа")


class StudyGroup(models.Model):
    """A subgroup of a class (e.g. «5А, английский, группа 1») or a cross-class group."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="study_groups")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=GroupKind.choices)
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="subgroups"
    )
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT)
    members = models.ManyToManyField("people.Person", related_name="study_groups", blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["school_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="study_group_unique_name"),
            models.CheckConstraint(
                condition=models.Q(kind="cross_class") | models.Q(school_class__isnull=False),
                name="subgroup_has_class",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeachingAssignment(models.Model):
    """Teacher load: this teacher teaches this subject to this class or this group."""

    teacher = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="teaching")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="teaching")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="teaching")
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="teaching"
    )
    group = models.ForeignKey(
        StudyGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="teaching"
    )
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    # The teacher's own classroom (Russian schools: the class comes to the teacher's room).
    room = models.ForeignKey(
        Room,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("Кабинет"),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(school_class__isnull=False, group__isnull=True)
                    | models.Q(school_class__isnull=True, group__isnull=False)
                ),
                name="assignment_class_xor_group",
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gte=0, hours_per_week__lte=40),
                name="assignment_hours_range",
            ),
            models.UniqueConstraint(
                fields=["teacher", "subject", "school_class"],
                condition=models.Q(school_class__isnull=False),
                name="assignment_unique_class",
            ),
            models.UniqueConstraint(
                fields=["teacher", "subject", "group"],
                condition=models.Q(group__isnull=False),
                name="assignment_unique_group",
            ),
        ]
        indexes = [models.Index(fields=["teacher", "is_active"])]

    def __str__(self) -> str:
        target = self.school_class_id or f"g{self.group_id}"
        return f"{self.teacher_id}: {self.subject_id} → {target}"
