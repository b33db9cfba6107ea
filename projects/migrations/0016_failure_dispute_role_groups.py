from django.db import migrations

from ppp.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0015_kpi_self_reporting_and_failure_disputes"),
    ]

    # Officers decide and boards view performance-failure disputes.
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
