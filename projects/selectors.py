"""Composed reads for project boards (who sees which project, a project's milestone report), for
governance (the risk register and KPIs) and for the partner API (what each caller may read).

The board pages, the CSV export and the PDF reports all read through ``project_report`` so the three
agree on every status, count and amount (and, for the page and the PDF, on the overdue risks and the KPIs).

Apps downstream of projects add their own figures to the report without projects importing them: ``payments``
registers a report section (``register_report_section``, from its ``AppConfig.ready``) that fills in each
party's certified and paid money. Projects depends on procurement only; payments depends on both.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Avg, Count, F, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procurement.models import Agreement, Vendor, VendorUser
from procurement.selectors import PartyBudget, agreements_budget_vs_actual

from .models import (
    KPI,
    Deliverable,
    GateCheck,
    GateDecision,
    KPIMeasurement,
    Milestone,
    PerformanceFailure,
    PerformanceFailureDispute,
    Project,
    Risk,
)
from .status import ProjectStatus, ScheduleFacts, project_status


class Rag:
    """A milestone's red/amber/green standing as the board reads it.

    ``COLOURS`` is the one status-to-colour map: the page, the charts, the PDF and the portfolio all read it.
    A milestone whose due date slipped past its baseline is never drawn green (see ``timeline.slip_colour``).
    """

    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MISSED = "missed"
    CANCELLED = "cancelled"

    LABELS = {
        ACHIEVED: _("Achieved"),
        ON_TRACK: _("On track"),
        DUE_SOON: _("Due soon"),
        OVERDUE: _("Overdue"),
        MISSED: _("Missed"),
        CANCELLED: _("Cancelled"),
    }
    COLOURS = {
        ACHIEVED: "green",
        ON_TRACK: "green",
        DUE_SOON: "amber",
        OVERDUE: "red",
        MISSED: "red",
        CANCELLED: "grey",
    }
    # Summary order: what the board asks about first.
    ORDER = (ACHIEVED, ON_TRACK, DUE_SOON, OVERDUE, MISSED, CANCELLED)


def user_sees_all_projects(user) -> bool:
    """Officers (who may change projects) and superusers see every board; board members only their own."""
    return user.is_active and (user.is_superuser or user.has_perm("projects.change_project"))


def projects_visible_to(user) -> QuerySet[Project]:
    """The projects whose board pages and reports ``user`` may open; anything else answers 404."""
    projects = Project.objects.all()
    if not user.is_authenticated or not user.is_active:
        return projects.none()
    if user_sees_all_projects(user):
        return projects
    return projects.filter(board_members=user)


def scoped_to_visible_projects(queryset: QuerySet, user, project_path: str) -> QuerySet:
    """``queryset`` cut down to the rows whose project (reached by the lookup ``project_path``, "pk" for projects
    themselves) ``user`` may see; unchanged for those who see every project."""
    if user_sees_all_projects(user):
        return queryset
    in_scope = queryset.model._default_manager.filter(**{f"{project_path}__in": projects_visible_to(user)})
    # A subquery on the primary key: paths through to-many relations (agreement -> projects) add no duplicates.
    return queryset.filter(pk__in=in_scope.values("pk"))


def _evidence_readable_by(user, rows: QuerySet, *, permission: str, project: str, vendor: str) -> QuerySet:
    """``rows`` (which carry evidence files) that ``user`` may download: all for officers with ``permission``,
    those of their boards' projects (lookup ``project``) for board members, and those of their own active
    vendor (lookup ``vendor``) for vendor users."""
    if not user.is_authenticated or not user.is_active:
        return rows.none()
    if user.is_superuser or (user.is_staff and user_sees_all_projects(user) and user.has_perm(permission)):
        return rows
    # A suspended or debarred vendor's users lose access, as in the partner API.
    own_vendor = VendorUser.objects.filter(user=user, vendor__status=Vendor.Status.ACTIVE).values("vendor")
    boards = Project.objects.filter(board_members=user).values("pk")
    return rows.filter(Q(**{f"{project}__in": boards}) | Q(**{f"{vendor}__in": own_vendor}))


def evidence_readable_by(user) -> QuerySet[Deliverable]:
    """The deliverables whose evidence file ``user`` may download: every one for officers, those of their
    boards' projects for board members, and those their (active) vendor is responsible for for vendor users."""
    return _evidence_readable_by(
        user,
        Deliverable.objects.all(),
        permission="projects.view_deliverable",
        project="milestone__project",
        vendor="responsible_vendor",
    )


