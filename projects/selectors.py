"""Composed reads for project governance: the risk register and KPIs, for the admin, board report and partner API."""

import datetime

from django.db.models import QuerySet

from procurement.models import Agreement, Vendor

from .models import KPI, Project, Risk

# What a vendor may see of a risk register: the risks it bears, alone or with the authority.
VENDOR_VISIBLE_ALLOCATIONS = (Risk.Allocation.PRIVATE, Risk.Allocation.SHARED)


def risks_due_for_review(project: Project, *, on: datetime.date | None = None) -> QuerySet[Risk]:
    """Live risks of ``project`` whose review date passed before ``on`` (today), worst first. One query."""
    return project.risks.due_for_review(on=on).select_related("owner").order_by("-score", "review_date")


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
    return project.kpis.with_latest().order_by("name")
