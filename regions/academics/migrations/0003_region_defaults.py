from django.db import migrations


def seed(apps, schema_editor):
    from regions.academics.defaults import seed_region_defaults

    seed_region_defaults(
        scale_model=apps.get_model("academics", "GradingScale"),
        form_model=apps.get_model("academics", "ControlForm"),
        schedule_model=apps.get_model("academics", "BellSchedule"),
        bell_model=apps.get_model("academics", "Bell"),
    )


class Migration(migrations.Migration):
    dependencies = [("academics", "0002_constraints")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
