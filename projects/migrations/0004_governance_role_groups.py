from django.db import migrations

from ppp.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0003_amendments"),
        ("projects", "0003_governance_gates_risks_kpis_failures"),
    ]

    # Officers manage and boards view the new governance models.
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
