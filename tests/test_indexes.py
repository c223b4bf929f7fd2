"""Indexes the registry import writes on every row: no pattern ("_like") copies of unique
indexes on columns nothing searches by prefix (core/migrations/0003, people/migrations/0003)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import tenant_context

from core.models import User

DROPPED = (
    "core_user_username_36e4f7f7_like",
    "core_user_sso_subject_26fa943c_like",
    "people_person_registry_id_63285dbb_like",
    "people_person_snils_a12213e4_like",
)


def _indexes(schema: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename IN ('core_user', 'people_person')",
            [schema],
        )
        return dict(cursor.fetchall())


def test_no_pattern_indexes_in_a_region_or_the_federal_schema(region_a):
    region = _indexes(region_a.schema_name)
    federal = _indexes("public")
    assert not set(DROPPED) & (region.keys() | federal.keys())
    # the lookups keep their unique indexes, in the region and for federal accounts
    for column in ("username", "sso_subject"):
        assert any("UNIQUE INDEX" in d and f"({column})" in d for d in region.values()), column
        assert any("UNIQUE INDEX" in d and f"({column})" in d for d in federal.values()), column
    for column in ("registry_id", "snils", "user_id"):
        assert any("UNIQUE INDEX" in d and f"({column})" in d for d in region.values()), column


# Every index is written on each insert; one whose columns lead another index adds nothing to
# lookups (PostgreSQL searches by a leading prefix of a b-tree's columns).
PREFIX_INDEX_SQL = """
SELECT c.relname, i.indexrelid::regclass::text, o.indexrelid::regclass::text
  FROM pg_index i
  JOIN pg_index o ON o.indrelid = i.indrelid AND o.indexrelid <> i.indexrelid
  JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_am a ON a.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
 WHERE c.relnamespace = %s::regnamespace AND c.relname = ANY(%s) AND a.amname = 'btree'
   AND NOT i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
   AND o.indpred IS NULL AND o.indexprs IS NULL
   AND i.indnkeyatts <= o.indnkeyatts
   AND (o.indkey::int2[])[0:i.indnkeyatts - 1] = (i.indkey::int2[])[0:i.indnkeyatts - 1]
   AND (o.indcollation::oid[])[0:i.indnkeyatts - 1] = (i.indcollation::oid[])[0:i.indnkeyatts - 1]
   AND (o.indclass::oid[])[0:i.indnkeyatts - 1] = (i.indclass::oid[])[0:i.indnkeyatts - 1]
 ORDER BY 1, 2
"""


# The tables a registry import writes (a first import: millions of rows).
REGISTRY_TABLES = [
    "core_user",
    "people_person",
    "people_membership",
    "people_guardianlink",
    "schools_school",
    "schools_schoolclass",
]


def test_no_index_of_a_registry_table_is_the_leading_part_of_another(region_a):
    """people/migrations/0004: memberships had their person and school indexed alone beside the
    unique (person, school, role) and (school, role), and their class twice; guardian links
    their parent beside the unique (parent, child); schools/0003: classes their school beside
    the unique (school, name)."""
    with connection.cursor() as cursor:
        cursor.execute(PREFIX_INDEX_SQL, [region_a.schema_name, REGISTRY_TABLES])
        redundant = cursor.fetchall()
    assert redundant == []


def test_sso_subjects_are_unique_where_set_and_only_they_are_indexed(region_a):
    """core/0005: the accounts of a first import have no subject yet; the unique index holds
    the subjects that are set, and a lookup by subject uses it."""
    with tenant_context(region_a):
        User.objects.create(username="a-1")
        User.objects.create(username="a-2")  # two accounts without a subject
        User.objects.create(username="a-3", sso_subject="sub-1")
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username="a-4", sso_subject="sub-1")
        definition = _indexes(region_a.schema_name)["core_user_sso_subject_set"]
        assert "UNIQUE" in definition and "WHERE (sso_subject IS NOT NULL)" in definition
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT id FROM core_user WHERE sso_subject = 'sub-1'")
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "core_user_sso_subject_set" in plan
