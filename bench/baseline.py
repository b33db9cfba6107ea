"""The hand-written baseline the partner API is measured against (bench only; see bench/urls.py).

Each view returns the same page of rows as the API's list endpoint (same fields, same order, same vendor
scoping through the same selector) with ``.values()`` and ``JsonResponse``. It authenticates the knox token
the cheapest honest way: one query for the token's digest, expiry and the user's vendor (in good standing),
then the same constant-time digest comparison knox makes. No pagination count, no filters, no throttle,
no content negotiation: that is what a baseline leaves out.
"""

from hmac import compare_digest

from django.core.files.storage import default_storage
from django.db.models import F, Q
from django.http import JsonResponse
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from api.serializers import DeliverableSerializer, MilestoneSerializer
from procurement.models import Vendor
from projects.models import Milestone
from projects.selectors import deliverable_list, deliverable_list_order, milestone_list

# The API's fields (read as columns; the API's computed ones are worked out below).
MILESTONE_FIELDS = [name for name in MilestoneSerializer.Meta.fields if name not in ("days_overdue", "days_late")]
DELIVERABLE_FIELDS = [
    name for name in DeliverableSerializer.Meta.fields if name not in ("project", "awaiting_second_approval")
]


def _vendor_of(request) -> Vendor | None:
    from knox.models import AuthToken

    header = request.headers.get("Authorization", "")
    if not header.startswith("Token "):
        return None
    token = header.removeprefix("Token ").strip()
    row = (
        AuthToken.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .filter(user__is_active=True, user__vendor_membership__vendor__status=Vendor.Status.ACTIVE)
        .values_list("digest", "user__vendor_membership__vendor_id")
        .first()
    )
    if row is None or not compare_digest(hash_token(token), row[0]):
        return None
    return Vendor(pk=row[1])


def _page(request) -> slice:
    size = int(request.GET.get("page_size", 50))
    page = int(request.GET.get("page", 1))
    return slice((page - 1) * size, page * size)


def milestones(request):
    vendor = _vendor_of(request)
    if vendor is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    today = timezone.localdate()
    rows = list(milestone_list(vendor=vendor).order_by("due_date", "id").values(*MILESTONE_FIELDS)[_page(request)])
    for row in rows:
        row["days_overdue"] = Milestone.days_overdue_of(status=row["status"], due_date=row["due_date"], on=today)
        row["days_late"] = Milestone.days_late_of(
            status=row["status"], due_date=row["due_date"], delivered_on=row["delivered_on"], on=today
        )
    return JsonResponse({"results": rows})


def deliverables(request):
    vendor = _vendor_of(request)
    if vendor is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    rows = list(
        deliverable_list(vendor=vendor)
        .order_by(*deliverable_list_order(vendor=vendor))
        .values(*DELIVERABLE_FIELDS, "first_approved_by", project=F("milestone__project_id"))[_page(request)]
    )
    for row in rows:
        row["awaiting_second_approval"] = row["status"] == "submitted" and row.pop("first_approved_by") is not None
        name = row["evidence_file"]
        row["evidence_file"] = request.build_absolute_uri(default_storage.url(name)) if name else None
    return JsonResponse({"results": rows})
