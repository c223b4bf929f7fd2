# ruff: noqa: S608 — the SQL is built from this file's constants only
"""Data versions kept by PostgreSQL itself (see ``DataVersion`` and ``regions/journal/versions.py``).

Every table that the journal page, the diary week, the header or a viewer's rights are read
from gets a trigger that sets a new version of the scope the change touches, in the changing
transaction. Whatever writes the rows — a service, the registry import's set-based SQL,
``lessons_generate``, the shell — moves the version, so a cache checked against it cannot serve
what was true before a committed change.

* roster and configuration tables → ``region`` (once per statement: no transition tables, so the
  import's million-row statements pay nothing per row);
* lessons and what is written on them → ``c:<class>`` / ``g:<group>`` of the lesson, and for a
  student's marks, attendance and finals also the student's own classes and groups (a journal's
  averages count the marks a student got in another class earlier in the period);
* an account (anything but ``last_login``) and its notifications → ``u:<user>``; a person's
  link to an account → ``u:`` of both accounts, any other change of a person → ``region``.

A statement that touches more than 1,000 rows sets ``region`` instead of listing its scopes.
Scopes are locked in sorted order within a statement; the functions run with the search path
of the schema they were created in (each region's own).
"""

from django.db import migrations, models

BIG = 1000

ROSTER_TABLES = [
    "schools_school",
    "schools_schoolclass",
    "people_membership",
    "people_guardianlink",
    "teaching_subject",
    "teaching_room",
    "teaching_studygroup",
    "teaching_studygroup_members",
    "teaching_teachingassignment",
    "academics_academicyear",
    "academics_studyperiod",
    "academics_gradingscale",
    "academics_controlform",
]

# scopes of the rows of a transition table (%1$I), per table
_LESSON = (
    "SELECT v.s FROM %1$I r JOIN timetable_lesson l ON l.id = r.{col} "
    "CROSS JOIN LATERAL (VALUES ('c:' || l.school_class_id), ('g:' || l.group_id)) v(s)"
)
_STUDENT = (
    "SELECT 'c:' || m.school_class_id FROM %1$I r "
    "JOIN people_membership m ON m.person_id = r.student_id AND m.role = 'student' "
    "UNION ALL SELECT 'g:' || g.studygroup_id FROM %1$I r "
    "JOIN teaching_studygroup_members g ON g.person_id = r.student_id"
)
_HOMEWORK = (
    "SELECT v.s FROM %1$I r JOIN journal_homework h ON h.id = r.homework_id "
    "JOIN timetable_lesson l ON l.id IN (h.lesson_id, h.due_lesson_id) "
    "CROSS JOIN LATERAL (VALUES ('c:' || l.school_class_id), ('g:' || l.group_id)) v(s)"
)
ROW_TABLES = {
    "timetable_lesson": (
        "SELECT v.s FROM %1$I r CROSS JOIN LATERAL (VALUES ('c:' || r.school_class_id), ('g:' || r.group_id)) v(s)"
    ),
    "journal_mark": _LESSON.format(col="lesson_id") + " UNION ALL " + _STUDENT,
    "journal_attendance": _LESSON.format(col="lesson_id") + " UNION ALL " + _STUDENT,
    "journal_finalmark": (
        "SELECT v.s FROM %1$I r CROSS JOIN LATERAL (VALUES ('c:' || r.school_class_id), ('g:' || r.group_id)) v(s)"
        " UNION ALL " + _STUDENT
    ),
    "journal_lessoncontent": _LESSON.format(col="lesson_id"),
    "journal_homework": _LESSON.format(col="lesson_id") + " UNION ALL " + _LESSON.format(col="due_lesson_id"),
    "journal_homeworkvariant": _HOMEWORK,
    "journal_homeworkfile": _HOMEWORK,
    "journal_homeworkdone": _HOMEWORK,
    "journal_notification": "SELECT 'u:' || r.recipient_id FROM %1$I r",
}

