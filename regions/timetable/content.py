"""Does a lesson have journal content? Generic on purpose: the journal and the diary add their
own tables pointing at ``timetable_lesson`` (marks, attendance, homework…), and this module
must protect them without knowing them. It asks PostgreSQL which foreign keys reference the
lesson table, so *any* row that points at a lesson — from an app written later, or not by
Django at all — keeps the lesson from being deleted by regeneration or a template change.
"""

from __future__ import annotations

from django.db import connection

_REFERENCES = """
SELECT c.conrelid::regclass::text, a.attname
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'timetable_lesson'::regclass
   AND array_length(c.conkey, 1) = 1 AND c.conrelid <> 'timetable_lesson'::regclass
 ORDER BY 1, 2
"""


def lesson_references() -> list[tuple[str, str]]:
    """``(table, column)`` of every foreign key that points at a lesson, in this schema."""
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCES)
        return [(table, column) for table, column in cursor.fetchall()]


def has_content_sql(alias: str = "l", references: list[tuple[str, str]] | None = None) -> str:
    """A SQL boolean: the lesson ``alias`` is referenced by some row. Identifiers come from the
    catalog and are quoted."""
    refs = lesson_references() if references is None else references
    if not refs:
        return "FALSE"
    qn = connection.ops.quote_name
    parts = []
    for table, column in refs:
        quoted_table = ".".join(qn(part.strip('"')) for part in table.split("."))
        parts.append(f"EXISTS (SELECT 1 FROM {quoted_table} r WHERE r.{qn(column)} = {alias}.id)")  # noqa: S608
    return "(" + " OR ".join(parts) + ")"


def lessons_with_content(lesson_ids: list[int]) -> set[int]:
    if not lesson_ids:
        return set()
    sql = f"SELECT l.id FROM timetable_lesson l WHERE l.id = ANY(%s) AND {has_content_sql('l')}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [lesson_ids])
        return {row[0] for row in cursor.fetchall()}
