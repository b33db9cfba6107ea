"""A project's milestones as CSV, for boards that keep their own spreadsheets."""

import csv
import datetime
import io

from django.utils.translation import gettext_lazy as _

from ..selectors import ProjectReport

MILESTONE_COLUMNS = [
    _("project"),
    _("milestone_id"),
    _("title"),
    _("type"),
    _("status"),
    _("rag"),
    _("baseline_due_date"),
    _("due_date"),
    _("delivered_on"),
    _("achieved_date"),
    _("days_late"),
    _("slip_days"),
    _("responsible_vendor"),
    _("payment_amount"),
    _("currency"),
    _("deliverables_total"),
    _("deliverables_accepted"),
    _("deliverables_open"),
    _("average_progress"),
]

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def milestones_csv(report: ProjectReport) -> bytes:
    """One line per milestone with its red/amber/green standing, days late and deliverable counts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in MILESTONE_COLUMNS])
    for row in report.rows:
        milestone = row.milestone
        values = [
            report.project.code,
            milestone.pk,
            milestone.title,
            milestone.type,
            milestone.status,
            row.rag,
            milestone.baseline_due_date,
            milestone.due_date,
            milestone.delivered_on,
            milestone.achieved_date,
            row.days_late,
            milestone.slip_days,
            milestone.responsible_vendor.legal_name if milestone.responsible_vendor else "",
            milestone.payment_amount,
            report.currency,
            row.deliverable_total,
            row.deliverable_accepted,
            row.deliverable_open,
            row.average_progress,
        ]
        writer.writerow([_cell(value) for value in values])
    return buffer.getvalue().encode("utf-8")


PAYMENT_COLUMNS = [
    _("agreement"),
    _("party"),
    _("role"),
    _("committed"),
    _("certified"),
    _("deducted"),
    _("retained"),
    _("paid"),
    _("currency"),
]


def payments_csv(report: ProjectReport) -> bytes:
    """One line per party of the project's agreement: certified, deducted, retained and paid, from certificates.

    The figures are the whole agreement's (all its projects, counted once), as on the board page.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(column) for column in PAYMENT_COLUMNS])
    for party in report.payments:
        values = [
            report.project.agreement.reference,
            party.party,
            "authority" if party.is_authority else "partner",
            party.committed,
            party.certified,
            party.deducted,
            party.retained,
            party.paid,
            report.currency,
        ]
        writer.writerow([_cell(value) for value in values])
    return buffer.getvalue().encode("utf-8")
