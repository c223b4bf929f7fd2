"""Platform roles. They are realm roles in Keycloak and travel in tokens as ``realm_access.roles``."""

from django.db import models


class Role(models.TextChoices):
    FEDERAL_OPERATOR = "federal_operator", "Федеральный оператор"
    REGIONAL_ADMIN = "regional_admin", "Региональный администратор (РЦК)"
    SCHOOL_ADMIN = "school_admin", "Администратор школы"
    TEACHER = "teacher", "Учитель"
    STUDENT = "student", "Ученик"
    PARENT = "parent", "Родитель"