def kpi_evidence_readable_by(user) -> QuerySet[KPIMeasurement]:
    """The KPI measurements whose evidence file ``user`` may download: as for deliverables, with the vendor that
    reported the measurement in the place of the responsible vendor."""
    return _evidence_readable_by(
        user,
        KPIMeasurement.objects.all(),
        permission="projects.view_kpimeasurement",
        project="kpi__project",
        vendor="reported_by_vendor",
    )


SLIPPED = "slipped"


def rag_filters(on: datetime.date, through: str = "") -> dict[str, Q]:
    """The SQL twin of ``milestone_rag``: a ``Q`` per Rag (and ``SLIPPED``: open, due after its baseline) over the
    milestone columns, reached through ``through`` ("milestones__" from a project, "" on milestones themselves)."""

    def q(**lookups) -> Q:
        return Q(**{through + lookup: value for lookup, value in lookups.items()})

    open_q = q(status__in=Milestone.OPEN_STATUSES)
    soon = on + datetime.timedelta(days=settings.DUE_SOON_DAYS)
    return {
        Rag.ACHIEVED: q(status=Milestone.Status.ACHIEVED),
        Rag.ON_TRACK: open_q & q(due_date__gt=soon),
        Rag.DUE_SOON: open_q & q(due_date__gte=on, due_date__lte=soon),
        Rag.OVERDUE: open_q & q(due_date__lt=on),
        Rag.MISSED: q(status=Milestone.Status.MISSED),
        Rag.CANCELLED: q(status=Milestone.Status.CANCELLED),
        SLIPPED: open_q & q(due_date__gt=F(through + "baseline_due_date")),
    }


def board_projects(user, *, on: datetime.date | None = None) -> QuerySet[Project]:
    """The board list: the visible projects with their milestone counts and payments, in one query."""
    on = on or timezone.localdate()
    rag = rag_filters(on, "milestones__")
    live_q = ~rag[Rag.CANCELLED]
    return (
        projects_visible_to(user)
        .select_related("agreement__authority")
        .annotate(
            milestone_total=Count("milestones", filter=live_q),
            milestone_achieved=Count("milestones", filter=rag[Rag.ACHIEVED]),
            milestone_overdue=Count("milestones", filter=rag[Rag.OVERDUE]),
            milestone_missed=Count("milestones", filter=rag[Rag.MISSED]),
            milestone_due_soon=Count("milestones", filter=rag[Rag.DUE_SOON]),
            milestone_slipped=Count("milestones", filter=rag[SLIPPED]),
            oldest_overdue_due=Min("milestones__due_date", filter=rag[Rag.OVERDUE]),
            milestone_payments=Sum("milestones__payment_amount", filter=live_q),
        )
        .order_by("code")
    )


@dataclass
class BoardRow:
    """One project on the board list, with its overall status; ``certified`` and ``paid`` are filled in by the
    payments app's board section (``register_board_section``)."""

    project: Project
    on: datetime.date
    certified: Decimal = Decimal("0")
    paid: Decimal = Decimal("0")

    @property
    def currency(self) -> str:
        return self.project.agreement.currency

    @property
    def payments(self) -> Decimal:
        return self.project.milestone_payments or Decimal("0")

    @property
    def facts(self) -> ScheduleFacts:
        project = self.project
        oldest = project.oldest_overdue_due
        return ScheduleFacts(
            milestones=project.milestone_total,
            achieved=project.milestone_achieved,
            overdue=project.milestone_overdue,
            oldest_overdue_days=(self.on - oldest).days if oldest else 0,
            missed=project.milestone_missed,
            due_soon=project.milestone_due_soon,
            slipped=project.milestone_slipped,
            payments=self.payments,
            certified=self.certified,
        )

    @property
    def status(self) -> ProjectStatus:
        return project_status(self.facts)


@dataclass(frozen=True)
class MoneyTotal:
    currency: str
    payments: Decimal
    certified: Decimal
    paid: Decimal


