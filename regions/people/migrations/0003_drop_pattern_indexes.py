from django.db import migrations

# As core/migrations/0003: the registry id and SNILS are looked up whole (unique indexes), never
# by a prefix; their "_like" indexes cost ~0.35 s each per million people in a region's first
# registry import and a write on every insert. In the schema being migrated only.
INDEXES = {
    "people_person_registry_id_63285dbb_like": "registry_id",
    "people_person_snils_a12213e4_like": "snils",
}

FORWARD = "\n".join(
    f"DO $$ BEGIN EXECUTE format('DROP INDEX IF EXISTS %I.{name}', current_schema()); END $$;"
    for name in INDEXES
)
BACKWARD = "\n".join(
    f"CREATE INDEX IF NOT EXISTS {name} ON people_person ({column} varchar_pattern_ops);"
    for name, column in INDEXES.items()
)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_guardianlink_relation")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
