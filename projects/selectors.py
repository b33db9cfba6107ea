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

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procurement.models import Agreement, Vendor, VendorUser
from procurement.selectors import PartyBudget, agreements_budget_vs_actual

from .models import KPI, Deliverable, KPIMeasurement, Milestone, Project, Risk


class Rag:
    """A milestone's red/amber/green standing as the board reads it."""

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


def evidence_readable_by(user) -> QuerySet[Deliverable]:
    """The deliverables whose evidence file ``user`` may download: every one for officers, those of their
    boards' projects for board members, and those their (active) vendor is responsible for for vendor users."""
    deliverables = Deliverable.objects.all()
    if not user.is_authenticated or not user.is_active:
        return deliverables.none()
    if user.is_superuser or (
        user.is_staff and user_sees_all_projects(user) and user.has_perm("projects.view_deliverable")
    ):
        return deliverables
    # A suspended or debarred vendor's users lose access, as in the partner API.
    own_vendor = VendorUser.objects.filter(user=user, vendor__status=Vendor.Status.ACTIVE).values("vendor")
    return deliverables.filter(
        Q(milestone__project__in=Project.objects.filter(board_members=user).values("pk"))
        | Q(pk__in=Deliverable.objects.for_vendor(own_vendor).values("pk"))
    )


def board_projects(user, *, on: datetime.date | None = None) -> QuerySet[Project]:
    """The board list: the visible projects with their milestone counts, in one query."""
    on = on or timezone.localdate()
    open_q = Q(milestones__status__in=Milestone.OPEN_STATUSES)
    return (
        projects_visible_to(user)
        .select_related("agreement__authority")
        .annotate(
            milestone_total=Count("milestones", filter=~Q(milestones__status=Milestone.Status.CANCELLED)),
            milestone_achieved=Count("milestones", filter=Q(milestones__status=Milestone.Status.ACHIEVED)),
            milestone_overdue=Count("milestones", filter=open_q & Q(milestones__due_date__lt=on)),
            milestone_missed=Count("milestones", filter=Q(milestones__status=Milestone.Status.MISSED)),
        )
        .order_by("code")
    )


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

    @property
    def currency(self) -> str:
        return self.project.agreement.currency

    @property
    def partners(self) -> list[str]:
        return [party.party for party in self.budget if not party.is_authority]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Rag.ORDER, 0)
        for row in self.rows:
            counts[row.rag] += 1
        return counts

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
        return sum(
            (row.milestone.payment_amount for row in self.rows if row.rag != Rag.CANCELLED),
            Decimal("0"),
        )

    @property
    def percent_achieved(self) -> int:
        counted = [row for row in self.rows if row.rag != Rag.CANCELLED]
        if not counted:
            return 0
        return round(100 * sum(row.rag == Rag.ACHIEVED for row in counted) / len(counted))


# Functions that add a downstream app's figures to a batch of reports, in place, in a fixed number of queries.
_report_sections: list[Callable[[list[ProjectReport]], None]] = []


def register_report_section(add: Callable[[list[ProjectReport]], None]) -> None:
    """Called from an ``AppConfig.ready``; registering the same function twice keeps one."""
    if add not in _report_sections:
        _report_sections.append(add)


def project_reports(
    projects: Iterable[Project], *, on: datetime.date | None = None, governance: bool = True
) -> list[ProjectReport]:
    """Everything a board report shows for each project, in four queries however many projects and milestones,
    plus three for the governance part (risks past review, KPIs, their measurements) unless ``governance=False``.

    The projects should come with ``agreement__authority`` selected (``project_for_user`` does that).
    """
    on = on or timezone.localdate()
    generated_at = timezone.localtime()
    projects = list(projects)
    project_ids = [project.pk for project in projects]
    rows_by_project = {pk: [] for pk in project_ids}
    milestones = (
        Milestone.objects.filter(project_id__in=project_ids)
        .select_related("responsible_vendor")
        .with_deliverable_counts()
        .annotate(average_progress=Avg("deliverables__progress"))
        .order_by("due_date", "id")
    )
    for milestone in milestones:
        rows_by_project[milestone.project_id].append(
            MilestoneRow(
                milestone=milestone,
                rag=milestone_rag(milestone, on),
                days_late=milestone_days_late(milestone, on),
                deliverable_total=milestone.deliverable_total,
                deliverable_accepted=milestone.deliverable_accepted,
                average_progress=round(milestone.average_progress or 0),
            )
        )
    late_by_id = {row.milestone.pk: row for rows in rows_by_project.values() for row in rows if row.is_late}
    if late_by_id:
        open_deliverables = (
            Deliverable.objects.open()
            .filter(milestone__project_id__in=project_ids, milestone__status__in=[*Milestone.OPEN_STATUSES, "missed"])
            .select_related("responsible_vendor")
            .order_by("milestone_id", "id")
        )
        for deliverable in open_deliverables:
            row = late_by_id.get(deliverable.milestone_id)
            if row is not None:
                row.open_deliverables.append(deliverable)
    agreements = {project.agreement for project in projects}
    budgets = agreements_budget_vs_actual(agreements)
    reports = [
        ProjectReport(
            project=project,
            on=on,
            generated_at=generated_at,
            rows=rows_by_project[project.pk],
            budget=budgets[project.agreement_id],
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
    for measurement in KPIMeasurement.objects.filter(kpi__project_id__in=list(by_project)).order_by("kpi_id", "date"):
        measurements_by_kpi.setdefault(measurement.kpi_id, []).append(measurement)
    for kpi in _by_name(KPI.objects.filter(project_id__in=list(by_project)).with_latest()):
        by_project[kpi.project_id].kpis.append(KpiRow(kpi=kpi, measurements=measurements_by_kpi.get(kpi.pk, [])))


def project_report(project: Project, *, on: datetime.date | None = None, governance: bool = True) -> ProjectReport:
    return project_reports([project], on=on, governance=governance)[0]


# What a vendor may see of a risk register: the risks it bears, alone or with the authority.
VENDOR_VISIBLE_ALLOCATIONS = (Risk.Allocation.PRIVATE, Risk.Allocation.SHARED)


def risks_due_for_review(project: Project, *, on: datetime.date | None = None) -> QuerySet[Risk]:
    """Live risks of ``project`` whose review date passed before ``on`` (today), worst first. One query."""
    return _worst_first(project.risks.due_for_review(on=on))


def _worst_first(risks: QuerySet[Risk]) -> QuerySet[Risk]:
    return risks.select_related("owner").order_by("-score", "review_date", "pk")


def risks_for_vendor(vendor: Vendor) -> QuerySet[Risk]:
    """Risks a vendor may read: on projects of agreements it is a party to, allocated private or shared."""
    return (
        Risk.objects.filter(
            project__agreement__in=Agreement.objects.for_vendor(vendor).values("pk"),
            allocation__in=VENDOR_VISIBLE_ALLOCATIONS,
        )
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


def milestone_list(*, vendor: Vendor | None):
    milestones = Milestone.objects.all()
    return milestones if vendor is None else milestones.for_vendor(vendor)


def deliverable_list(*, vendor: Vendor | None):
    deliverables = Deliverable.objects.select_related("milestone")
    return deliverables if vendor is None else deliverables.for_vendor(vendor)


def risk_list(*, vendor: Vendor | None):
    """Every risk for the agency; for a vendor, the private or shared risks of its agreements' projects."""
    return Risk.objects.select_related("project") if vendor is None else risks_for_vendor(vendor)
