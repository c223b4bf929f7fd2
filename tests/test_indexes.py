"""Indexes the registry import writes on every row: no pattern ("_like") copies of unique
indexes on columns nothing searches by prefix (core/migrations/0003, people/migrations/0003)."""

from django.db import connection

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
