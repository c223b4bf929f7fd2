from django.db import migrations

from core.db import drop_pattern_indexes_sql

# As core/migrations/0003: the registry id and SNILS are looked up whole (unique indexes), never
# by a prefix; their "_like" indexes cost ~0.35 s each per million people in a region's first
# registry import and a write on every insert.
FORWARD, BACKWARD = drop_pattern_indexes_sql(
    "people_person",
    {
        "people_person_registry_id_63285dbb_like": "registry_id",
        "people_person_snils_a12213e4_like": "snils",
    },
)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_guardianlink_relation")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
