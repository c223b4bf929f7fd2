"""A configured school for the configuration tests: a region year (2030/2031, in the future so
"from today" rules never cut into it), the federal model curriculum, classes 5А, 5Б, 6Б,
teachers with load, English subgroups of 5А and rooms. Built through the services."""

from __future__ import annotations

from types import SimpleNamespace

from regions.teaching.services import (
    curriculum_fill_from_model,
    room_create,
    subgroups_split,
    teaching_assignment_create,
)
from tests.factories import (
    SchoolClassFactory,
    SchoolFactory,
    make_student,
    make_teacher,
    make_year,
    subject,
)


def build_world(start_year: int = 2030) -> SimpleNamespace:
    w = SimpleNamespace()
    w.year = make_year(start_year)
    curriculum_fill_from_model(school=None, academic_year=w.year)
    w.school = SchoolFactory.create(short_name="МБОУ СОШ №1")
    w.other_school = SchoolFactory.create(short_name="МБОУ СОШ №2")
    w.c5a = SchoolClassFactory.create(school=w.school, parallel=5, letter="А")
    w.c5b = SchoolClassFactory.create(school=w.school, parallel=5, letter="Б")
    w.c6b = SchoolClassFactory.create(school=w.school, parallel=6, letter="Б")
    w.math, w.eng, w.rus, w.pe = subject("math"), subject("eng"), subject("rus"), subject("pe")
    w.ivanova = make_teacher(w.school, "Иванова", "Анна", "Петровна")
    w.petrova = make_teacher(w.school, "Петрова", "Мария", "Сергеевна")
    w.smirnova = make_teacher(w.school, "Смирнова", "Ольга", "Игоревна")
    w.sidorov = make_teacher(w.school, "Сидоров", "Пётр", "Ильич")
    w.students_5a = [make_student(w.c5a, surname=f"Ученик{i}") for i in range(4)]
    w.r204 = room_create(school=w.school, name="204")
    w.r205 = room_create(school=w.school, name="205")
    w.gym = room_create(school=w.school, name="Спортзал", subjects=[w.pe])
    w.g1, w.g2 = subgroups_split(school_class=w.c5a, subject=w.eng)

    def load(teacher, subj, cls=None, group=None, hours=None, room=None):
        return teaching_assignment_create(
            school=w.school,
            teacher=teacher,
            subject=subj,
            school_class=cls,
            group=group,
            hours_per_week=hours,
            room=room,
            academic_year=w.year,
        )

    w.load = load
    w.a_math_5a = load(w.ivanova, w.math, w.c5a, room=w.r204)
    w.a_math_5b = load(w.ivanova, w.math, w.c5b, room=w.r204)
    w.a_math_6b = load(w.ivanova, w.math, w.c6b, room=w.r204)
    w.a_rus_5a = load(w.sidorov, w.rus, w.c5a, room=w.r205)
    w.a_rus_5b = load(w.sidorov, w.rus, w.c5b, room=w.r205)
    w.a_eng_g1 = load(w.petrova, w.eng, group=w.g1)
    w.a_eng_g2 = load(w.smirnova, w.eng, group=w.g2)
    return w
