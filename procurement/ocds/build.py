"""Build OCDS-for-PPPs releases from agreements, a chunk of agreements at a time.

Per agreement the releases are:
- one per state change of the agreement (status, value, term or signature, read from its change history),
  carrying the contract as it stood then;
- one implementation release carrying the contract as it stands now: parties' finance and charges from the
  cost shares, risk allocation, milestones and transactions: actual spend, and payments made through payment
  certificates (each party's part of a paid certificate, from that party to the vendor paid).

Vendor contacts (names, emails, phones) are personal data and are never read here.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from procurement.models import Agreement, Amendment, CostShare, Expenditure
from projects.models import Deliverable, Milestone, Risk

# Fields whose change makes a new release of the contract.
CONTRACT_FIELDS = ("status", "total_value", "currency", "start_date", "end_date", "signed_date")

CONTRACT_STATUS = {
    Agreement.Status.DRAFT: "pending",
    Agreement.Status.ACTIVE: "active",
    Agreement.Status.SUSPENDED: "active",  # still in force; the detail says suspended
    Agreement.Status.COMPLETED: "terminated",  # OCDS: "signed and in force, and has now come to a close"
    Agreement.Status.TERMINATED: "terminated",
}
PROCUREMENT_METHOD = {
    Agreement.Method.OPEN: "open",
    Agreement.Method.RESTRICTED: "selective",
    Agreement.Method.COMPETITIVE_DIALOGUE: "selective",
    Agreement.Method.NEGOTIATED: "limited",
    Agreement.Method.DIRECT: "direct",
}


def ocid(agreement: Agreement) -> str:
    """Stable for the life of the agreement: the configured prefix and the agreement's unique reference."""
    return f"{settings.OCDS_OCID_PREFIX}-{agreement.reference}"