FUNCTIONS = f"""
CREATE FUNCTION journal_version_bump(scopes text[]) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    INSERT INTO journal_dataversion AS v (scope, n)
    SELECT s, (random() * 9007199254740991)::bigint
      FROM (SELECT DISTINCT s FROM unnest(scopes) AS u(s) WHERE s IS NOT NULL) AS x
     ORDER BY s
    ON CONFLICT (scope) DO UPDATE SET n = EXCLUDED.n
$$;

CREATE FUNCTION journal_version_region() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM journal_version_bump(ARRAY['region']);
    RETURN NULL;
END $$;

-- TG_ARGV[0]: a query of the scopes of the rows of the transition table named by %1$I
CREATE FUNCTION journal_version_rows() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    tables text[] := CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                                ELSE ARRAY['old_rows', 'new_rows'] END;
    t text;
    n bigint;
    got text[];
    scopes text[] := '{{}}';
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('SELECT count(*) FROM %I', t) INTO n;
        IF n > {BIG} THEN
            PERFORM journal_version_bump(ARRAY['region']);
            RETURN NULL;
        END IF;
        IF n > 0 THEN
            EXECUTE format('SELECT array_agg(s) FROM (' || TG_ARGV[0] || ') AS x(s)', t) INTO got;
            scopes := scopes || coalesce(got, '{{}}');
        END IF;
    END LOOP;
    PERFORM journal_version_bump(scopes);
    RETURN NULL;
END $$;

-- accounts: any change but a login's last_login
CREATE FUNCTION journal_version_users() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF (SELECT count(*) FROM old_rows) > {BIG} THEN
            PERFORM journal_version_bump(ARRAY['region']);
        ELSE
            PERFORM journal_version_bump(ARRAY(SELECT 'u:' || id FROM old_rows));
        END IF;
        RETURN NULL;
    END IF;
    IF (SELECT count(*) FROM new_rows) > {BIG} THEN
        PERFORM journal_version_bump(ARRAY['region']);
        RETURN NULL;
    END IF;
    PERFORM journal_version_bump(ARRAY(
        SELECT 'u:' || n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (to_jsonb(n) - 'last_login') IS DISTINCT FROM (to_jsonb(o) - 'last_login')));
    RETURN NULL;
END $$;

-- people: a new person is on no page until a membership or a link names them; a changed link
-- to an account moves both accounts' rights, any other change the region
CREATE FUNCTION journal_version_people() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF (SELECT count(*) FROM new_rows) > {BIG} OR EXISTS (
        SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (to_jsonb(n) - 'user_id' - 'updated_at') IS DISTINCT FROM (to_jsonb(o) - 'user_id' - 'updated_at'))
    THEN
        PERFORM journal_version_bump(ARRAY['region']);
        RETURN NULL;
    END IF;
    PERFORM journal_version_bump(ARRAY(
        SELECT 'u:' || x FROM new_rows n JOIN old_rows o ON o.id = n.id
         CROSS JOIN LATERAL (VALUES (n.user_id), (o.user_id)) v(x)
         WHERE n.user_id IS DISTINCT FROM o.user_id));
    RETURN NULL;
END $$;
"""


def _triggers() -> str:
    out = []
    for table in ROSTER_TABLES:
        out.append(
            f"CREATE TRIGGER journal_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_region();"
        )
    for table, query in ROW_TABLES.items():
        arg = "'" + query.replace("'", "''") + "'"
        out += [
            f"CREATE TRIGGER journal_version_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION journal_version_rows({arg});",
            f"CREATE TRIGGER journal_version_upd AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION journal_version_rows({arg});",
            f"CREATE TRIGGER journal_version_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION journal_version_rows({arg});",
            f"CREATE TRIGGER journal_version_trunc AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_region();",
        ]
    out += [
        "CREATE TRIGGER journal_version_upd AFTER UPDATE ON core_user "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_users();",
        "CREATE TRIGGER journal_version_del AFTER DELETE ON core_user REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_users();",
        "CREATE TRIGGER journal_version_trunc AFTER TRUNCATE ON core_user "
        "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_region();",
        "CREATE TRIGGER journal_version_upd AFTER UPDATE ON people_person "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_people();",
        "CREATE TRIGGER journal_version AFTER DELETE OR TRUNCATE ON people_person "
        "FOR EACH STATEMENT EXECUTE FUNCTION journal_version_region();",
    ]
    return "\n".join(out)


def _drop() -> str:
    tables = [*ROSTER_TABLES, *ROW_TABLES, "core_user", "people_person"]
    out = [
        f"DROP TRIGGER IF EXISTS {name} ON {table};"
        for table in tables
        for name in (
            "journal_version",
            "journal_version_ins",
            "journal_version_upd",
            "journal_version_del",
            "journal_version_trunc",
        )
    ]
    out += [
        "DROP FUNCTION journal_version_people();",
        "DROP FUNCTION journal_version_users();",
        "DROP FUNCTION journal_version_rows();",
        "DROP FUNCTION journal_version_region();",
        "DROP FUNCTION journal_version_bump(text[]);",
    ]
    return "\n".join(out)


class Migration(migrations.Migration):
    dependencies = [
        ("journal", "0001_initial"),
        ("academics", "0003_region_defaults"),
        ("core", "0002_sso"),
        ("people", "0002_guardianlink_relation"),
        ("schools", "0002_schoolclass_class_teacher_schoolclass_shift"),
        ("teaching", "0004_federal_subjects"),
        ("timetable", "0003_lesson_planned_date_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("scope", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("n", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "версия данных",
                "verbose_name_plural": "версии данных",
            },
        ),
        migrations.RunSQL(FUNCTIONS + _triggers(), _drop()),
    ]