@dataclass
class BoardList:
    rows: list[BoardRow]
    on: datetime.date

    @property
    def milestones(self) -> int:
        return sum(row.project.milestone_total for row in self.rows)

    @property
    def achieved(self) -> int:
        return sum(row.project.milestone_achieved for row in self.rows)

    @property
    def overdue(self) -> int:
        return sum(row.project.milestone_overdue for row in self.rows)

    @property
    def missed(self) -> int:
        return sum(row.project.milestone_missed for row in self.rows)

    @property
    def money(self) -> list[MoneyTotal]:
        """Totals per currency: amounts in different currencies are never added together."""
        totals: dict[str, list[Decimal]] = {}
        for row in self.rows:
            sums = totals.setdefault(row.currency, [Decimal("0")] * 3)
            for index, value in enumerate((row.payments, row.certified, row.paid)):
                sums[index] += value
        return [MoneyTotal(currency, *sums) for currency, sums in sorted(totals.items())]

    @property
    def statuses(self) -> dict[str, int]:
        counts = {"red": 0, "amber": 0, "green": 0}
        for row in self.rows:
            counts[row.status.colour] += 1
        return counts


# Functions that add a downstream app's figures to the board list's rows, in place, in a fixed number of queries.
_board_sections: list[Callable[[list[BoardRow]], None]] = []


def register_board_section(add: Callable[[list[BoardRow]], None]) -> None:
    """Called from an ``AppConfig.ready``; registering the same function twice keeps one."""
    if add not in _board_sections:
        _board_sections.append(add)


def board_list(user, *, on: datetime.date | None = None) -> BoardList:
    """The board list with each project's status and money and the totals: two queries however many projects."""
    on = on or timezone.localdate()
    rows = [BoardRow(project=project, on=on) for project in board_projects(user, on=on)]
    if rows:
        for add_section in _board_sections:
            add_section(rows)
    return BoardList(rows=rows, on=on)


def project_for_user(user, pk: int) -> Project:
    try:
        return projects_visible_to(user).select_related("agreement__authority").get(pk=pk)
    except Project.DoesNotExist:
        raise Http404(gettext("No such project on your boards.")) from None


@dataclass
class MilestoneRow:
    milestone: Milestone
    rag: str
    days_late: int
    deliverable_total: int
    deliverable_accepted: int
    average_progress: int
    open_deliverables: list[Deliverable] = field(default_factory=list)

    @property
    def rag_label(self) -> str:
        return str(Rag.LABELS[self.rag])

    @property
    def rag_colour(self) -> str:
        return Rag.COLOURS[self.rag]

    @property
    def deliverable_open(self) -> int:
        return self.deliverable_total - self.deliverable_accepted

    @property
    def is_late(self) -> bool:
        return self.rag in (Rag.OVERDUE, Rag.MISSED)


def milestone_rag(milestone: Milestone, on: datetime.date) -> str:
    if milestone.status == Milestone.Status.ACHIEVED:
        return Rag.ACHIEVED
    if milestone.status == Milestone.Status.CANCELLED:
        return Rag.CANCELLED
    if milestone.status == Milestone.Status.MISSED:
        return Rag.MISSED
    if milestone.due_date < on:
        return Rag.OVERDUE
    # The same horizon as Milestone.objects.due_soon() (settings.DUE_SOON_DAYS), on a milestone already read.
    if milestone.due_date <= on + datetime.timedelta(days=settings.DUE_SOON_DAYS):
        return Rag.DUE_SOON
    return Rag.ON_TRACK


def milestone_days_late(milestone: Milestone, on: datetime.date) -> int:
    """Days past the due date: until delivery (the last submission) for achieved ones, so the agency's review
    time does not count against the vendor; until ``on`` for open or missed ones."""
    return milestone.days_late(on)


@dataclass
class KpiRow:
    """A KPI as the board reads it; ``kpi`` carries the ``with_latest()`` annotations."""

    kpi: KPI
    measurements: list[KPIMeasurement]  # oldest first, for the charts

    ON_TARGET_LABELS = {True: _("On target"), False: _("Off target"), None: _("Not measured")}

    @property
    def trend_label(self) -> str:
        return KPI.get_trend_display_for(self.kpi.trend)

    @property
    def on_target_label(self) -> str:
        return str(self.ON_TARGET_LABELS[self.kpi.on_target])


