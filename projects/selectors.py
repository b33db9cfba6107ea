"""What each caller of the partner API may read, in the shape the API lists it.

``vendor=None`` is the agency's view (officers read everything); a vendor sees the projects of the agreements
it is a party to, the milestones it is responsible for or delivers to, and its own deliverables. Anything
outside these querysets answers 404, exactly like a missing row.
"""

from django.db.models import Q

from procurement.models import CostShare, Vendor

from .models import Deliverable, Milestone, Project


def project_list(*, vendor: Vendor | None):
    projects = Project.objects.all()
    if vendor is not None:
        projects = projects.filter(agreement__in=CostShare.objects.filter(vendor=vendor).values("agreement_id"))
    return projects


def milestone_list(*, vendor: Vendor | None):
    milestones = Milestone.objects.all()
    if vendor is not None:
        delivers_to = Deliverable.objects.filter(responsible_vendor=vendor).values("milestone_id")
        milestones = milestones.filter(Q(responsible_vendor=vendor) | Q(pk__in=delivers_to))
    return milestones


def deliverable_list(*, vendor: Vendor | None):
    deliverables = Deliverable.objects.select_related("milestone")
    if vendor is not None:
        deliverables = deliverables.filter(responsible_vendor=vendor)
    return deliverables
