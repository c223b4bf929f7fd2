from django.db import migrations


def create_public(apps, schema_editor):
    Region = apps.get_model("tenants", "Region")
    Region.objects.get_or_create(schema_name="public", defaults={"name": "Федеральный уровень", "code": None})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_public, migrations.RunPython.noop)]
