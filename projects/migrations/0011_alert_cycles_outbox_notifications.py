"""Alerts re-arm per due date (a cycle), review-waiting reminders, the delivery outbox and in-app notifications.

Existing alerts belong to their milestone's current due date: the cycle they were raised for, as far as
anyone can now tell (before this migration an alert did not record it).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill_cycle_due_date(apps, schema_editor):
    Alert = apps.get_model("projects", "Alert")
    Milestone = apps.get_model("projects", "Milestone")
    Alert.objects.filter(due_date__isnull=True).update(
        due_date=models.Subquery(Milestone.objects.filter(pk=models.OuterRef("milestone_id")).values("due_date")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0010_deliverable_four_eyes_milestone_delivered_on"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AlertDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("recipient", models.EmailField(max_length=254, verbose_name="recipient")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("sending", "Sending (in doubt if it stays)"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="send started")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                ("last_error", models.TextField(blank=True, verbose_name="last error")),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "alert delivery",
                "verbose_name_plural": "alert deliveries",
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created at")),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="alert",
            name="alert_once_per_milestone_level",
        ),
        migrations.AddField(
            model_name="alert",
            name="due_date",
            field=models.DateField(
                help_text="The milestone's due date when this alert was raised; a reschedule starts a new cycle.",
                null=True,
                verbose_name="due date of the cycle",
            ),
        ),
        migrations.RunPython(backfill_cycle_due_date, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="alert",
            name="due_date",
            field=models.DateField(
                help_text="The milestone's due date when this alert was raised; a reschedule starts a new cycle.",
                verbose_name="due date of the cycle",
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[("deadline", "Due soon or overdue"), ("review_waiting", "Review waiting")],
                default="deadline",
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "deadline")),
                fields=("milestone", "due_date", "level"),
                name="alert_once_per_cycle_level",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "review_waiting")),
                fields=("milestone", "due_date"),
                name="alert_review_waiting_once_per_cycle",
            ),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["deadline", "review_waiting"])), name="alert_kind_valid"
            ),
        ),
        migrations.AddField(
            model_name="alertdelivery",
            name="alert",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="deliveries", to="projects.alert"
            ),
        ),
        migrations.AddField(
            model_name="alertdelivery",
            name="requeued_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="last resent by",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="alert",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to="projects.alert"
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddIndex(
            model_name="alertdelivery",
            index=models.Index(fields=["status"], name="alert_delivery_status_idx"),
        ),
        migrations.AddConstraint(
            model_name="alertdelivery",
            constraint=models.UniqueConstraint(fields=("alert", "recipient"), name="alert_delivery_once_per_recipient"),
        ),
        migrations.AddConstraint(
            model_name="alertdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["queued", "sending", "sent", "failed"])),
                name="alert_delivery_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="alertdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "sent"), _negated=True), ("sent_at__isnull", False), _connector="OR"
                ),
                name="alert_delivery_sent_has_time",
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["user", "read_at"], name="notification_user_unread_idx"),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(fields=("user", "alert"), name="notification_once_per_user_alert"),
        ),
    ]
