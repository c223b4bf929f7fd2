from django.db import migrations

from core.db import drop_pattern_indexes_sql

# Django adds a second index (varchar_pattern_ops, "_like") to every unique or indexed varchar
# column, for LIKE 'prefix%' outside the C locale. Nothing looks accounts up by a prefix of
# their username or identity-provider subject: the unique indexes serve every lookup. These two
# cost ~0.3 s per million accounts in a region's first registry import and a write on every
# insert.
FORWARD, BACKWARD = drop_pattern_indexes_sql(
    "core_user",
    {
        "core_user_username_36e4f7f7_like": "username",
        "core_user_sso_subject_26fa943c_like": "sso_subject",
    },
)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_sso")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
