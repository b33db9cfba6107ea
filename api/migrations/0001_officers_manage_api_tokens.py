from django.db import migrations

from ppp.roles import sync_role_groups


class Migration(migrations.Migration):
    """Procurement officers issue and revoke partner-API tokens (knox's AuthToken) in the admin."""

    dependencies = [
        ("knox", "0009_extend_authtoken_field"),
        ("projects", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
