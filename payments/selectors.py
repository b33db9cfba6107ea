"""Reads for the payment chain: what a caller may see, and certified / paid / retained / deducted per party."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from procurement.models import CostShare, CostShareTerm, Vendor

from .models import Certificate, Deduction, PartyShare, VendorInvoice

ZERO = Decimal("0")


def certificate_list(*, vendor: Vendor | None):
    """Certificates a caller may read, with deduction lines and the split (``visible_shares``) prefetched.

    Officers (``vendor=None``) see every certificate and every party's part. A vendor sees the certificates of
    agreements it is or was a party to, once certified (drafts are the agency's working papers), and only its
    own part of each split, as it sees only its own cost share. Three queries for any page.
    """
    certificates = Certificate.objects.with_details()
    shares = PartyShare.objects.select_related("vendor")
    if vendor is not None:
        parties = CostShareTerm.objects.filter(vendor=vendor).values("agreement_id")
        certificates = certificates.filter(Q(agreement_id__in=parties) | Q(payee=vendor)).exclude(
            Q(status=Certificate.Status.DRAFT) | Q(status=Certificate.Status.VOID, certified_at__isnull=True)
        )
        shares = shares.filter(vendor=vendor)
    return certificates.prefetch_related(Prefetch("party_shares", queryset=shares, to_attr="visible_shares"))


def invoice_list(*, vendor: Vendor | None):
    """Invoices a caller may read: a vendor its own, officers all of them."""
    invoices = VendorInvoice.objects.with_details()
    return invoices if vendor is None else invoices.filter(vendor=vendor)


@dataclass
class PartyPayments:
    """One party's money on one agreement: committed by its current share, then what certificates made of it."""

    party: str
    is_authority: bool
    committed: Decimal = ZERO
    certified: Decimal = ZERO  # gross certified for delivered work (live certificates, certified or later)
    deducted: Decimal = ZERO  # penalties taken off that
    retained: Decimal = ZERO  # retention held back and not yet paid out
    paid: Decimal = ZERO  # net paid (milestone certificates and retention releases)
    vendor_id: int | None = field(default=None, repr=False)

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.certified


CERTIFIED_STATUSES = (
    Certificate.Status.CERTIFIED,
    Certificate.Status.APPROVED,
    Certificate.Status.PAID,
    Certificate.Status.RECONCILED,
)


def payments_by_party(agreements, *, year: int | None = None) -> dict[int, list[PartyPayments]]:
    """Budget against certified and paid money per party, for each agreement (keyed by id). Three queries.

    Counts each certificate once per agreement however many projects the agreement has. With ``year``, the
    certified, deducted and retained figures are those of certificates dated that year, and paid those paid that
    year. Retained is retention held less retention released and paid. Parties that left the agreement by
    amendment still appear when certificates paid them.
    """
    ids = [agreement.pk for agreement in agreements]
    rows: dict[int, dict[int | None, PartyPayments]] = {pk: {} for pk in ids}
    for share in CostShare.objects.filter(agreement_id__in=ids).select_related("vendor", "agreement__authority"):
        rows[share.agreement_id][share.vendor_id] = PartyPayments(
            party=share.party_name,
            is_authority=share.is_authority,
            committed=share.committed_amount,
            vendor_id=share.vendor_id,
        )
    parts = PartyShare.objects.filter(certificate__agreement_id__in=ids, certificate__status__in=CERTIFIED_STATUSES)
    dated, paid = parts, parts.filter(certificate__status__in=Certificate.PAID_STATUSES)
    if year is not None:
        dated = parts.filter(certificate__certificate_date__year=year)
        paid = paid.filter(certificate__paid_on__year=year)
    totals: dict[tuple, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        dated.values("certificate__agreement_id", "vendor_id", "certificate__kind")
        .annotate(gross=Sum("gross_amount"), retention=Sum("retention_amount"), penalty=Sum("penalty_amount"))
        .order_by()
    ):
        key = (row["certificate__agreement_id"], row["vendor_id"])
        if row["certificate__kind"] == Certificate.Kind.MILESTONE:
            totals[key]["certified"] = row["gross"]
            totals[key]["deducted"] = row["penalty"]
            totals[key]["retained"] = totals[key].get("retained", ZERO) + row["retention"]
    for row in (
        paid.values("certificate__agreement_id", "vendor_id", "certificate__kind")
        .annotate(net=Sum("net_amount"))
        .order_by()
    ):
        key = (row["certificate__agreement_id"], row["vendor_id"])
        totals[key]["paid"] = totals[key].get("paid", ZERO) + row["net"]
        if row["certificate__kind"] == Certificate.Kind.RETENTION_RELEASE:
            totals[key]["retained"] = totals[key].get("retained", ZERO) - row["net"]
    missing = {key for key in totals if key[1] not in rows[key[0]]}
    names = dict(Vendor.objects.filter(pk__in={vendor_id for _, vendor_id in missing}).values_list("pk", "legal_name"))
    for (agreement_id, vendor_id), values in totals.items():
        row = rows[agreement_id].get(vendor_id)
        if row is None:
            row = rows[agreement_id][vendor_id] = PartyPayments(
                party=names.get(vendor_id, "Authority"), is_authority=vendor_id is None, vendor_id=vendor_id
            )
        for name, value in values.items():
            setattr(row, name, value or ZERO)
    return {pk: sorted(parties.values(), key=lambda p: (not p.is_authority, p.party)) for pk, parties in rows.items()}


@dataclass(frozen=True)
class ProjectPayments:
    certified: Decimal = ZERO  # gross certified for the project's milestones (live certificates)
    paid: Decimal = ZERO  # net paid by certificates (milestone payments and retention released)


def payments_by_project(project_ids) -> dict[int, ProjectPayments]:
    """Certified and paid per project, from the certificates of its milestones. One query."""
    rows = (
        Certificate.objects.filter(milestone__project_id__in=list(project_ids))
        .values("milestone__project_id")
        .annotate(
            certified=Sum("gross_amount", filter=Q(status__in=CERTIFIED_STATUSES, kind=Certificate.Kind.MILESTONE)),
            paid=Sum("net_amount", filter=Q(status__in=Certificate.PAID_STATUSES)),
        )
        .order_by()
    )
    return {
        row["milestone__project_id"]: ProjectPayments(certified=row["certified"] or ZERO, paid=row["paid"] or ZERO)
        for row in rows
    }


def add_payments_to_reports(reports) -> None:
    """The payments section of the board report (``projects.selectors.ProjectReport``), filled in place:
    each agreement's money per party and what certificates certified and paid for each project's milestones.
    Three queries plus one, however many reports; registered in ``PaymentsConfig.ready``."""
    by_agreement = payments_by_party({report.project.agreement for report in reports})
    by_project = payments_by_project([report.project.pk for report in reports])
    for report in reports:
        report.payments = by_agreement[report.project.agreement_id]
        money = by_project.get(report.project.pk, ProjectPayments())
        report.certified_payments, report.paid_payments = money.certified, money.paid


def add_payments_to_board_rows(rows) -> None:
    """The board list's money columns (``projects.selectors.BoardRow``): certified and paid per project, in one
    query; registered in ``PaymentsConfig.ready``."""
    by_project = payments_by_project([row.project.pk for row in rows])
    for row in rows:
        money = by_project.get(row.project.pk, ProjectPayments())
        row.certified, row.paid = money.certified, money.paid


def certificates_awaiting_approval(user):
    """Certified payment certificates ``user`` may approve: all but those they certified (four eyes), oldest
    first."""
    return (
        Certificate.objects.filter(status=Certificate.Status.CERTIFIED)
        .exclude(certified_by=user)
        .select_related("agreement", "milestone", "payee")
        .order_by("certificate_date", "pk")
    )


def with_deducted(failures):
    """Annotate each performance failure with ``deducted``: its penalty taken on live (not void) certificates,
    0 when none. One subquery, no extra query."""
    total = (
        Deduction.objects.filter(failure=OuterRef("pk"))
        .exclude(certificate__status=Certificate.Status.VOID)
        .values("failure")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return failures.annotate(deducted=Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money))


def payment_list(*, vendor: Vendor | None):
    """The money actually paid to vendors: each vendor's part of certificates paid or reconciled (milestone
    payments and retention releases). A vendor reads its own lines, the agency every vendor's (the authority's
    own part is not a payment to anyone). Read as flat rows; newest payment first."""
    lines = PartyShare.objects.filter(certificate__status__in=Certificate.PAID_STATUSES)
    lines = lines.filter(vendor__isnull=False) if vendor is None else lines.filter(vendor=vendor)
    return lines.select_related("certificate__agreement", "certificate__milestone", "vendor")