@dataclass(frozen=True)
class MilestoneTally:
    """A project's milestones counted per Rag, with the rest of what its overall status reads.

    Counted from a report's rows (``of_rows``) when every row is read anyway (the PDF, the CSV), or in SQL
    (``milestone_tallies``) for the board page, which shows a page of rows: both count the same things.
    """

    counts: dict[str, int]  # every key of Rag.ORDER
    slipped: int  # open, due after its baseline
    oldest_overdue_days: int
    payments: Decimal  # the milestones' payments, cancelled ones left out
    due_before: int  # milestones of any status due before the report date: where today falls in the list

    @property
    def total(self) -> int:
        """Every milestone, cancelled ones too (the milestone table lists them)."""
        return sum(self.counts.values())

    @property
    def counted(self) -> int:
        return self.total - self.counts[Rag.CANCELLED]

    @property
    def percent_achieved(self) -> int:
        return round(100 * self.counts[Rag.ACHIEVED] / self.counted) if self.counted else 0

    @classmethod
    def of_rows(cls, rows: list["MilestoneRow"], on: datetime.date) -> "MilestoneTally":
        counts = dict.fromkeys(Rag.ORDER, 0)
        for row in rows:
            counts[row.rag] += 1
        live = [row.milestone for row in rows if row.rag != Rag.CANCELLED]
        return cls(
            counts=counts,
            slipped=sum(milestone.status in Milestone.OPEN_STATUSES and milestone.slip_days > 0 for milestone in live),
            oldest_overdue_days=max((row.days_late for row in rows if row.rag == Rag.OVERDUE), default=0),
            payments=sum((milestone.payment_amount for milestone in live), Decimal("0")),
            due_before=sum(row.milestone.due_date < on for row in rows),
        )


def milestone_tallies(project_ids: Iterable[int], on: datetime.date) -> dict[int, MilestoneTally]:
    """``MilestoneTally`` of each project, counted in the database: one query, however many milestones."""
    project_ids = list(project_ids)
    rag = rag_filters(on)
    counts = {key: Count("pk", filter=rag[key]) for key in Rag.ORDER}
    rows = (
        Milestone.objects.filter(project_id__in=project_ids)
        .values("project_id")
        .annotate(
            **counts,
            slipped=Count("pk", filter=rag[SLIPPED]),
            oldest_overdue_due=Min("due_date", filter=rag[Rag.OVERDUE]),
            payments=Sum("payment_amount", filter=~rag[Rag.CANCELLED]),
            due_before=Count("pk", filter=Q(due_date__lt=on)),
        )
        .order_by()
    )
    tallies = {
        row["project_id"]: MilestoneTally(
            counts={key: row[key] for key in Rag.ORDER},
            slipped=row["slipped"],
            oldest_overdue_days=(on - row["oldest_overdue_due"]).days if row["oldest_overdue_due"] else 0,
            payments=row["payments"] or Decimal("0"),
            due_before=row["due_before"],
        )
        for row in rows
    }
    empty = MilestoneTally(
        counts=dict.fromkeys(Rag.ORDER, 0), slipped=0, oldest_overdue_days=0, payments=Decimal("0"), due_before=0
    )
    return {pk: tallies.get(pk, empty) for pk in project_ids}


@dataclass
class ProjectReport:
    project: Project
    on: datetime.date
    generated_at: datetime.datetime
    rows: list[MilestoneRow]
    budget: list[PartyBudget]
    overdue_risks: list[Risk] = field(default_factory=list)  # each with ``days_past_review``
    kpis: list[KpiRow] = field(default_factory=list)
    # Filled in by the payments app's report section (payments.selectors.add_payments_to_reports):
    # the agreement's money per party from its payment certificates (PartyPayments), the whole agreement's,
    # shown once per agreement and never summed across its projects ...
    payments: list = field(default_factory=list)
    paid_payments: Decimal = Decimal("0")  # ... and the net paid by certificates for this project's milestones
    certified_payments: Decimal = Decimal("0")  # ... and the gross certified for them
    # Counted in SQL when ``rows`` is left empty (``project_reports(milestones=False)``, the board page); otherwise
    # counted from ``rows``.
    counted_in_sql: MilestoneTally | None = None

    @property
    def currency(self) -> str:
        return self.project.agreement.currency

    @property
    def partners(self) -> list[str]:
        return [party.party for party in self.budget if not party.is_authority]

    @cached_property
    def tally(self) -> MilestoneTally:
        return self.counted_in_sql or MilestoneTally.of_rows(self.rows, self.on)

    @property
    def counts(self) -> dict[str, int]:
        return self.tally.counts

    @property
    def summary(self) -> list[tuple[str, str, int, str]]:
        """(key, label, count, colour) in the board's reading order."""
        counts = self.counts
        return [(key, str(Rag.LABELS[key]), counts[key], Rag.COLOURS[key]) for key in Rag.ORDER]

    @property
    def late_rows(self) -> list[MilestoneRow]:
        return [row for row in self.rows if row.is_late]

    @property
    def total_payments(self) -> Decimal:
        return self.tally.payments

    @property
    def facts(self) -> ScheduleFacts:
        tally = self.tally
        return ScheduleFacts(
            milestones=tally.counted,
            achieved=tally.counts[Rag.ACHIEVED],
            overdue=tally.counts[Rag.OVERDUE],
            oldest_overdue_days=tally.oldest_overdue_days,
            missed=tally.counts[Rag.MISSED],
            due_soon=tally.counts[Rag.DUE_SOON],
            slipped=tally.slipped,
            payments=tally.payments,
            certified=self.certified_payments,
        )

    @property
    def status(self) -> ProjectStatus:
        """The overall red / amber / green status with its one-line reason (``projects.status``)."""
        return project_status(self.facts)

    @property
    def percent_achieved(self) -> int:
        return self.tally.percent_achieved


