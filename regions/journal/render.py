"""The journal grid's rows and the diary week's lessons as HTML, built in Python.

A quarter's journal is ~30 students × ~40 lessons = 1,200 cells, a diary week ~35 lessons
with their marks and homework; through the template engine these loops were most of the
pages' time (measured by ``make bench``). Here every value is escaped exactly as the template
engine escapes it (``html.escape``), and every word goes through ``gettext``; the rest of each
page stays a template.
"""

from __future__ import annotations

# Django's escape() is this one behind a lazy-string wrapper that costs more than the escaping
from html import escape

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from regions.journal.diary import DiaryHomework, DiaryLesson
from regions.journal.grading import hint_lines
from regions.journal.selectors import JournalPage


def _mark(
    mark_id: int,
    value: str,
    weight: int,
    form: str,
    comment: str,
    form_id: int,
    five: int | None,
    weight_word: str,
) -> str:
    title = f"{form}, {weight_word} {weight}" + (f": {comment}" if comment else "")
    weight_sub = f"<sub>{weight}</sub>" if weight != 1 else ""
    return (
        f'<button type="button" class="mark w{weight}" data-mark="{mark_id}" data-value="{escape(value)}" '
        f'data-weight="{weight}" data-five="{"" if five is None else five}" data-form="{form_id}" '
        f'data-comment="{escape(comment)}" title="{escape(title)}">{escape(value)}{weight_sub}</button>'
    )


def _attendance(entry: tuple[int, str, str, str]) -> str:
    att_id, kind, short, reason = entry
    return (
        f'<button type="button" class="att att-{kind}" data-att="{att_id}" data-kind="{kind}" '
        f'data-reason="{escape(reason)}" title="{escape(reason)}">{escape(short)}</button>'
    )


def journal_header(page: JournalPage) -> SafeString:
    """The ``<th>`` of every lesson: date (a link to its topic and homework), substitution,
    topic, homework."""
    out = []
    substitution, homework = _("замена"), _("ДЗ")
    substitution_short = pgettext("substitution, short", "з")
    for col in page.columns:
        classes = (
            "lesson"
            + (" cancelled" if col.is_cancelled else "")
            + (" today" if col.date == page.today else "")
        )
        sub = (
            f'<sup title="{substitution}: {escape(col.substitute_name)}">{substitution_short}</sup>'
            if col.substitute_id
            else ""
        )
        topic = escape(col.topic)
        short = escape(col.topic if len(col.topic) <= 18 else col.topic[:17] + "…")
        out.append(
            f'<th scope="col" class="{classes}" title="{topic}"><a href="/journal/lesson/{col.id}/">'
            f"{col.date:%d.%m}</a>{sub}"
            + (f"<small>{short}</small>" if col.topic else "")
            + (f'<small class="hw">{homework}</small>' if col.has_homework else "")
            + "</th>"
        )
    return mark_safe("".join(out))  # noqa: S308 — every interpolated value is escaped


def journal_rows(page: JournalPage) -> SafeString:
    """``<tr>`` of every student: name, a cell per lesson, the average and the final."""
    out: list[str] = []
    finals = page.finals_writable
    weight_word = _("вес")
    cell_open = [f'<td class="cell" data-lesson="{col.id}">' for col in page.columns]
    for row in page.rows:
        student = row.student
        name = escape(f"{student.surname} {student.name}")
        out.append(
            f'<tr data-student="{student.id}" data-sum="{row.sum_hundredths}" data-weights="{row.weight_sum}">'
            f'<th scope="row" class="student">{name}</th>'
        )
        for c, (marks, attendance, writable) in enumerate(row.cells):
            parts = [_attendance(attendance)] if attendance else []
            parts.extend(_mark(*m, weight_word) for m in marks)
            if writable:
                parts.append('<input class="entry">')  # labelled by the script from the headers
                out.append(f"{cell_open[c]}{''.join(parts)}</td>")
            else:
                out.append(f'<td class="cell closed">{"".join(parts)}</td>')
        average = number_format(row.average, 2) if row.average is not None else ""
        hint = escape("; ".join(hint_lines(row.hints)))
        out.append(f'<td class="avg" title="{hint}">{average}</td>')
        final = row.final
        value = escape(final.value) if final else ""
        mark_cls = " override" if final is not None and final.is_override else ""
        if finals:
            out.append(
                f'<td class="final{mark_cls}"><input class="final-entry" value="{value}" '
                f'placeholder="{escape(row.proposed)}" data-proposed="{escape(row.proposed)}"></td>'
            )
        else:
            out.append(f'<td class="final{mark_cls}">{value}</td>')
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 — every interpolated value is escaped above


# --- the diary week ----------------------------------------------------------------------------------


