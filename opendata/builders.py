"""What an agreement says in OCDS for PPPs, a chunk of agreements at a time.

``release_content`` builds the published view of one agreement as it stands: parties, tender, award,
contract (amendments, finance, risk allocation, agreed metrics) and implementation (milestones,
transactions, charges, metrics, performance failures), with ``planning.project``. It reads stored facts
only, never today's date, so the same facts always give the same content. ``opendata.services`` turns a
changed content into a new, immutable release.

Codes come from the OCDS for PPPs codelists (``../shared/ocds/ppp/codelists``); local codes with no
equivalent are mapped below and said in the text. Vendor contacts (names, emails, phones) are personal data
and are never read here.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

import pycountry
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, TextField
from django.db.models.functions import Cast
from django.utils import translation

from payments.models import Certificate, PartyShare
from procurement.models import Agreement, Amendment, CostShare, Expenditure
from projects.models import KPI, Deliverable, KPIMeasurement, Milestone, PerformanceFailure, Project, Risk

CONTRACT_STATUS = {
    Agreement.Status.DRAFT: "pending",
    Agreement.Status.ACTIVE: "active",
    Agreement.Status.SUSPENDED: "active",  # still in force; the description says suspended
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
# milestoneType: "planning" is not a code; planning-phase events are "preProcurement".
MILESTONE_TYPE = {
    Milestone.Type.PLANNING: "preProcurement",
    Milestone.Type.DELIVERY: "delivery",
    Milestone.Type.REPORTING: "reporting",
    Milestone.Type.FINANCING: "financing",
    Milestone.Type.PAYMENT: "payment",
}
# riskCategory: our local categories mapped to the nearest code; "other" has none (category left out, the
# description names it).
RISK_CATEGORY = {
    Risk.Category.FINANCIAL: "financeAvailability",
    Risk.Category.TECHNOLOGY: "design",
    Risk.Category.OTHER: None,
}
# riskAllocation is closed: publicAuthority, privateParty, undefined. A shared risk is "not clearly assigned
# to a specific party", which the codelist calls "undefined" and explains in notes: the notes say "Shared".
RISK_ALLOCATION = {
    Risk.Allocation.PUBLIC: "publicAuthority",
    Risk.Allocation.PRIVATE: "privateParty",
    Risk.Allocation.SHARED: "undefined",
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


def country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code) if code else None
    return country.name if country else None


def milestone_status(milestone: Milestone, *, accepted: int, total: int) -> str | None:
    """Map our milestone states onto OCDS's closed milestoneStatus codelist, from stored facts only.

    achieved → met; missed → notMet; open with some (not all) deliverables accepted → partiallyMet; other
    open ones → scheduled (an open milestone past its due date is "missed" once an officer or the overdue
    scan says so, not because the export ran late). A cancelled milestone has no OCDS status (null).
    """
    if milestone.status == Milestone.Status.ACHIEVED:
        return "met"
    if milestone.status == Milestone.Status.CANCELLED:
        return None
    if milestone.status == Milestone.Status.MISSED:
        return "notMet"
    if 0 < accepted < total:
        return "partiallyMet"
    return "scheduled"


def authority_party(authority) -> dict:
    party = {
        "id": f"authority-{authority.code}",
        "name": authority.name,
        "identifier": {
            "scheme": settings.OCDS_AUTHORITY_IDENTIFIER_SCHEME,
            "id": authority.code,
            "legalName": authority.name,
        },
        "roles": ["buyer", "procuringEntity", "payer"],
    }
    if name := country_name(settings.OCDS_AUTHORITY_COUNTRY):
        party["address"] = {"countryName": name}
    return party


def vendor_identifier_scheme(country: str) -> str:
    """org-id.guide list code of the vendor's company register, by country, or the local scheme."""
    return settings.OCDS_VENDOR_IDENTIFIER_SCHEMES.get(country, settings.OCDS_LOCAL_IDENTIFIER_SCHEME)


