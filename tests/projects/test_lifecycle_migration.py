"""The migrations that introduce lifecycles move existing projects (and their recorded gate decisions) from the old
pilot / rollout / operation / closed phases to their method's phases, redate old decisions to the day they were
recorded, and seed the gate checklists."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ppp.factories import OfficerFactory
from projects.factories import ProjectFactory
from projects.models import GateCriterion, GateDecision, Project

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("projects", "0011_alert_cycles_outbox_notifications")
AFTER = ("projects", "0014_lifecycle_phase_constraints")


def _migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())
    return executor


@pytest.mark.parametrize(
    ("method", "mapping"),
    [
        ("ppp", {"pilot": "financial_close", "rollout": "construction", "operation": "commercial_operation"}),
        ("agile", {"pilot": "alpha", "rollout": "beta", "operation": "live"}),
    ],
)
def test_existing_projects_and_decisions_move_to_their_methods_lifecycle(method, mapping):
    officer = OfficerFactory()
    projects = {old: ProjectFactory(delivery_method=method, code=f"OLD-{old}") for old in [*mapping, "closed"]}
    today = timezone.localdate()

    try:
        executor = _migrate(BEFORE)
        old_apps = executor.loader.project_state([BEFORE]).apps
        OldProject = old_apps.get_model("projects", "Project")
        OldDecision = old_apps.get_model("projects", "GateDecision")
        for old, project in projects.items():
            OldProject.objects.filter(pk=project.pk).update(phase=old)
        rollout = projects["rollout"]
        # The old form let an officer date a decision a month back; another was dated the day it was recorded.
        backdated = OldDecision.objects.create(
            project_id=rollout.pk,
            from_phase="pilot",
            to_phase="rollout",
            decided_on=today - datetime.timedelta(days=30),
            decided_by_id=officer.pk,
            criteria_met=True,
        )
        same_day = OldDecision.objects.create(
            project_id=projects["operation"].pk,
            from_phase="rollout",
            to_phase="operation",
            decided_on=today,
            decided_by_id=officer.pk,
            criteria_met=False,
            override_reason="Minister's direction",
        )

        _migrate(AFTER)
    finally:
        _migrate()  # back to the latest schema for the tests that follow

    phases = dict(Project.objects.filter(pk__in=[p.pk for p in projects.values()]).values_list("code", "phase"))
    assert phases == {f"OLD-{old}": new for old, new in [*mapping.items(), ("closed", "closed")]}
    backdated = GateDecision.objects.get(pk=backdated.pk)
    assert (backdated.from_phase, backdated.to_phase) == (mapping["pilot"], mapping["rollout"])
    assert (backdated.decided_on, backdated.meeting_date) == (today, today - datetime.timedelta(days=30))
    same_day = GateDecision.objects.get(pk=same_day.pk)
    assert (same_day.to_phase, same_day.decided_on, same_day.meeting_date) == (mapping["operation"], today, None)
    assert same_day.is_override and not same_day.checks.exists()
    # The checklists are seeded, with a first version in their history.
    assert GateCriterion.objects.filter(delivery_method=method).count() >= 12
    assert GateCriterion.history.filter(text="Senior debt agreements signed").exists()