def _diary_homework(hw: DiaryHomework, *, can_tick: bool, csrf: str, next_path: str) -> str:
    done_cls = " done" if hw.done else ""
    if can_tick:
        checked = " checked" if hw.done else ""
        flag = (
            f'<form method="post" action="/diary/homework/{hw.id}/done/" class="inline done-form">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
            f'<input type="hidden" name="next" value="{escape(next_path)}">'
            f'<input type="hidden" name="done" value="{0 if hw.done else 1}">'
            f'<label><input type="checkbox" class="done-box" data-homework="{hw.id}"{checked}> {_("сделано")}</label>'
            f'<noscript><button type="submit" class="secondary small">'
            f"{_('не сделано') if hw.done else _('сделано')}</button></noscript></form>"
        )
    else:
        flag = f'<span class="done-flag">{"✓ " + _("сделано") if hw.done else "☐ " + _("не отмечено")}</span>'
    variant = f"<em>{_('ваш вариант')}:</em> " if hw.is_variant else ""
    text = escape(hw.text).replace("\n", "<br>")
    files = "".join(f'<a href="/journal/files/{f.id}/">{escape(f.name)}</a>' for f in hw.files)
    return f'<div class="hw{done_cls}">{flag}<span class="hw-text">{variant}{text}</span>{files}</div>'


def diary_homework(items: list[DiaryHomework], *, can_tick: bool, csrf: str, next_path: str) -> SafeString:
    html = "".join(_diary_homework(h, can_tick=can_tick, csrf=csrf, next_path=next_path) for h in items)
    return mark_safe(html)  # noqa: S308 — every interpolated value is escaped


def diary_rows(lessons: list[DiaryLesson], *, can_tick: bool, csrf: str, next_path: str) -> SafeString:
    """``<tr>`` of a day's lessons: time, subject and teacher with the timetable's changes,
    topic and homework, attendance and marks."""
    weight_label, lesson_label = _("вес"), _("урок")
    out = []
    for lesson in lessons:
        notes = []
        if lesson.is_substitution:
            notes.append(f' <span class="tag">{_("замена")}</span>')
        if lesson.room:
            notes.append(f" · {escape(lesson.room)}")
        extra = []
        if lesson.is_cancelled:
            extra.append(f'<br><span class="tag bad">{_("отменён")}</span>')
        if lesson.moved_from_date:
            number = f", {lesson.moved_from_number} {lesson_label}" if lesson.moved_from_number else ""
            extra.append(
                f'<br><span class="tag">{_("перенесён с")} {lesson.moved_from_date:%d.%m}{number}</span>'
            )
        if lesson.is_remote:
            extra.append(f'<br><span class="tag">{_("дистанционно")}</span>')
            if lesson.video_url.startswith(("https://", "http://")):  # never a javascript: link
                extra.append(
                    f' <a href="{escape(lesson.video_url)}" target="_blank" rel="noopener noreferrer">'
                    f"{_('видеоурок')}</a>"
                )
        if lesson.change_note:
            extra.append(f'<br><small class="muted">{escape(lesson.change_note)}</small>')
        topic = f'<div class="topic">{escape(lesson.topic)}</div>' if lesson.topic else ""
        homework = diary_homework(lesson.homework, can_tick=can_tick, csrf=csrf, next_path=next_path)
        marks, mark_notes = [], []
        if lesson.attendance is not None:
            a = lesson.attendance
            title = escape(a.label + (f": {a.reason}" if a.reason else ""))
            marks.append(f'<span class="att att-{a.kind}" title="{title}">{escape(a.short)}</span>')
            if a.reason:
                mark_notes.append(f"{escape(a.label)}: {escape(a.reason)}")
        for m in lesson.marks:
            title = escape(
                f"{m.control_form}, {weight_label} {m.weight}" + (f": {m.comment}" if m.comment else "")
            )
            marks.append(
                f'<span class="mark w{m.weight}" title="{title}">{escape(m.value)}<sub>{m.weight}</sub></span>'
            )
            # a phone shows no tooltips: the teacher's comment and a weighty form are written out
            if m.comment or m.weight > 1:
                mark_notes.append(
                    f"{escape(m.value)} — {escape(m.control_form)}"
                    + (f": {escape(m.comment)}" if m.comment else "")
                )
        if mark_notes:
            marks.append("".join(f'<small class="mark-note">{note}</small>' for note in mark_notes))
        cancelled = " cancelled" if lesson.is_cancelled else ""
        out.append(
            f'<tr class="lesson-row{cancelled}" data-lesson="{lesson.id}">'
            f'<td>{lesson.lesson_number}<br><small class="muted">{lesson.starts_at:%H:%M}–{lesson.ends_at:%H:%M}'
            f"</small></td>"
            f"<td><strong>{escape(lesson.subject)}</strong><br><small>{escape(lesson.teacher)}{''.join(notes)}</small>"
            f"{''.join(extra)}</td>"
            f"<td>{topic}{homework}</td>"
            f'<td class="marks">{"".join(marks)}</td></tr>'
        )
    return mark_safe("".join(out))  # noqa: S308 — every interpolated value is escaped