def vendor_party(vendor) -> dict:
    party = {
        "id": f"vendor-{vendor.registration_number}",
        "name": vendor.legal_name,
        "identifier": {
            "scheme": vendor_identifier_scheme(vendor.country),
            "id": vendor.registration_number,
            "legalName": vendor.legal_name,
        },
        "roles": ["supplier", "privateParty"],
    }
    if name := country_name(vendor.country):
        party["address"] = {"countryName": name}
    if vendor.website:
        party["identifier"]["uri"] = vendor.website
    return party


def _reference(party: dict) -> dict:
    return {"id": party["id"], "name": party["name"]}


class MilestoneRow(NamedTuple):
    """What a release says of a milestone: read as plain rows, not model instances (an export of 20,000
    agreements reads a million milestones; building a model instance for each cost more than the rest)."""

    pk: int
    project_id: int
    title: str
    description: str
    type: str
    due_date: datetime.date
    status: str
    achieved_date: datetime.date | None
    payment_amount: Decimal
    updated_at: datetime.datetime
    deliverable_total: int = 0
    deliverable_accepted: int = 0


MILESTONE_FIELDS = (*MilestoneRow._fields[:-3], "updated")


def _updated_at():
    """On PostgreSQL, updated_at as its text (with its UTC offset), parsed by datetime.fromisoformat in C: Django's
    timestamptz loader is a Python subclass of psycopg's, about 8 µs a value, 8 s of a 20,000-agreement export.
    The same instant either way. Other databases answer the datetime itself."""
    return Cast("updated_at", TextField()) if connection.vendor == "postgresql" else F("updated_at")


def _instant(value) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


class Chunk:
    """Everything the content of a chunk of agreements needs, read with a fixed number of queries."""

    def __init__(self, agreements: list[Agreement]):
        by_id = {agreement.pk: agreement for agreement in agreements}
        ids = list(by_id)
        self.shares = defaultdict(list)
        for share in CostShare.objects.filter(agreement_id__in=ids).select_related("vendor").order_by("pk"):
            share.agreement = by_id[share.agreement_id]  # committed_amount reads it; no query per share
            self.shares[share.agreement_id].append(share)
        self.spent_by_party = defaultdict(Decimal)
        self.expenditures = defaultdict(list)
        for spend in Expenditure.objects.filter(agreement_id__in=ids).select_related("vendor").order_by("date", "pk"):
            self.expenditures[spend.agreement_id].append(spend)
            self.spent_by_party[(spend.agreement_id, spend.vendor_id)] += spend.amount
        self.projects = defaultdict(list)
        projects = {}
        for project in Project.objects.filter(agreement_id__in=ids).order_by("pk"):
            self.projects[project.agreement_id].append(project)
            projects[project.pk] = project
        self.project_codes = {pk: project.code for pk, project in projects.items()}
        self.milestones = defaultdict(list)
        # The project ids are known: no join to projects. Deliverables are counted per milestone in their own
        # grouped query (one index probe per milestone) rather than by grouping the milestones' wide rows.
        counts = {
            milestone_id: (total, accepted)
            for milestone_id, total, accepted in Deliverable.objects.filter(milestone__project_id__in=list(projects))
            .values("milestone_id")
            .annotate(total=Count("pk"), accepted=Count("pk", filter=Q(status=Deliverable.Status.ACCEPTED)))
            .values_list("milestone_id", "total", "accepted")
            .order_by()
        }
        rows = (
            Milestone.objects.filter(project_id__in=list(projects))
            .annotate(updated=_updated_at())
            .order_by("due_date", "pk")
            .values_list(*MILESTONE_FIELDS)
        )
        for *row, updated in rows:
            milestone = MilestoneRow(*row, _instant(updated), *counts.get(row[0], (0, 0)))
            self.milestones[projects[milestone.project_id].agreement_id].append(milestone)
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
        self.kpis = defaultdict(list)
        kpis = KPI.objects.filter(project__agreement_id__in=ids).select_related("project").order_by("pk")
        for kpi in kpis:
            kpi.observations = []
            self.kpis[kpi.project.agreement_id].append(kpi)
        by_kpi = {kpi.pk: kpi for group in self.kpis.values() for kpi in group}
        # Published metrics are the confirmed measurements only (not a vendor's unconfirmed self-report).
        for measurement in KPIMeasurement.objects.confirmed().filter(kpi_id__in=by_kpi).order_by("date", "pk"):
            by_kpi[measurement.kpi_id].observations.append(measurement)
        self.failures = defaultdict(list)
        failures = (
            PerformanceFailure.objects.filter(milestone__project__agreement_id__in=ids)
            .select_related("milestone__project", "vendor")
            .order_by("recorded_on", "pk")
        )
        for failure in failures:
            self.failures[failure.milestone.project.agreement_id].append(failure)
        # Payments made through certificates: each party's net part of every paid certificate.
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


