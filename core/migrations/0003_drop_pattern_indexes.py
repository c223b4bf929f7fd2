from django.db import migrations

# Django adds a second index (varchar_pattern_ops, "_like") to every unique or indexed varchar
# column, for LIKE 'prefix%' outside the C locale. Nothing looks accounts up by a prefix of
# their username or identity-provider subject: the unique indexes serve every lookup. These two
# cost ~0.3 s per million accounts in a region's first registry import and a write on every
# insert. Dropped in the schema being migrated only (its search path also holds public).
INDEXES = {
    "core_user_username_36e4f7f7_like": "username",
    "core_user_sso_subject_26fa943c_like": "sso_subject",
}

FORWARD = "\n".join(
    f"DO $$ BEGIN EXECUTE format('DROP INDEX IF EXISTS %I.{name}', current_schema()); END $$;"
    for name in INDEXES
)
BACKWARD = "\n".join(
    f"CREATE INDEX IF NOT EXISTS {name} ON core_user ({column} varchar_pattern_ops);"
    for name, column in INDEXES.items()
)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_sso")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
