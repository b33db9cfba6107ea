from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ppp.roles import BOARD, OFFICERS, sync_role_groups

MIGRATION = ("projects", "0007_board_loses_personal_data_and_alerts")


def test_migration_creates_role_groups_with_their_rights(db):
    officers = set(Group.objects.get(name=OFFICERS).permissions.values_list("codename", flat=True))
    board = set(Group.objects.get(name=BOARD).permissions.values_list("codename", flat=True))

    for model in ("agreement", "costshare", "vendor", "milestone", "deliverable", "project", "expenditure"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= officers
        assert f"view_{model}" in board
    assert all(codename.startswith("view_") for codename in board)


def test_board_group_sees_no_personal_data_nor_alerts(db):
    board = set(Group.objects.get(name=BOARD).permissions.values_list("codename", flat=True))

    assert not board & {"view_vendorcontact", "view_vendoruser", "view_alert", "view_authtoken"}


def test_migration_takes_back_what_older_syncs_granted_the_board(db):
    # Databases set up before the change had granted these; the data migration removes them.
    hidden = Permission.objects.filter(codename__in=["view_vendorcontact", "view_vendoruser", "view_alert"])
    board = Group.objects.get(name=BOARD)
    board.permissions.add(*hidden)
    state_apps = MigrationExecutor(connection).loader.project_state(MIGRATION).apps

    sync_role_groups(state_apps)

    assert not board.permissions.filter(pk__in=hidden).exists()
    assert board.permissions.filter(codename="view_deliverable").exists()
