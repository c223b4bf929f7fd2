import django.contrib.postgres.constraints
import django.contrib.postgres.fields
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

import regions.academics.models


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0001_initial"),
    ]

    operations = [
        # Exclusion constraints over (year, date range) need btree_gist. Installed into
        # ``public`` so every region schema (search_path = region, public) sees its operator
        # classes; IF NOT EXISTS makes it a no-op for the second and later regions.
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name="holiday",
            name="parallels",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(), blank=True, default=list, size=None
            ),
        ),
        migrations.AddConstraint(
            model_name="gradingscale",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_value__gt", models.F("min_value"))), name="grading_scale_range"
            ),
        ),
        migrations.AddConstraint(
            model_name="studyperiod",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                deferrable=models.Deferrable["DEFERRED"],
                expressions=[
                    ("academic_year", "="),
                    (
                        regions.academics.models.DateRange(
                            "starts_on",
                            "ends_on",
                            django.contrib.postgres.fields.ranges.RangeBoundary(inclusive_upper=True),
                        ),
                        "&&",
                    ),
                ],
                name="period_no_overlap",
                violation_error_message="Периоды учебного года пересекаются",
            ),
        ),
    ]