class _Parties:
    """The parties a release names, in a stable order, each listed once with the roles it plays."""

    def __init__(self, agreement: Agreement):
        self.authority = authority_party(agreement.authority)
        self.by_id = {self.authority["id"]: self.authority}

    def vendor(self, vendor, *roles: str) -> dict:
        party = self.by_id.get(f"vendor-{vendor.registration_number}")
        if party is None:
            party = self.by_id[f"vendor-{vendor.registration_number}"] = vendor_party(vendor)
        for role in roles:
            if role not in party["roles"]:
                party["roles"].append(role)
        return party

    def all(self) -> list[dict]:
        return list(self.by_id.values())


def _amendment(amendment: Amendment) -> dict:
    return {
        "id": f"amendment-{amendment.pk}",
        "date": ocds_datetime(amendment.decided_at),
        "rationale": amendment.reason,
        "description": amendment.summary(),
    }


def _finance_and_charges(agreement, shares, spent, parties: _Parties):
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
            party = parties.vendor(share.vendor, "funder")
            finance.append(
                {
                    "id": f"{agreement.reference}-share-{share.vendor.registration_number}",
                    "title": f"{share.vendor.legal_name}'s {share.percentage.normalize():f} % share of the cost",
                    "financingParty": _reference(party),
                    "financingPartyType": "commercial",
                    "value": money(committed, agreement.currency),
                    "description": f"Committed under the cost-sharing agreement; spent to date: {actual} "
                    f"{agreement.currency}.",
                }
            )
    return finance, charges


def _register_risk(risk: Risk) -> dict:
    item = {
        "id": f"risk-{risk.pk}",
        "category": RISK_CATEGORY.get(risk.category, risk.category),
        "description": f"{risk.project.code}: {risk.title} ({risk.get_category_display()})",
        "allocation": RISK_ALLOCATION[risk.allocation],
        "notes": f"{risk.get_allocation_display()}; likelihood {risk.likelihood}/5, impact {risk.impact}/5; "
        f"{risk.get_status_display().lower()}.",
    }
    if item["category"] is None:
        del item["category"]
    return item


def _cost_risk(agreement, shares) -> dict:
    """Who bears the cost risk, as the cost shares allocate it."""
    public = sum((s.percentage for s in shares if s.vendor_id is None), Decimal("0"))
    private = sum((s.percentage for s in shares if s.vendor_id is not None), Decimal("0"))
    allocation = "undefined"  # equal shares: retained jointly, the notes give the split
    if public != private:
        allocation = "publicAuthority" if public > private else "privateParty"
    return {
        "id": f"{agreement.reference}-cost-overrun",
        "category": "construction",
        "description": "Cost overrun: borne by the parties in proportion to their cost shares.",
        "allocation": allocation,
        "notes": f"{'Shared. ' if allocation == 'undefined' else ''}Public authority {public.normalize():f} %, "
        f"private parties {private.normalize():f} %.",
    }


def _milestone(milestone: MilestoneRow, project_code: str, currency: str) -> dict:
    description = f"{project_code}: {milestone.description}".rstrip(": ")
    if milestone.payment_amount:
        # The profile's milestone has no value field: the payment due is said in words (the payment itself
        # is a transaction once made).
        description += f" Pays {milestone.payment_amount:,} {currency} when met."
    item = {
        "id": f"milestone-{milestone.pk}",
        "title": milestone.title,
        "type": MILESTONE_TYPE[milestone.type],
        "description": description,
        "dueDate": ocds_datetime(milestone.due_date),
        "status": milestone_status(
            milestone, accepted=milestone.deliverable_accepted, total=milestone.deliverable_total
        ),
        "dateModified": ocds_datetime(milestone.updated_at),
    }
    if milestone.achieved_date:
        item["dateMet"] = ocds_datetime(milestone.achieved_date)
    return item