def ocds_datetime(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    return f"{value.isoformat()}T00:00:00Z"


def money(amount: Decimal, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def milestone_status(milestone: Milestone, *, accepted: int, total: int, today: datetime.date) -> str | None:
    """Map our milestone states onto OCDS's closed milestoneStatus codelist.

    achieved → met; missed, or open past its due date → notMet; open with some (not all) deliverables
    accepted → partiallyMet; other open ones → scheduled. A cancelled milestone has no OCDS status (null).
    """
    if milestone.status == Milestone.Status.ACHIEVED:
        return "met"
    if milestone.status == Milestone.Status.CANCELLED:
        return None
    if milestone.status == Milestone.Status.MISSED or milestone.due_date < today:
        return "notMet"
    if 0 < accepted < total:
        return "partiallyMet"
    return "scheduled"


def _authority_party(authority) -> dict:
    return {
        "id": f"authority-{authority.code}",
        "name": authority.name,
        "identifier": {"id": authority.code, "legalName": authority.name},
        "roles": ["buyer", "procuringEntity", "publicAuthority", "payer"],
    }


def _vendor_party(vendor) -> dict:
    party = {
        "id": f"vendor-{vendor.registration_number}",
        "name": vendor.legal_name,
        "identifier": {"id": vendor.registration_number, "legalName": vendor.legal_name},
        "address": {"countryName": vendor.country},
        "roles": ["supplier", "privateParty", "payer"],
    }
    if vendor.website:
        party["identifier"]["uri"] = vendor.website
    return party


def _reference(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


class _Chunk:
    """Everything the releases of a chunk of agreements need, read with a fixed number of queries."""

    def __init__(self, agreements: list[Agreement], today: datetime.date):
        by_id = {agreement.pk: agreement for agreement in agreements}
        ids = list(by_id)
        self.today = today
        self.history = defaultdict(list)
        for row in Agreement.history.filter(id__in=ids).order_by("id", "history_date", "history_id"):
            self.history[row.id].append(row)
        self.shares = defaultdict(list)
        for share in CostShare.objects.filter(agreement_id__in=ids).select_related("vendor").order_by("pk"):
            share.agreement = by_id[share.agreement_id]  # committed_amount reads it; no query per share
            self.shares[share.agreement_id].append(share)
        self.spent_by_party = defaultdict(Decimal)
        self.expenditures = defaultdict(list)
        for spend in Expenditure.objects.filter(agreement_id__in=ids).order_by("date", "pk"):
            self.expenditures[spend.agreement_id].append(spend)
            self.spent_by_party[(spend.agreement_id, spend.vendor_id)] += spend.amount
        self.milestones = defaultdict(list)
        milestones = (
            Milestone.objects.filter(project__agreement_id__in=ids)
            .select_related("project")
            .annotate(
                deliverables_total=Count("deliverables"),
                deliverables_accepted=Count("deliverables", filter=Q(deliverables__status=Deliverable.Status.ACCEPTED)),
            )
            .order_by("due_date", "pk")
        )
        for milestone in milestones:
            self.milestones[milestone.project.agreement_id].append(milestone)
        self.amendments = defaultdict(list)
        approved = (
            Amendment.objects.filter(agreement_id__in=ids, status=Amendment.Status.APPROVED)
            .prefetch_related("share_changes__vendor")
            .order_by("decided_at", "pk")
        )
        for amendment in approved:
            self.amendments[amendment.agreement_id].append(amendment)
        self.risks = defaultdict(list)
        for risk in Risk.objects.filter(project__agreement_id__in=ids).select_related("project").order_by("pk"):
            self.risks[risk.project.agreement_id].append(risk)
        # Payments made through certificates: each party's net part of every paid certificate.
        from payments.models import Certificate, PartyShare  # the export reads the payment chain (issue 13)

        self.payments = defaultdict(list)
        paid_parts = (
            PartyShare.objects.filter(
                certificate__agreement_id__in=ids, certificate__status__in=Certificate.PAID_STATUSES, net_amount__gt=0
            )
            .select_related("certificate__payee", "vendor")
            .order_by("certificate__paid_on", "certificate_id", "pk")
        )
        for part in paid_parts:
            self.payments[part.certificate.agreement_id].append(part)
        # When the implementation last changed: the latest milestone, deliverable or spend change.
        self.last_change = defaultdict(lambda: None)
        for model, path, field in (
            (Milestone, "project__agreement_id", "updated_at"),
            (Deliverable, "milestone__project__agreement_id", "updated_at"),
            (Expenditure.history.model, "agreement_id", "history_date"),
        ):
            rows = model.objects.filter(**{f"{path}__in": ids}).values(path).annotate(latest=Max(field)).order_by()
            for row in rows:
                previous = self.last_change[row[path]]
                self.last_change[row[path]] = max(filter(None, [previous, row["latest"]]))


def _envelope(agreement: Agreement, parties: list[dict], release_id: str, date, tags: list[str]) -> dict:
    authority_party = parties[0]
    return {
        "ocid": ocid(agreement),
        "id": release_id,
        "date": ocds_datetime(date),
        "tag": tags,
        "initiationType": "tender",
        "language": "en",
        "parties": parties,
        "buyer": _reference(authority_party),
        "tender": {
            "id": f"{agreement.reference}-tender",
            "title": agreement.title,
            "procurementMethod": PROCUREMENT_METHOD[agreement.procurement_method],
            "procurementMethodDetails": agreement.get_procurement_method_display(),
            "procuringEntity": _reference(authority_party),
        },
    }


def _contract(agreement, snapshot, award_id: str) -> dict:
    """The contract as ``snapshot`` (the agreement or one of its history rows) describes it."""
    contract = {
        "id": agreement.reference,
        "awardID": award_id,
        "title": agreement.title,
        "status": CONTRACT_STATUS[snapshot.status],
        "period": {"startDate": ocds_datetime(snapshot.start_date), "endDate": ocds_datetime(snapshot.end_date)},
        "value": money(snapshot.total_value, snapshot.currency),
    }
    if snapshot.signed_date:
        contract["dateSigned"] = ocds_datetime(snapshot.signed_date)
    if snapshot.status == Agreement.Status.SUSPENDED:
        contract["description"] = "Suspended."
    return contract


def _amendment(amendment: Amendment) -> dict:
    return {
        "id": f"amendment-{amendment.pk}",
        "date": ocds_datetime(amendment.decided_at),
        "rationale": amendment.reason,
        "description": amendment.summary(),
    }


def _state_changes(rows) -> Iterator:
    previous = None
    for row in rows:
        values = tuple(getattr(row, field) for field in CONTRACT_FIELDS)
        if values != previous:
            yield row, previous
        previous = values


def _tags(row, previous) -> list[str]:
    if previous is None:
        return ["contract"]
    if row.status in (Agreement.Status.COMPLETED, Agreement.Status.TERMINATED) and previous[0] != row.status:
        return ["contractTermination"]
    if previous[0] == row.status:
        return ["contractAmendment"]
    return ["contractUpdate"]


def _finance_and_charges(agreement, shares, spent, parties_by_vendor, authority_party):
    finance, charges = [], []
    for share in shares:
        committed = share.committed_amount
        actual = spent[(agreement.pk, share.vendor_id)]
        if share.vendor_id is None:
            charges.append(
                {
                    "id": f"{agreement.reference}-share-authority",
                    "title": f"Public authority's {share.percentage.normalize():f} % share of the cost",
                    "paidBy": "government",
                    "estimatedValue": money(committed, agreement.currency),
                    "actualValue": money(actual, agreement.currency),
                }
            )
        else:
            finance.append(
                {
                    "id": f"{agreement.reference}-share-{share.vendor.registration_number}",
                    "title": f"{share.vendor.legal_name}'s {share.percentage.normalize():f} % share of the cost",
                    "financingParty": _reference(parties_by_vendor[share.vendor_id]),
                    "financingPartyType": "commercial",
                    "value": money(committed, agreement.currency),
                    "description": f"Committed under the cost-sharing agreement; spent to date: {actual} "
                    f"{agreement.currency}.",
                }
            )
    return finance, charges


RISK_ALLOCATION = {
    Risk.Allocation.PUBLIC: "publicAuthority",
    Risk.Allocation.PRIVATE: "privateParty",
    # OCDS has no "shared": the risk is not with one party; the notes say it is shared.
    Risk.Allocation.SHARED: "undefined",
}


def _register_risk(risk: Risk) -> dict:
    return {
        "id": f"risk-{risk.pk}",
        "category": risk.category,
        "description": f"{risk.project.code}: {risk.title}",
        "allocation": RISK_ALLOCATION[risk.allocation],
        "notes": f"{risk.get_allocation_display()}; likelihood {risk.likelihood}/5, impact {risk.impact}/5; "
        f"{risk.get_status_display().lower()}.",
    }


def _risk_allocation(agreement, shares) -> list[dict]:
    """Who bears the cost risk, as the cost shares allocate it."""
    public = sum((s.percentage for s in shares if s.vendor_id is None), Decimal("0"))
    private = sum((s.percentage for s in shares if s.vendor_id is not None), Decimal("0"))
    # Equal shares retain the risk jointly; OCDS has no "shared", so it is "undefined" with the split in notes.
    allocation = "undefined"
    if public != private:
        allocation = "publicAuthority" if public > private else "privateParty"
    return [
        {
            "id": f"{agreement.reference}-cost-overrun",
            "category": "construction",
            "description": "Cost overrun: borne by the parties in proportion to their cost shares.",
            "allocation": allocation,
            "notes": f"Public authority {public.normalize():f} %, private parties {private.normalize():f} %.",
        }
    ]


def _milestone(milestone: Milestone, currency: str, today: datetime.date) -> dict:
    item = {
        "id": f"milestone-{milestone.pk}",
        "title": milestone.title,
        "type": milestone.type,
        "description": f"{milestone.project.code}: {milestone.description}".rstrip(": "),
        "dueDate": ocds_datetime(milestone.due_date),
        "status": milestone_status(
            milestone, accepted=milestone.deliverables_accepted, total=milestone.deliverables_total, today=today
        ),
        "dateModified": ocds_datetime(milestone.updated_at),
    }
    if milestone.achieved_date:
        item["dateMet"] = ocds_datetime(milestone.achieved_date)
    if milestone.payment_amount:
        item["value"] = money(milestone.payment_amount, currency)
    return item


def _transaction(spend: Expenditure, agreement, payer: dict) -> dict:
    item = {
        "id": f"expenditure-{spend.pk}",
        "date": ocds_datetime(spend.date),
        "value": money(spend.amount, agreement.currency),
        "payer": _reference(payer),
    }
    if spend.milestone_id:
        item["source"] = f"milestone-{spend.milestone_id}"
    return item


def _payment(part, agreement, payer: dict, payee: dict | None) -> dict:
    """One party's part of a paid certificate: from that party (payer) to the vendor paid (payee)."""
    certificate = part.certificate
    item = {
        "id": f"payment-{certificate.pk}-{part.vendor_id or 'authority'}",
        "date": ocds_datetime(certificate.paid_on),
        "value": money(part.net_amount, agreement.currency),
        "payer": _reference(payer),
    }
    if payee is not None:
        item["payee"] = _reference(payee)
    return item


def _payments(agreement, parts, parties: list[dict], vendor_parties: dict, authority_party: dict):
    """The implementation's payment transactions, and the parties they name (a party that left by amendment
    still paid its part of earlier certificates, so it is listed; the vendors paid gain the ``payee`` role)."""
    parties = [dict(party, roles=list(party["roles"])) for party in parties]
    by_vendor = {party["id"]: party for party in parties}

    def vendor_party(vendor):
        party = by_vendor.get(_vendor_party(vendor)["id"])
        if party is None:
            party = by_vendor[_vendor_party(vendor)["id"]] = _vendor_party(vendor)
            parties.append(party)
        return party

    transactions = []
    for part in parts:
        payer = vendor_party(part.vendor) if part.vendor_id else parties[0]
        payee = vendor_party(part.certificate.payee) if part.certificate.payee_id else None
        if payee is not None and "payee" not in payee["roles"]:
            payee["roles"].append("payee")
        transactions.append(_payment(part, agreement, payer, payee))
    return transactions, parties


def agreement_releases(agreement: Agreement, chunk: _Chunk, since: datetime.date | None = None) -> Iterator[dict]:
    shares = chunk.shares[agreement.pk]
    authority_party = _authority_party(agreement.authority)
    vendor_parties = {s.vendor_id: _vendor_party(s.vendor) for s in shares if s.vendor_id}
    parties = [authority_party, *vendor_parties.values()]
    award_id = f"{agreement.reference}-award"

    def with_award(release, snapshot, before=None):
        release["awards"] = [
            {
                "id": award_id,
                "status": "active" if snapshot.status != Agreement.Status.DRAFT else "pending",
                "value": money(snapshot.total_value, snapshot.currency),
                "suppliers": [_reference(party) for party in vendor_parties.values()],
                "contractPeriod": {
                    "startDate": ocds_datetime(snapshot.start_date),
                    "endDate": ocds_datetime(snapshot.end_date),
                },
            }
        ]
        release["contracts"] = [_contract(agreement, snapshot, award_id)]
        # The approved amendments known when this release was made.
        amendments = [_amendment(a) for a in chunk.amendments[agreement.pk] if before is None or a.decided_at < before]
        if amendments:
            release["contracts"][0]["amendments"] = amendments
        return release

    def wanted(date) -> bool:
        return since is None or timezone.localdate(date) >= since

    changes = list(_state_changes(chunk.history[agreement.pk]))
    for index, (row, previous) in enumerate(changes):
        if wanted(row.history_date):
            release = _envelope(
                agreement, parties, f"{ocid(agreement)}-{row.history_id}", row.history_date, _tags(row, previous)
            )
            # A release stands until the next change: it lists the amendments approved before then.
            following = changes[index + 1][0].history_date if index + 1 < len(changes) else None
            yield with_award(release, row, before=following)

    # The current contract, dated by its latest change of any kind.
    last_change = max(filter(None, [chunk.last_change[agreement.pk], changes[-1][0].history_date if changes else None]))
    if not wanted(last_change):
        return
    release = with_award(
        _envelope(
            agreement,
            parties,
            f"{ocid(agreement)}-implementation-{last_change:%Y%m%dT%H%M%S%f}",
            last_change,
            ["implementation"],
        ),
        agreement,
    )
    finance, charges = _finance_and_charges(agreement, shares, chunk.spent_by_party, vendor_parties, authority_party)
    payments, release["parties"] = _payments(
        agreement, chunk.payments[agreement.pk], parties, vendor_parties, authority_party
    )
    contract = release["contracts"][0]
    contract["finance"] = finance
    contract["riskAllocation"] = _risk_allocation(agreement, shares) + [
        _register_risk(risk) for risk in chunk.risks[agreement.pk]
    ]
    contract["implementation"] = {
        "milestones": [_milestone(m, agreement.currency, chunk.today) for m in chunk.milestones[agreement.pk]],
        "transactions": [
            _transaction(spend, agreement, vendor_parties.get(spend.vendor_id, authority_party))
            for spend in chunk.expenditures[agreement.pk]
        ]
        + payments,
        "charges": charges,
    }
    yield release


def iter_releases(
    agreements: Iterable[Agreement] | None = None,
    *,
    since: datetime.date | None = None,
    chunk_size: int = 200,
    on_chunk=None,
) -> Iterator[dict]:
    """Releases of the given agreements (all by default), reading ``chunk_size`` agreements at a time.

    Memory holds one chunk; the query count grows with the number of chunks, not of agreements or
    milestones. ``on_chunk(done, total)`` is called after each chunk (for progress).
    """
    queryset = agreements if agreements is not None else Agreement.objects.all()
    queryset = queryset.select_related("authority").order_by("pk")
    total = queryset.count() if on_chunk else None
    today = timezone.localdate()
    last_pk, done = 0, 0
    while True:
        # Keyset pagination: stable and cheap however deep the export goes.
        agreements_chunk = list(queryset.filter(pk__gt=last_pk)[:chunk_size])
        if not agreements_chunk:
            return
        chunk = _Chunk(agreements_chunk, today)
        for agreement in agreements_chunk:
            yield from agreement_releases(agreement, chunk, since)
        last_pk = agreements_chunk[-1].pk
        done += len(agreements_chunk)
        if on_chunk:
            on_chunk(done, total)
