"""Existing projects move to the lifecycle of their delivery method; gate checklists are seeded.

Mapping of the old phases (every project went pilot → rollout → operation → closed):

* PPP: pilot → financial close, rollout → construction, operation → commercial operation, closed → closed.
  A PPP project exists under a signed agreement, so procurement is behind it; its "pilot" was the time before
  the works were funded, its "rollout" the build-out, its "operation" the service under the contract.
* Agile: pilot → alpha, rollout → beta, operation → live, closed → closed. An agile pilot is an alpha (a working
  prototype with real users), a phased rollout is a beta, operation is live.

Each project keeps the number of gates it passed, and its recorded gate decisions are mapped the same way, so
its history still leads to its phase. Old decisions were dated by whoever recorded them: each is now dated the
day it was actually recorded (``created_at``), and an earlier date the officer typed is kept as its
``meeting_date`` (a later, future date is dropped). Old decisions have no itemised checks; their one
``criteria_met`` answer stays as recorded.

Going back (unapplying) maps the phases back; the extra phases fold into their neighbours (procurement and
financial close → pilot, handback → operation; discovery and alpha → pilot), and the decisions that fold into
a move from a phase to itself, the itemised checks and the seeded criteria are removed.

The criteria are a frozen copy of projects/gate_criteria.py (migrations must not change when code does).
"""

from django.db import migrations
from django.utils import timezone

from ppp.roles import sync_role_groups

FORWARD = {
    "ppp": {
        "pilot": "financial_close",
        "rollout": "construction",
        "operation": "commercial_operation",
        "closed": "closed",
    },
    "agile": {"pilot": "alpha", "rollout": "beta", "operation": "live", "closed": "closed"},
}
BACKWARD = {
    "ppp": {
        "procurement": "pilot",
        "financial_close": "pilot",
        "construction": "rollout",
        "commercial_operation": "operation",
        "handback": "operation",
        "closed": "closed",
    },
    "agile": {"discovery": "pilot", "alpha": "pilot", "beta": "rollout", "live": "operation", "closed": "closed"},
}

CRITERIA = [
    ("ppp", "financial_close", "Preferred bidder selected through the approved evaluation"),
    ("ppp", "financial_close", "Value-for-money assessment confirmed against the public sector comparator"),
    ("ppp", "financial_close", "Affordability confirmed by the finance ministry"),
    ("ppp", "financial_close", "Project agreement signed (commercial close)"),
    ("ppp", "construction", "Senior debt agreements signed"),
    ("ppp", "construction", "Conditions precedent satisfied"),
    ("ppp", "construction", "Equity committed"),
    ("ppp", "construction", "Insurances and performance security in place"),
    ("ppp", "commercial_operation", "Independent certifier issued the completion certificate"),
    ("ppp", "commercial_operation", "Commissioning and performance tests passed"),
    ("ppp", "commercial_operation", "Operating permits and licences obtained"),
    ("ppp", "commercial_operation", "As-built documentation and asset register delivered"),
    ("ppp", "handback", "Handback condition survey completed"),
    ("ppp", "handback", "Handback retention or bond in place"),
    ("ppp", "handback", "Transition plan for operations agreed"),
    ("ppp", "closed", "Assets returned in the required handback condition"),
    ("ppp", "closed", "Final payments, deductions and retentions settled"),
    ("ppp", "closed", "Lessons learned recorded"),
    ("agile", "alpha", "User needs and the problem to solve are understood"),
    ("agile", "alpha", "Discovery findings reviewed by the service owner"),
    ("agile", "alpha", "Team and budget for alpha in place"),
    ("agile", "beta", "Service assessment passed"),
    ("agile", "beta", "Prototypes tested with users, including users with access needs"),
    ("agile", "beta", "Technology, hosting and security approach agreed"),
    ("agile", "live", "Live service assessment passed"),
    ("agile", "live", "Accessibility audit passed"),
    ("agile", "live", "Security and penetration testing passed"),
    ("agile", "live", "Support and operating model in place"),
    ("agile", "closed", "Service retired or replaced, and users redirected"),
    ("agile", "closed", "Data archived or transferred under the retention schedule"),
    ("agile", "closed", "Contracts and licences ended"),
]


def _map_phases(apps, mapping):
    # One update per (method, phase): no value a step writes is the old value of a later step, so none chain.
    Project = apps.get_model("projects", "Project")
    HistoricalProject = apps.get_model("projects", "HistoricalProject")
    GateDecision = apps.get_model("projects", "GateDecision")
    for method, phases in mapping.items():
        for old, new in phases.items():
            Project.objects.filter(delivery_method=method, phase=old).update(phase=new)
            HistoricalProject.objects.filter(delivery_method=method, phase=old).update(phase=new)
            decisions = GateDecision.objects.filter(project__delivery_method=method)
            decisions.filter(from_phase=old).update(from_phase=new)
            decisions.filter(to_phase=old).update(to_phase=new)


def forward(apps, schema_editor):
    GateDecision = apps.get_model("projects", "GateDecision")
    GateCriterion = apps.get_model("projects", "GateCriterion")
    _map_phases(apps, FORWARD)
    for decision in GateDecision.objects.only("pk", "decided_on", "created_at").iterator():
        recorded = timezone.localtime(decision.created_at).date()
        if decision.decided_on != recorded:
            meeting = decision.decided_on if decision.decided_on < recorded else None
            GateDecision.objects.filter(pk=decision.pk).update(decided_on=recorded, meeting_date=meeting)
    HistoricalGateCriterion = apps.get_model("projects", "HistoricalGateCriterion")
    positions = {}
    now = timezone.now()
    for method, phase, text in CRITERIA:
        positions[method, phase] = positions.get((method, phase), 0) + 1
        criterion, created = GateCriterion.objects.get_or_create(
            delivery_method=method, to_phase=phase, text=text, defaults={"position": positions[method, phase]}
        )
        if created:
            # The checklist's history starts with the seed (no user: the installation wrote it).
            HistoricalGateCriterion.objects.create(
                id=criterion.pk,
                delivery_method=method,
                to_phase=phase,
                text=text,
                guidance="",
                position=criterion.position,
                active=True,
                history_date=now,
                history_type="+",
                history_change_reason="Seeded with the installation",
            )


def backward(apps, schema_editor):
    GateDecision = apps.get_model("projects", "GateDecision")
    GateCheck = apps.get_model("projects", "GateCheck")
    GateCriterion = apps.get_model("projects", "GateCriterion")
    GateCheck.objects.all().delete()
    GateCriterion.objects.all().delete()
    apps.get_model("projects", "HistoricalGateCriterion").objects.all().delete()
    for method, phases in BACKWARD.items():
        for new, old in phases.items():
            for other_new, other_old in phases.items():
                if old == other_old:
                    # Folds into a move from a phase to itself, which the old schema cannot hold.
                    GateDecision.objects.filter(
                        project__delivery_method=method, from_phase=new, to_phase=other_new
                    ).delete()
    _map_phases(apps, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("projects", "0012_project_lifecycles_gate_checklists")]

    operations = [
        migrations.RunPython(forward, backward),
        # Officers maintain the checklists; boards see them and the answered checks.
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
