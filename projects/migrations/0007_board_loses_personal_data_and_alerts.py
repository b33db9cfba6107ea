from django.db import migrations

from ppp.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("procurement", "0003_amendments"),
        ("projects", "0006_evidence_behind_checked_download"),
    ]

    # The board group stops viewing vendor contacts, vendor users and alerts (ppp.roles.BOARD_HIDDEN).
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
