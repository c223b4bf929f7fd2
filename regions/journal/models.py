"""The class journal and what the diary reads from it: marks, attendance, lesson topics,
homework, final marks, and the notifications they cause.

Nothing here is hard-deleted: a mark, an attendance entry, a homework or a final mark that is
"deleted" gets ``is_deleted`` and stays, and every create/change/delete of a mark, an
attendance entry or a final mark is in the audit trail (``core.AuditEvent``). Writes go
through ``regions.journal.services``; reads through ``regions.journal.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

NOT_DELETED = models.Q(is_deleted=False)


class Mark(models.Model):
    """One mark of one student at one lesson; a lesson may have several marks per student.

    ``value`` is the mark as written in the school's scale («5», «87», «зч»). ``value_five``
    (its value on the 5-point scale, ``NULL`` for pass/fail) and ``weight`` (the control
    form's weight) are captured when the mark is entered: a later change of the scale's
    conversion or of the form's weight does not silently rewrite old averages.
    """

    lesson = models.ForeignKey(
        "timetable.Lesson", on_delete=models.PROTECT, related_name="marks", db_index=False
    )
    student = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="marks", db_index=False
    )
    value = models.CharField(gettext_lazy("Оценка"), max_length=8)
    value_five = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    control_form = models.ForeignKey(
        "academics.ControlForm", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    weight = models.PositiveSmallIntegerField(gettext_lazy("Вес"))
    comment = models.CharField(gettext_lazy("Комментарий"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lesson_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=10), name="mark_weight_range"
            ),
        ]
        indexes = [
            # the journal: marks of a page's lessons; the diary: a student's marks
            # Full (not partial) indexes: a lesson's PROTECT check on delete filters by lesson_id
            # alone, and must not scan a region's tens of millions of marks.
            models.Index(fields=["lesson", "student"], name="mark_lesson_student"),
            models.Index(fields=["student", "lesson"], name="mark_student_lesson"),
        ]
        verbose_name = gettext_lazy("оценка")
        verbose_name_plural = gettext_lazy("оценки")

    def __str__(self) -> str:
        return _("%(value)s (вес %(weight)s)") % {"value": self.value, "weight": self.weight}


class AttendanceKind(models.TextChoices):
    ABSENT = "absent", gettext_lazy("отсутствовал")
    LATE = "late", gettext_lazy("опоздал")
    ILL = "ill", gettext_lazy("болел")


ATTENDANCE_SHORT = {
    AttendanceKind.ABSENT: pgettext_lazy("attendance mark, short", "н"),
    AttendanceKind.LATE: pgettext_lazy("attendance mark, short", "оп"),
    AttendanceKind.ILL: pgettext_lazy("attendance mark, short", "б"),
}


class Attendance(models.Model):
    """A student missing (part of) a lesson. At most one live entry per lesson and student;
    a removed entry stays with ``is_deleted``."""

    lesson = models.ForeignKey("timetable.Lesson", on_delete=models.PROTECT, related_name="attendance")
    student = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="attendance", db_index=False
    )
    kind = models.CharField(gettext_lazy("Отметка"), max_length=8, choices=AttendanceKind.choices)
    reason = models.CharField(gettext_lazy("Причина"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lesson_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "student"], condition=NOT_DELETED, name="attendance_one_per_lesson"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "lesson"], name="attendance_student"),
        ]
        verbose_name = gettext_lazy("посещаемость")
        verbose_name_plural = gettext_lazy("посещаемость")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.lesson_id}, {self.student_id})"

    @property
    def short(self) -> str:
        return str(ATTENDANCE_SHORT.get(AttendanceKind(self.kind), self.kind))


class LessonContent(models.Model):
    """What a lesson was about: the topic the teacher writes in the journal."""

    lesson = models.OneToOneField(
        "timetable.Lesson", on_delete=models.PROTECT, primary_key=True, related_name="content"
    )
    topic = models.CharField(gettext_lazy("Тема урока"), max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("тема урока")
        verbose_name_plural = gettext_lazy("темы уроков")

    def __str__(self) -> str:
        return self.topic


class Homework(models.Model):
    """Homework given at ``lesson`` and due at ``due_lesson`` (by default the next lesson of
    the same class or group and subject). When there is no later lesson (the end of the
    year), ``due_lesson`` is empty and ``due_date`` says when it is due."""

    lesson = models.ForeignKey("timetable.Lesson", on_delete=models.PROTECT, related_name="homework_given")
    due_lesson = models.ForeignKey(
        "timetable.Lesson",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="homework_due",
    )
    due_date = models.DateField(gettext_lazy("Срок"), null=True, blank=True)
    text = models.TextField(gettext_lazy("Задание"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["lesson_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_lesson__isnull=False) | models.Q(due_date__isnull=False),
                name="homework_has_due",
            ),
        ]
        indexes = [
            # the diary's homework due on a date rather than at a lesson
            models.Index(
                fields=["due_date"], condition=models.Q(due_lesson__isnull=True), name="homework_due_date"
            ),
        ]
        verbose_name = gettext_lazy("домашнее задание")
        verbose_name_plural = gettext_lazy("домашние задания")

    def __str__(self) -> str:
        return self.text[:60]


class HomeworkVariant(models.Model):
    """A student's own variant of a homework: that student sees it instead of the common text."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="variants")
    student = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(gettext_lazy("Задание (вариант ученика)"))

    class Meta:
        ordering = ["homework_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["homework", "student"], name="homework_variant_unique"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


def homework_upload_to(instance: HomeworkFile, filename: str) -> str:
    # default_storage already puts every region's files under its own schema directory
    return f"homework/{instance.homework_id}/{filename}"


class HomeworkFile(models.Model):
    """A file attached to a homework (or to one student's variant of it). Served only through
    ``journal:homework-file``, which checks who may see it."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="files")
    variant = models.ForeignKey(
        HomeworkVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="files"
    )
    file = models.FileField(upload_to=homework_upload_to, max_length=300)
    name = models.CharField(max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["homework_id", "id"]

    def __str__(self) -> str:
        return self.name


class HomeworkDone(models.Model):
    """The student's own "done" flag on a homework (parents see it)."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="done_flags")
    student = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+", db_index=False)
    done = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["homework", "student"], name="homework_done_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.homework_id}: {self.student_id} {'✓' if self.done else '—'}"


class FinalMark(models.Model):
    """A period's (``period`` set) or the year's (``period`` empty) final mark of a student in
    a subject. The system proposes ``proposed_average`` (rounded: ``proposed_value``); the
    teacher confirms it or sets another ``value`` (``is_override``). After the period's
    ``closes_on`` only the school admin may change it."""

    student = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="final_marks", db_index=False
    )
    subject = models.ForeignKey("teaching.Subject", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        "teaching.StudyGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    academic_year = models.ForeignKey("academics.AcademicYear", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(
        "academics.StudyPeriod", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_average = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    proposed_value = models.CharField(gettext_lazy("Предложено"), max_length=8, blank=True)
    value = models.CharField(gettext_lazy("Итоговая оценка"), max_length=8)
    is_override = models.BooleanField(gettext_lazy("Изменена учителем"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    confirmed_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["student_id", "subject_id", "period_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "subject", "academic_year", "period"],
                condition=NOT_DELETED,
                nulls_distinct=False,
                name="final_mark_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(school_class__isnull=False, group__isnull=True)
                    | models.Q(school_class__isnull=True, group__isnull=False)
                ),
                name="final_mark_class_xor_group",
            ),
        ]
        verbose_name = gettext_lazy("итоговая оценка")
        verbose_name_plural = gettext_lazy("итоговые оценки")

    def __str__(self) -> str:
        return self.value


class NotificationKind(models.TextChoices):
    MARK_NEW = "mark_new", gettext_lazy("новая оценка")
    MARK_CHANGED = "mark_changed", gettext_lazy("оценка изменена")
    ABSENCE = "absence", gettext_lazy("пропуск урока")


class Notification(models.Model):
    """An in-app notification; e-mailed too when the recipient's preferences say so."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    student = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    is_read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # the user wants e-mail but not the in-app list for this kind: the row exists for the
    # e-mail task and stays out of the list
    in_app = models.BooleanField(default=True)
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], condition=models.Q(in_app=True), name="notification_list"
            ),
            models.Index(
                fields=["recipient"],
                condition=models.Q(is_read=False, in_app=True),
                name="notification_unread",
            ),
        ]
        verbose_name = gettext_lazy("уведомление")
        verbose_name_plural = gettext_lazy("уведомления")

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """Per user: which events notify in the app and by e-mail. No row = the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marks_in_app = models.BooleanField(gettext_lazy("Оценки — в приложении"), default=True)
    marks_email = models.BooleanField(gettext_lazy("Оценки — по почте"), default=True)
    absences_in_app = models.BooleanField(gettext_lazy("Пропуски — в приложении"), default=True)
    absences_email = models.BooleanField(gettext_lazy("Пропуски — по почте"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("настройки уведомлений")
        verbose_name_plural = gettext_lazy("настройки уведомлений")

    def __str__(self) -> str:
        return str(self.user_id)


class DataVersion(models.Model):
    """A version of what cached pages and rights were built from, per *scope*: ``region``
    (schools, classes, people, memberships, guardians, groups, subjects, rooms, teacher load,
    years, periods, scales, control forms), ``c:<class id>`` / ``g:<group id>`` (a class's or a
    group's lessons and everything written on them: marks, attendance, topics, homework,
    finals) and ``u:<user id>`` (an account and its notifications).

    Written only by PostgreSQL triggers (migration ``0002_dataversion``) in the transaction
    that changes the rows, whoever changes them — a service, the registry import's bulk SQL,
    the shell — so a page checked against these versions can never be served from a cache
    after a committed change. ``n`` is a random number: it is only compared for equality, and a
    rolled-back or restored value is never taken again. See ``regions/journal/versions.py``.
    """

    scope = models.CharField(max_length=40, primary_key=True)
    n = models.BigIntegerField()

    class Meta:
        verbose_name = "версия данных"
        verbose_name_plural = "версии данных"

    def __str__(self) -> str:
        return f"{self.scope}={self.n}"
