"""People of a region and how they belong to schools. Keyed by SNILS or the registry's own
person id; the import deactivates, never deletes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from core.validators import mask_snils


class Sex(models.TextChoices):
    MALE = "M", gettext_lazy("мужской")
    FEMALE = "F", gettext_lazy("женский")


class Person(models.Model):
    # Identifiers, compared byte by byte ("C"): the same equality as any deterministic collation,
    # and their indexes build and compare with memcmp instead of strcoll (a region's first import
    # builds both: 2.5 → 1.6 s for 970,000 people).
    registry_id = models.CharField(
        gettext_lazy("ID в реестре"), max_length=64, unique=True, null=True, blank=True, db_collation="C"
    )
    snils = models.CharField(
        gettext_lazy("СНИЛС"), max_length=11, unique=True, null=True, blank=True, db_collation="C"
    )
    surname = models.CharField(gettext_lazy("Фамилия"), max_length=100)
    name = models.CharField(gettext_lazy("Имя"), max_length=100)
    patronymic = models.CharField(gettext_lazy("Отчество"), max_length=100, blank=True)
    birth_date = models.DateField(gettext_lazy("Дата рождения"), null=True, blank=True)
    sex = models.CharField(gettext_lazy("Пол"), max_length=1, choices=Sex.choices, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["surname", "name", "patronymic", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registry_id__isnull=False) | models.Q(snils__isnull=False),
                name="person_has_stable_key",
            ),
        ]
        indexes = [models.Index(fields=["surname", "name"])]
        verbose_name = gettext_lazy("человек")
        verbose_name_plural = gettext_lazy("люди")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.name, self.patronymic) if p)

    @property
    def snils_masked(self) -> str:
        return mask_snils(self.snils)


class MembershipRole(models.TextChoices):
    STUDENT = "student", gettext_lazy("ученик")
    TEACHER = "teacher", gettext_lazy("учитель")
    SCHOOL_ADMIN = "school_admin", gettext_lazy("администратор школы")
    STAFF = "staff", gettext_lazy("сотрудник")


class Membership(models.Model):
    """A person's role in a school; a student's current class."""

    # No single-column indexes of their own: "membership_unique" (person, school, role) and
    # (school, role) below lead with them. Every index is written on each insert (a region's
    # first import writes 500,000 memberships).
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships", db_index=False)
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    role = models.CharField(max_length=16, choices=MembershipRole.choices)
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "school", "role"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["school", "role"])]  # school_class: its foreign key's index

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} @ {self.school_id}"


class GuardianLink(models.Model):
    # parent: indexed by "guardian_link_unique" (parent, child), which leads with it
    parent = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="children_links", db_index=False
    )
    child = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="guardian_links")
    # мать, отец, опекун, попечитель, иной законный представитель — as the registry says
    relation = models.CharField(gettext_lazy("Кем приходится"), max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="guardian_link_unique"),
            models.CheckConstraint(condition=~models.Q(parent=models.F("child")), name="guardian_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.child_id}"