def _spend(spend: Expenditure, agreement, parties: _Parties) -> dict:
    """Money a party spent on the agreement. Whom it paid is not recorded, so there is no payee; payments
    between the parties (certificates, below) name both."""
    payer = parties.vendor(spend.vendor, "payer") if spend.vendor_id else parties.authority
    return {
        "id": f"expenditure-{spend.pk}",
        "date": ocds_datetime(spend.date),
        "value": money(spend.amount, agreement.currency),
        "payer": _reference(payer),
    }


def _payment(part, agreement, parties: _Parties) -> dict:
    """One party's part of a paid certificate: from that party (payer) to the vendor paid (payee)."""
    certificate = part.certificate
    payer = parties.vendor(part.vendor, "payer") if part.vendor_id else parties.authority
    item = {
        "id": f"payment-{certificate.pk}-{part.vendor_id or 'authority'}",
        "date": ocds_datetime(certificate.paid_on),
        "value": money(part.net_amount, agreement.currency),
        "payer": _reference(payer),
    }
    if certificate.payee_id:
        item["payee"] = _reference(parties.vendor(certificate.payee, "payee"))
    return item


def _metric(kpi: KPI) -> dict:
    metric = {
        "id": f"kpi-{kpi.pk}",
        "title": kpi.name,
        "description": f"{kpi.project.code}: baseline {kpi.baseline.normalize():f}, target "
        f"{kpi.target.normalize():f} {kpi.unit} ({kpi.get_direction_display().lower()} is better).",
        "observations": [
            {
                "id": f"kpi-{kpi.pk}-{measurement.date.isoformat()}",
                "period": {
                    "startDate": ocds_datetime(measurement.period_start or measurement.date),
                    "endDate": ocds_datetime(measurement.date),
                },
                "measure": measurement.value,
                "unit": {"name": kpi.unit},
            }
            for measurement in kpi.observations
        ],
    }
    return metric


def _agreed_metric(kpi: KPI) -> dict:
    return {
        "id": f"kpi-{kpi.pk}",
        "title": kpi.name,
        "observations": [{"id": f"kpi-{kpi.pk}-target", "measure": kpi.target, "unit": {"name": kpi.unit}}],
    }


def _failure(failure: PerformanceFailure, currency: str, parties: _Parties) -> dict:
    parties.vendor(failure.vendor)
    return {
        "id": f"failure-{failure.pk}",
        "period": {"startDate": ocds_datetime(failure.recorded_on), "endDate": ocds_datetime(failure.recorded_on)},
        "category": f"milestone-{failure.milestone_id}",
        "events": 1,
        "penaltyContracted": f"{failure.penalty_contracted} {currency}",
        "penaltyImposed": f"{failure.penalty_imposed} {currency}",
        "penaltyPaid": failure.penalty_paid >= failure.penalty_imposed > 0,
    }


def release_content(agreement: Agreement, chunk: Chunk) -> dict:
    """The agreement as OCDS for PPPs, without the release's id, date and tag (which the service adds)."""
    # Published data is English ("language": "en") whoever's request triggers the publication: a French
    # officer's action must not turn choice labels French, nor change the content hash into a new release.
    with translation.override("en"):
        return _release_content(agreement, chunk)


