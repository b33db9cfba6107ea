"""Board data as CSV, for boards that keep their own spreadsheets: a project's milestones, its agreement's
payments per party, and the portfolio (one line per project).

Headers and labels are the ones the pages show (choice labels, never codes), in the active language. The file is
UTF-8 with a byte order mark, so spreadsheet programs read dashes and accented names correctly.

Dates are ISO (2026-12-03) and amounts plain decimals (1234567.89), deliberately not the pages' formats: a
spreadsheet reads those as dates and numbers in any locale and can sum and sort them, while "1,234,567.89" or
"3 Dec 2026" would be text, and a French "1 234,56" would even carry the CSV's own delimiter. The currency sits in
its own column.
"""

import csv
import datetime
import io
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ..models import Milestone
from ..selectors import BoardList, ProjectReport

# (key, header): the key names the column for code and tests, the header is what the spreadsheet shows.
MILESTONE_COLUMNS = [
    ("project", _("Project")),
    ("milestone_id", _("Milestone ID")),
    ("title", _("Milestone")),
    ("type", _("Type")),
    ("status", _("Status")),
    ("rag", _("Board status")),
    ("baseline_due_date", _("Baseline due date")),
    ("due_date", _("Due date")),
    ("delivered_on", _("Delivered on")),
    ("achieved_date", _("Achieved on")),
    ("days_late", _("Days late")),
    ("slip_days", _("Slip (days)")),
    ("responsible_vendor", _("Responsible vendor")),
    ("payment_amount", _("Payment")),
    ("currency", _("Currency")),
    ("deliverables_total", _("Deliverables")),
    ("deliverables_accepted", _("Deliverables accepted")),
    ("deliverables_open", _("Deliverables open")),
    ("average_progress", _("Average progress (%)")),
]

PAYMENT_COLUMNS = [
    ("agreement", _("Agreement")),
    ("party", _("Party")),
    ("role", _("Role")),
    ("committed", _("Committed")),
    ("certified", _("Certified")),
    ("deducted", _("Deducted")),
    ("retained", _("Retained")),
    ("paid", _("Paid")),
    ("currency", _("Currency")),
]

PORTFOLIO_COLUMNS = [
    ("project", _("Project")),
    ("name", _("Name")),
    ("agreement", _("Agreement")),
    ("authority", _("Authority")),
    ("phase", _("Phase")),
    ("status", _("Overall status")),
    ("reason", _("Reason")),
    ("milestones", _("Milestones")),
    ("achieved", _("Achieved")),
    ("due_soon", _("Due soon")),
    ("overdue", _("Overdue")),
    ("oldest_overdue_days", _("Oldest overdue (days)")),
    ("missed", _("Missed")),
    ("slipped", _("Slipped past baseline")),
    ("payments", _("Milestone payments")),
    ("certified", _("Certified")),
    ("paid", _("Paid")),
    ("currency", _("Currency")),
]

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int):  # a number, never a formula: -5 days of slip stays -5
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns, lines) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(header) for _key, header in columns])
    for values in lines:
        writer.writerow([_cell(value) for value in values])
    # utf-8-sig: the byte order mark tells spreadsheet programs the file is UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def milestones_csv(report: ProjectReport) -> bytes:
    """One line per milestone with its red/amber/green standing, days late and deliverable counts."""
    types, statuses = dict(Milestone.Type.choices), dict(Milestone.Status.choices)
    lines = []
    for row in report.rows:
        milestone = row.milestone
        lines.append(
            [
                report.project.code,
                milestone.pk,
                milestone.title,
                types.get(milestone.type, milestone.type),
                statuses.get(milestone.status, milestone.status),
                row.rag_label,
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
        )
    return _csv(MILESTONE_COLUMNS, lines)


def payments_csv(report: ProjectReport) -> bytes:
    """One line per party of the project's agreement: certified, deducted, retained and paid, from certificates.

    The figures are the whole agreement's (all its projects, counted once), as on the board page.
    """
    authority, partner = _("Authority"), _("Partner")
    lines = [
        [
            report.project.agreement.reference,
            party.party,
            authority if party.is_authority else partner,
            party.committed,
            party.certified,
            party.deducted,
            party.retained,
            party.paid,
            report.currency,
        ]
        for party in report.payments
    ]
    return _csv(PAYMENT_COLUMNS, lines)


def portfolio_csv(board: BoardList) -> bytes:
    """The board list: one line per project with its overall status and reason, milestone counts and money."""
    lines = []
    for row in board.rows:
        project, facts, status = row.project, row.facts, row.status
        lines.append(
            [
                project.code,
                project.name,
                project.agreement.reference,
                project.agreement.authority.name,
                project.get_phase_display(),
                status.label,
                status.reason,
                facts.milestones,
                facts.achieved,
                facts.due_soon,
                facts.overdue,
                facts.oldest_overdue_days,
                facts.missed,
                facts.slipped,
                row.payments,
                row.certified,
                row.paid,
                row.currency,
            ]
        )
    return _csv(PORTFOLIO_COLUMNS, lines)
