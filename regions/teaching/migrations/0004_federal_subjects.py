from django.db import migrations


def load(apps, schema_editor):
    from regions.teaching.defaults import load_federal_subjects

    load_federal_subjects(apps.get_model("teaching", "Subject"))


class Migration(migrations.Migration):
    dependencies = [("teaching", "0003_rooms_and_load")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