# Functions that add a downstream app's figures to a batch of reports, in place, in a fixed number of queries.
_report_sections: list[Callable[[list[ProjectReport]], None]] = []


def register_report_section(add: Callable[[list[ProjectReport]], None]) -> None:
    """Called from an ``AppConfig.ready``; registering the same function twice keeps one."""
    if add not in _report_sections:
        _report_sections.append(add)


def _report_milestones() -> QuerySet[Milestone]:
    """Milestones as a report row reads them (vendor, deliverable counts and progress), earliest due first."""
    return (
        Milestone.objects.select_related("responsible_vendor")
        .with_deliverable_counts()
        .annotate(average_progress=Avg("deliverables__progress"))
        .order_by("due_date", "id")
    )


def _milestone_row(milestone: Milestone, on: datetime.date) -> MilestoneRow:
    return MilestoneRow(
        milestone=milestone,
        rag=milestone_rag(milestone, on),
        days_late=milestone_days_late(milestone, on),
        deliverable_total=milestone.deliverable_total,
        deliverable_accepted=milestone.deliverable_accepted,
        average_progress=round(milestone.average_progress or 0),
    )


def _add_open_deliverables(rows: Iterable[MilestoneRow], deliverables: QuerySet[Deliverable]) -> None:
    """List each late row's open deliverables under it, from ``deliverables`` (narrowed by the caller): one query,
    none when no row is late."""
    late_by_id = {row.milestone.pk: row for row in rows if row.is_late}
    if not late_by_id:
        return
    for deliverable in deliverables.open().select_related("responsible_vendor").order_by("milestone_id", "id"):
        row = late_by_id.get(deliverable.milestone_id)
        if row is not None:
            row.open_deliverables.append(deliverable)


def project_reports(
    projects: Iterable[Project], *, on: datetime.date | None = None, governance: bool = True, milestones: bool = True
) -> list[ProjectReport]:
    """Everything a board report shows for each project, in four queries however many projects and milestones,
    plus three for the governance part (risks past review, KPIs, their measurements) unless ``governance=False``.

    With ``milestones=False`` the reports carry no milestone rows, only their counts (``ProjectReport.tally``,
    one query instead of two): for the board page, which reads its rows a page at a time (``project_board``).

    The projects should come with ``agreement__authority`` selected (``project_for_user`` does that).
    """
    on = on or timezone.localdate()
    generated_at = timezone.localtime()
    projects = list(projects)
    project_ids = [project.pk for project in projects]
    rows_by_project = {pk: [] for pk in project_ids}
    tallies = milestone_tallies(project_ids, on) if not milestones else {}
    if milestones:
        for milestone in _report_milestones().filter(project_id__in=project_ids):
            rows_by_project[milestone.project_id].append(_milestone_row(milestone, on))
        _add_open_deliverables(
            (row for rows in rows_by_project.values() for row in rows),
            Deliverable.objects.filter(
                milestone__project_id__in=project_ids, milestone__status__in=[*Milestone.OPEN_STATUSES, "missed"]
            ),
        )
    agreements = {project.agreement for project in projects}
    budgets = agreements_budget_vs_actual(agreements)
    reports = [
        ProjectReport(
            project=project,
            on=on,
            generated_at=generated_at,
            rows=rows_by_project[project.pk],
            budget=budgets[project.agreement_id],
            counted_in_sql=tallies.get(project.pk),
        )
        for project in projects
    ]
    for add_section in _report_sections:
        add_section(reports)
    if governance:
        _add_governance(reports, on)
    return reports


