from django.contrib.auth.models import Group

from ppp.roles import BOARD, OFFICERS


def test_migration_creates_role_groups_with_their_rights(db):
    officers = set(Group.objects.get(name=OFFICERS).permissions.values_list("codename", flat=True))
    board = set(Group.objects.get(name=BOARD).permissions.values_list("codename", flat=True))

    for model in ("agreement", "costshare", "vendor", "milestone", "deliverable", "project", "expenditure"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}", f"view_{model}"} <= officers
        assert f"view_{model}" in board
    assert all(codename.startswith("view_") for codename in board)
