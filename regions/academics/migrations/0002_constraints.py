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
                    (regions.academics.models.SingleIdRange("academic_year"), "&&"),
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