def _add_governance(reports: list[ProjectReport], on: datetime.date) -> None:
    """Fill in each report's risks past their review date and its KPIs with their measurements: three queries."""
    by_project = {report.project.pk: report for report in reports}
    for risk in _worst_first(Risk.objects.filter(project_id__in=list(by_project)).due_for_review(on=on)):
        risk.days_past_review = (on - risk.review_date).days
        by_project[risk.project_id].overdue_risks.append(risk)
    measurements_by_kpi = {}
    # Only confirmed measurements count; a vendor's report awaiting confirmation is not on the board yet.
    confirmed = KPIMeasurement.objects.confirmed().filter(kpi__project_id__in=list(by_project))
    for measurement in confirmed.order_by("kpi_id", "date"):
        measurements_by_kpi.setdefault(measurement.kpi_id, []).append(measurement)
    for kpi in _by_name(KPI.objects.filter(project_id__in=list(by_project)).with_latest()):
        by_project[kpi.project_id].kpis.append(KpiRow(kpi=kpi, measurements=measurements_by_kpi.get(kpi.pk, [])))


def project_report(
    project: Project, *, on: datetime.date | None = None, governance: bool = True, milestones: bool = True
) -> ProjectReport:
    return project_reports([project], on=on, governance=governance, milestones=milestones)[0]


# --- The board page: a project of any size, read at a glance ----------------------------------------------------

# A board page lists this many milestones at a time; the PDF and the CSV are the full record.
MILESTONES_PER_PAGE = 100
# When the milestones take more than one page, the ones needing attention are listed first, this many at most.
ATTENTION_LIMIT = 25


@dataclass(frozen=True)
class MilestonePage:
    """One page of a project's milestones, earliest due first."""

    rows: list[MilestoneRow]
    number: int
    num_pages: int
    total: int
    start: int  # position of the first row in the whole list, counting from 1

    @property
    def paginated(self) -> bool:
        return self.num_pages > 1

    @property
    def end(self) -> int:
        return self.start + len(self.rows) - 1

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.num_pages else None


@dataclass
class ProjectBoard:
    """What the board page shows: the report without its milestone rows (counted in SQL instead), one page of
    rows, the late and due-soon ones first when there is more than a page, and the rows the timeline draws."""

    report: ProjectReport
    page: MilestonePage
    attention: list[MilestoneRow]  # empty when every milestone fits on the page
    timeline_rows: list[MilestoneRow]  # the TIMELINE_LIMIT milestones due nearest the report date

    @property
    def attention_total(self) -> int:
        counts = self.report.counts
        return counts[Rag.OVERDUE] + counts[Rag.MISSED] + counts[Rag.DUE_SOON]


def _page_number(requested, tally: MilestoneTally, num_pages: int) -> int:
    """The requested page, or else the one where today falls in the list (late ones before it, upcoming after)."""
    try:
        number = int(requested)
    except (TypeError, ValueError):
        number = tally.due_before // MILESTONES_PER_PAGE + 1
    return min(max(number, 1), num_pages)


def _rows_of(milestones: QuerySet[Milestone], on: datetime.date) -> list[MilestoneRow]:
    """Report rows, earliest due first, of ``milestones`` (filtered and sliced by the caller). The deliverable
    figures are counted for those milestones alone, picked by a subquery: counting them for the whole project and
    then slicing grouped every milestone of a 10,000-milestone project (57 ms for a page instead of 8)."""
    return [_milestone_row(milestone, on) for milestone in _report_milestones().filter(pk__in=milestones.values("pk"))]


def _nearest(milestones: QuerySet[Milestone], on: datetime.date, limit: int) -> list[MilestoneRow]:
    """The rows of the ``limit`` milestones due nearest ``on``, ties to the earlier: the nearest ``limit`` on each
    side of ``on`` in two reads (SQL has no portable date distance to order by), then the nearest of those."""
    after = _rows_of(milestones.filter(due_date__gte=on).order_by("due_date", "id")[:limit], on)
    before = _rows_of(milestones.filter(due_date__lt=on).order_by("-due_date", "-id")[:limit], on)
    nearest = sorted(before + after, key=lambda row: (abs((row.milestone.due_date - on).days), row.milestone.due_date))
    return sorted(nearest[:limit], key=lambda row: (row.milestone.due_date, row.milestone.pk))