def _release_content(agreement: Agreement, chunk: Chunk) -> dict:
    shares = chunk.shares[agreement.pk]
    parties = _Parties(agreement)
    suppliers = [parties.vendor(share.vendor) for share in shares if share.vendor_id]
    award_id = f"{agreement.reference}-award"
    finance, charges = _finance_and_charges(agreement, shares, chunk.spent_by_party, parties)
    transactions = [_spend(spend, agreement, parties) for spend in chunk.expenditures[agreement.pk]]
    transactions += [_payment(part, agreement, parties) for part in chunk.payments[agreement.pk]]
    failures = [_failure(f, agreement.currency, parties) for f in chunk.failures[agreement.pk]]
    kpis = chunk.kpis[agreement.pk]

    contract = {
        "id": agreement.reference,
        "awardID": award_id,
        "title": agreement.title,
        "status": CONTRACT_STATUS[agreement.status],
        "period": {"startDate": ocds_datetime(agreement.start_date), "endDate": ocds_datetime(agreement.end_date)},
        "value": money(agreement.total_value, agreement.currency),
    }
    if agreement.signed_date:
        contract["dateSigned"] = ocds_datetime(agreement.signed_date)
    if agreement.status == Agreement.Status.SUSPENDED:
        contract["description"] = "Suspended."
    if amendments := [_amendment(a) for a in chunk.amendments[agreement.pk]]:
        contract["amendments"] = amendments
    contract["finance"] = finance
    contract["riskAllocation"] = [_cost_risk(agreement, shares)] + [
        _register_risk(r) for r in chunk.risks[agreement.pk]
    ]
    if kpis:
        contract["agreedMetrics"] = [_agreed_metric(kpi) for kpi in kpis]
    implementation = {
        "milestones": [
            _milestone(m, chunk.project_codes[m.project_id], agreement.currency) for m in chunk.milestones[agreement.pk]
        ],
        "transactions": transactions,
        "charges": charges,
    }
    if kpis:
        implementation["metrics"] = [_metric(kpi) for kpi in kpis]
    if failures:
        implementation["performanceFailures"] = failures
    contract["implementation"] = implementation

    content = {
        "ocid": ocid(agreement),
        "initiationType": "tender",
        "language": "en",
        "parties": parties.all(),
        "buyer": _reference(parties.authority),
    }
    if projects := chunk.projects[agreement.pk]:
        # OCDS has one project per contracting process: the agreement's first; the others are named in it.
        first, *others = projects
        description = first.description or first.name
        if others:
            description += " Also delivered under this agreement: " + ", ".join(p.code for p in others) + "."
        content["planning"] = {"project": {"id": first.code, "title": first.name, "description": description}}
    content["tender"] = {
        "id": f"{agreement.reference}-tender",
        "title": agreement.title,
        "procurementMethod": PROCUREMENT_METHOD[agreement.procurement_method],
        "procurementMethodDetails": agreement.get_procurement_method_display(),
        "procuringEntity": _reference(parties.authority),
    }
    content["awards"] = [
        {
            "id": award_id,
            "status": "active",
            "value": money(agreement.total_value, agreement.currency),
            "suppliers": [_reference(party) for party in suppliers],
            "contractPeriod": {
                "startDate": ocds_datetime(agreement.start_date),
                "endDate": ocds_datetime(agreement.end_date),
            },
        }
    ]
    content["contracts"] = [contract]
    return content


def published_agreements():
    """Agreements the public may see: every one but drafts (an agreement is published once activated)."""
    return Agreement.objects.exclude(status=Agreement.Status.DRAFT)


def iter_chunks(queryset=None, *, chunk_size: int = 200, on_chunk=None) -> Iterator[tuple[list[Agreement], Chunk]]:
    """(agreements, their Chunk) for the given published agreements, ``chunk_size`` agreements at a time.

    Memory holds one chunk; the query count grows with the number of chunks, not of agreements or
    milestones. ``on_chunk(done, total)`` is called once the caller is done with a chunk (for progress).
    """
    queryset = (queryset if queryset is not None else published_agreements()).exclude(status=Agreement.Status.DRAFT)
    queryset = queryset.select_related("authority").order_by("pk")
    total = queryset.count() if on_chunk else None
    last_pk, done = 0, 0
    while True:
        # Keyset pagination: stable and cheap however deep the run goes.
        agreements_chunk = list(queryset.filter(pk__gt=last_pk)[:chunk_size])
        if not agreements_chunk:
            return
        yield agreements_chunk, Chunk(agreements_chunk)
        last_pk = agreements_chunk[-1].pk
        done += len(agreements_chunk)
        if on_chunk:
            on_chunk(done, total)


def iter_contents(queryset=None, *, chunk_size: int = 200, on_chunk=None) -> Iterator[tuple[Agreement, dict]]:
    """(agreement, content) for the given published agreements, read a chunk at a time (``iter_chunks``)."""
    for agreements, chunk in iter_chunks(queryset, chunk_size=chunk_size, on_chunk=on_chunk):
        for agreement in agreements:
            yield agreement, release_content(agreement, chunk)
