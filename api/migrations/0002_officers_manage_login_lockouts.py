from django.db import migrations

from ppp.roles import sync_role_groups


class Migration(migrations.Migration):
    """Procurement officers see failed logins and lift lockouts (django-axes's Access attempts) in the admin."""

    dependencies = [
        ("axes", "0010_accessattemptexpiration"),
        ("api", "0001_officers_manage_api_tokens"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
