"""The journal grid's rows as HTML, built in Python.

A quarter's journal is ~30 students × ~40 lessons = 1,200 cells; through the template engine
that is tens of thousands of node renders and dominates the page's time (measured by
``make bench``). Here every value is escaped with ``django.utils.html.escape`` exactly as the
template engine would; the rest of the page stays a template.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from regions.journal.selectors import JournalPage


def _mark(mark_id: int, value: str, weight: int, form: str, comment: str, form_id: int) -> str:
    title = f"{form}, вес {weight}" + (f": {comment}" if comment else "")
    weight_sub = f"<sub>{weight}</sub>" if weight != 1 else ""
    return (
        f'<button type="button" class="mark w{weight}" data-mark="{mark_id}" data-value="{escape(value)}" '
        f'data-weight="{weight}" data-form="{form_id}" data-comment="{escape(comment)}" '
        f'title="{escape(title)}">{escape(value)}{weight_sub}</button>'
    )


def _attendance(entry: tuple[int, str, str, str]) -> str:
    att_id, kind, short, reason = entry
    return (
        f'<button type="button" class="att att-{kind}" data-att="{att_id}" data-kind="{kind}" '
        f'data-reason="{escape(reason)}" title="{escape(reason)}">{escape(short)}</button>'
    )


def journal_rows(page: JournalPage) -> SafeString:
    """``<tr>`` of every student: name, a cell per lesson, the average and the final."""
    out: list[str] = []
    finals = page.finals_writable
    for r, row in enumerate(page.rows):
        student = row.student
        name = escape(f"{student.surname} {student.name}")
        out.append(f'<tr data-student="{student.id}"><th scope="row" class="student">{name}</th>')
        for c, (marks, attendance, writable) in enumerate(row.cells):
            parts = [_attendance(attendance)] if attendance else []
            parts.extend(_mark(*m) for m in marks)
            if writable:
                parts.append(
                    f'<input class="entry" data-r="{r}" data-c="{c}" autocomplete="off" '
                    f'aria-label="{name}, {page.columns[c].date:%d.%m}">'
                )
                out.append(f'<td class="cell" data-lesson="{page.columns[c].id}">{"".join(parts)}</td>')
            else:
                out.append(f'<td class="cell closed">{"".join(parts)}</td>')
        average = number_format(row.average, 2) if row.average is not None else ""
        hint = escape("; ".join(f"до «{h.target}»: {h.count} × «5» вес {h.weight}" for h in row.hints))
        out.append(f'<td class="avg" title="{hint}">{average}</td>')
        final = row.final
        value = escape(final.value) if final else ""
        mark_cls = " override" if final is not None and final.is_override else ""
        if finals:
            out.append(
                f'<td class="final{mark_cls}"><input class="final-entry" data-r="{r}" data-c="{len(row.cells)}" '
                f'value="{value}" placeholder="{escape(row.proposed)}" data-proposed="{escape(row.proposed)}" '
                f'autocomplete="off" aria-label="{name}: итоговая оценка"></td>'
            )
        else:
            out.append(f'<td class="final{mark_cls}">{value}</td>')
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 — every interpolated value is escaped above
