"""The lifecycle constraints, added once 0012 has moved every row to its method's phases."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0013_map_phases_to_lifecycles_seed_gate_criteria")]

    operations = [
        migrations.AddConstraint(
            model_name="gatedecision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "from_phase__in",
                        (
                            "procurement",
                            "financial_close",
                            "construction",
                            "commercial_operation",
                            "handback",
                            "discovery",
                            "alpha",
                            "beta",
                            "live",
                            "closed",
                        ),
                    ),
                    (
                        "to_phase__in",
                        (
                            "procurement",
                            "financial_close",
                            "construction",
                            "commercial_operation",
                            "handback",
                            "discovery",
                            "alpha",
                            "beta",
                            "live",
                            "closed",
                        ),
                    ),
                ),
                name="gate_decision_phases_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="gatedecision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("to_phase", "closed"), _negated=True),
                    ("from_phase__in", ["handback", "live"]),
                    models.Q(("override_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="gate_decision_early_closure_needs_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="gatedecision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("meeting_date__isnull", True), ("meeting_date__lte", models.F("decided_on")), _connector="OR"
                ),
                name="gate_decision_meeting_not_after_decision",
            ),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("delivery_method", "ppp"),
                        (
                            "phase__in",
                            (
                                "procurement",
                                "financial_close",
                                "construction",
                                "commercial_operation",
                                "handback",
                                "closed",
                            ),
                        ),
                    ),
                    models.Q(
                        ("delivery_method", "agile"), ("phase__in", ("discovery", "alpha", "beta", "live", "closed"))
                    ),
                    _connector="OR",
                ),
                name="project_phase_valid",
            ),
        ),
    ]