def project_board(project: Project, *, timeline_limit: int, page=None, on: datetime.date | None = None) -> ProjectBoard:
    """The board page's read of ``project``: a fixed number of queries and at most a page of milestone rows (plus
    the attention list and the ``timeline_limit`` rows of the timeline), however many milestones it has.
    ``page`` is the requested page number as given (``?page=``); anything else opens the page holding today."""
    on = on or timezone.localdate()
    report = project_report(project, on=on, milestones=False)
    tally = report.tally
    num_pages = max(1, -(-tally.total // MILESTONES_PER_PAGE))
    number = _page_number(page, tally, num_pages)
    offset = (number - 1) * MILESTONES_PER_PAGE
    milestones = Milestone.objects.filter(project=project).order_by("due_date", "id")
    rows = _rows_of(milestones[offset : offset + MILESTONES_PER_PAGE], on)
    attention = []
    if num_pages > 1:
        rag = rag_filters(on)
        late_or_soon = milestones.filter(rag[Rag.OVERDUE] | rag[Rag.MISSED] | rag[Rag.DUE_SOON])
        attention = _rows_of(late_or_soon[:ATTENTION_LIMIT], on)
    shown = [*attention, *rows]
    late_ids = [row.milestone.pk for row in shown if row.is_late]
    _add_open_deliverables(shown, Deliverable.objects.filter(milestone_id__in=late_ids))
    # A late milestone on both lists lists its open deliverables under each of its two rows.
    by_id = {row.milestone.pk: row for row in shown}
    for row in shown:
        row.open_deliverables = by_id[row.milestone.pk].open_deliverables
    timeline_rows = _nearest(milestones.exclude(status=Milestone.Status.CANCELLED), on, timeline_limit)
    return ProjectBoard(
        report=report,
        page=MilestonePage(rows=rows, number=number, num_pages=num_pages, total=tally.total, start=offset + 1),
        attention=attention,
        timeline_rows=timeline_rows,
    )


# What a vendor may see of a risk register: the risks it bears, alone or with the authority.
VENDOR_VISIBLE_ALLOCATIONS = (Risk.Allocation.PRIVATE, Risk.Allocation.SHARED)


def risks_due_for_review(project: Project, *, on: datetime.date | None = None) -> QuerySet[Risk]:
    """Live risks of ``project`` whose review date passed before ``on`` (today), worst first. One query."""
    return _worst_first(project.risks.due_for_review(on=on))


def _worst_first(risks: QuerySet[Risk]) -> QuerySet[Risk]:
    return risks.select_related("owner").order_by("-score", "review_date", "pk")


def risks_for_vendor(vendor: Vendor) -> QuerySet[Risk]:
    """Risks a vendor may read: on projects of agreements it is a party to, allocated private or shared, and
    either to this vendor or to no vendor in particular (another vendor's own risk is not its business)."""
    return (
        Risk.objects.filter(
            project__agreement__in=Agreement.objects.for_vendor(vendor).values("pk"),
            allocation__in=VENDOR_VISIBLE_ALLOCATIONS,
        )
        .filter(Q(allocated_to__isnull=True) | Q(allocated_to=vendor))
        .select_related("project", "owner")
        .order_by("project__code", "-score", "pk")
    )


def project_kpis(project: Project) -> QuerySet[KPI]:
    """The project's KPIs with their latest and previous values annotated (one query), for on-target and trend."""
    return _by_name(project.kpis.with_latest())


def _by_name(kpis: QuerySet[KPI]) -> QuerySet[KPI]:
    return kpis.order_by("name", "pk")


# --- Partner API ---------------------------------------------------------------------------------
# ``vendor=None`` is the agency's view (officers read everything); a vendor sees the projects of the
# agreements it is a party to, the milestones it is responsible for or delivers to, and its own
# deliverables. Anything outside these querysets answers 404, exactly like a missing row.


def project_list(*, vendor: Vendor | None):
    projects = Project.objects.all()
    return projects if vendor is None else projects.for_vendor(vendor)


def project_gate_decisions(project: Project) -> list[GateDecision]:
    """The gates ``project`` passed, newest first, each with its checklist as answered (2 queries)."""
    return list(gate_decision_list(vendor=None).filter(project=project).order_by("-decided_on", "-id"))


def gate_decision_list(*, vendor: Vendor | None):
    """Gate decisions of the projects the caller may read, each with its checks and their criteria (2 queries)."""
    decisions = GateDecision.objects.prefetch_related(
        Prefetch("checks", queryset=GateCheck.objects.select_related("criterion"))
    )
    return decisions if vendor is None else decisions.filter(project__in=project_list(vendor=vendor))


def milestone_list(*, vendor: Vendor | None):
    milestones = Milestone.objects.all()
    return milestones if vendor is None else milestones.for_vendor(vendor)


def deliverable_list(*, vendor: Vendor | None):
    deliverables = Deliverable.objects.select_related("milestone")
    return deliverables if vendor is None else deliverables.for_vendor(vendor)


def deliverable_list_order(*, vendor: Vendor | None) -> list:
    """How deliverable lists are ordered: by their milestone's due date, then id.

    For a vendor the due date is written COALESCE(due_date, due_date): the same value, which no index serves. A
    vendor holds a few thousand of three million deliverables; offered milestone_due_idx, PostgreSQL walks a
    million milestones in date order hoping to meet the vendor's early (1.3 s a page, 8 s with the page's
    count, at the benchmark's size) instead of reading the vendor's rows and sorting them (tens of ms). Over
    the whole table (officers) the walk is the right plan, and is left to it.
    """
    if vendor is None:
        return ["milestone__due_date", "id"]
    return [Coalesce("milestone__due_date", "milestone__due_date").asc(), "id"]


def risk_list(*, vendor: Vendor | None):
    """Every risk for the agency; for a vendor, the private or shared risks of its agreements' projects."""
    return Risk.objects.select_related("project") if vendor is None else risks_for_vendor(vendor)


# --- An officer's work (the admin index's "My work") ---------------------------------------------------------


def deliverables_awaiting_review(user) -> QuerySet[Deliverable]:
    """Submitted deliverables ``user`` may decide now: those on projects they own, and any whose first approval
    another officer gave (four eyes: they wait for a second officer, whoever owns the project). Never one
    ``user`` approved first: they cannot give the second approval. Superusers review on every project."""
    waiting = Deliverable.objects.filter(status=Deliverable.Status.SUBMITTED).exclude(first_approved_by=user)
    if not user.is_superuser:
        waiting = waiting.filter(Q(milestone__project__owner=user) | Q(first_approved_by__isnull=False))
    return (
        scoped_to_visible_projects(waiting, user, "milestone__project")
        .select_related("milestone__project", "responsible_vendor")
        .order_by("submitted_at", "pk")
    )


def milestones_needing_attention(user, *, on: datetime.date | None = None) -> QuerySet[Milestone]:
    """Open milestones overdue or due soon (settings.DUE_SOON_DAYS) on ``user``'s projects, most overdue first:
    the projects an officer owns, a board member's boards, every project for a superuser."""
    on = on or timezone.localdate()
    late_or_soon = Milestone.objects.open().filter(due_date__lte=on + datetime.timedelta(days=settings.DUE_SOON_DAYS))
    if not user.is_superuser and user_sees_all_projects(user):
        late_or_soon = late_or_soon.filter(project__owner=user)
    return (
        scoped_to_visible_projects(late_or_soon, user, "project")
        .select_related("project", "responsible_vendor")
        .order_by("due_date", "pk")
    )


def my_projects_label(user) -> str:
    """How the dashboard names the projects ``milestones_needing_attention`` covers for ``user``."""
    if user.is_superuser:
        return gettext("all projects")
    return gettext("my projects") if user_sees_all_projects(user) else gettext("my boards' projects")


def performance_failure_list(*, vendor: Vendor | None):
    """Failures a caller may read, with their disputes prefetched (newest first): every one for the agency, a
    vendor's own for a vendor. Two queries for any page (plus the count). What was deducted for each is the
    payments app's to add (``payments.selectors.with_deducted``)."""
    failures = PerformanceFailure.objects.select_related("milestone__project__agreement").prefetch_related(
        Prefetch("disputes", queryset=PerformanceFailureDispute.objects.order_by("-raised_at", "-id"))
    )
    return failures if vendor is None else failures.for_vendor(vendor)


def kpi_list(*, vendor: Vendor | None):
    """KPIs a caller may read (to report on): those of the vendor's projects; every one for the agency."""
    kpis = KPI.objects.select_related("project")
    return kpis if vendor is None else kpis.filter(project__in=Project.objects.for_vendor(vendor).values("pk"))


def kpi_measurement_list(*, vendor: Vendor | None):
    """Measurements a caller may read: a vendor its own reports (reported, confirmed or rejected), the agency
    every measurement."""
    measurements = KPIMeasurement.objects.select_related("kpi")
    return measurements if vendor is None else measurements.for_vendor(vendor)
