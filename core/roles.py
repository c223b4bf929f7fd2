"""Platform roles. They are realm roles in Keycloak and travel in tokens as ``realm_access.roles``."""

from django.db import models
from django.utils.translation import gettext_lazy


class Role(models.TextChoices):
    FEDERAL_OPERATOR = "federal_operator", gettext_lazy("Федеральный оператор")
    REGIONAL_ADMIN = "regional_admin", gettext_lazy("Региональный администратор (РЦК)")
    SCHOOL_ADMIN = "school_admin", gettext_lazy("Администратор школы")
    TEACHER = "teacher", gettext_lazy("Учитель")
    STUDENT = "student", gettext_lazy("Ученик")
    PARENT = "parent", gettext_lazy("Родитель")
