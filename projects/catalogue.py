"""Realistic delivery content per sector: project names, milestones, deliverables, risks and KPIs.

``seed_demo`` builds its projects from these and the factories draw their default texts from them, so nothing
a user sees in a demo or a test reads as filler. Plain data (risk categories are the stored codes of
``Risk.Category``): no models, no queries.
"""

from decimal import Decimal

# Sectors: hospitals, roads and schools are delivered as PPPs (design, build, finance, maintain); digital services
# agile (a beta, then waves of rollout).
DIGITAL, HEALTH, ROADS, RAIL, SCHOOLS = "digital", "health", "roads", "rail", "schools"

# (title, OCDS milestone type, description), in the order a project meets them.
MILESTONES = {
    DIGITAL: (
        ("Discovery report accepted", "planning", "User needs, constraints and options from eight weeks of research."),
        ("Service design baseline", "planning", "Service map, backlog and architecture agreed with the authority."),
        ("Private beta live", "delivery", "The service open to invited users, with support and monitoring."),
        ("Security accreditation", "delivery", "Penetration test passed and risk accepted by the senior owner."),
        ("Accessibility audit passed", "delivery", "WCAG 2.2 AA audit by an independent assessor, issues fixed."),
        ("Data migration dry run", "delivery", "Full copy of the legacy records migrated and reconciled."),
        ("Public beta live", "delivery", "Open to everyone, the legacy channel still available."),
        ("Beta milestone payment", "payment", "Payment on acceptance of the public beta."),
        ("Service assessment passed", "delivery", "Live assessment against the government service standard."),
        ("Rollout wave 1 complete", "delivery", "All users of the first regions moved to the new service."),
        ("Rollout wave 2 complete", "delivery", "Remaining regions moved; legacy channel closed to new cases."),
        ("Operational handover", "delivery", "Run book, on-call rota and knowledge transfer to live support."),
        ("Live service payment", "payment", "First quarterly service charge after handover."),
        ("Annual service review", "reporting", "Performance, incidents and improvements of the first year."),
    ),
    HEALTH: (
        ("Financial close", "financing", "Senior debt and equity committed; funding agreements signed."),
        ("Planning permission granted", "planning", "Full planning consent, conditions discharged for the start."),
        ("Site possession", "delivery", "Site handed over by the authority, hoarding and welfare in place."),
        ("Enabling works complete", "delivery", "Diversions of services, demolition and site levelling finished."),
        ("Structural frame complete", "delivery", "Concrete frame topped out on all floors."),
        ("Building envelope watertight", "delivery", "Roof, cladding and glazing complete; internal works can start."),
        ("Medical gases and M&E commissioned", "delivery", "Mechanical, electrical and medical gas systems tested."),
        (
            "Independent certifier inspection",
            "delivery",
            "Independent certifier's pre-completion inspection, no defects.",
        ),
        ("Service commencement", "delivery", "Certificate of practical completion; facility handed to clinicians."),
        ("First unitary payment", "payment", "First monthly availability payment, after deductions."),
        ("Defects period closed", "delivery", "All defects of the twelve-month defects period remedied."),
        ("Lifecycle replacement plan", "planning", "Five-year plan for replacing plant and finishes."),
        ("Annual performance report", "reporting", "Availability, service failures and deductions for the year."),
        ("Benchmarking of soft services", "reporting", "Market test of cleaning and catering prices."),
    ),
    ROADS: (
        ("Financial close", "financing", "Senior debt and equity committed; funding agreements signed."),
        ("Land acquisition complete", "planning", "Compulsory purchase orders confirmed, all plots vested."),
        ("Traffic management plan approved", "planning", "Phasing, diversions and lane closures agreed with police."),
        ("Site possession", "delivery", "Works areas handed over; environmental controls in place."),
        ("Earthworks complete", "delivery", "Cuttings and embankments to formation level."),
        ("Bridge structures complete", "delivery", "Three overbridges and the river crossing load-tested."),
        ("Drainage and attenuation complete", "delivery", "Pipes, ponds and outfalls built and surveyed."),
        ("Pavement and surfacing complete", "delivery", "Base, binder and surface courses laid to specification."),
        ("Road safety audit stage 3", "delivery", "Independent audit before opening, recommendations closed."),
        ("Opening to traffic", "delivery", "Permit to use; the new road carries traffic."),
        ("First availability payment", "payment", "First monthly payment for lanes available, after deductions."),
        ("Winter maintenance plan", "planning", "Gritting routes, depots and stock for the winter."),
        ("Annual performance report", "reporting", "Lane availability, incidents and pavement condition."),
        ("Pavement condition survey", "reporting", "Network survey of ride quality, rutting and skid resistance."),
    ),
    RAIL: (
        ("Financial close", "financing", "Debt and equity committed; funding agreements signed."),
        ("Detailed design approved", "planning", "Track, stops and depot design accepted by the authority."),
        ("Utility diversions complete", "delivery", "Water, gas and telecoms moved out of the track corridor."),
        ("Trackbed and rails laid", "delivery", "Track laid and welded along the extension."),
        ("Overhead line energised", "delivery", "Traction power energised and protected."),
        ("Stops and shelters complete", "delivery", "Six stops with shelters, ticket machines and displays."),
        ("Signalling and systems integration", "delivery", "Tram priority, CCTV and passenger information tested."),
        ("Trial running complete", "delivery", "Four weeks of empty running to the timetable."),
        ("Passenger service start", "delivery", "The extension opens to passengers."),
        ("First operating payment", "payment", "First monthly payment under the operating contract."),
        ("Contactless ticketing live", "delivery", "Tap on, tap off with bank cards on every tram."),
        ("Annual performance report", "reporting", "Punctuality, reliability, passenger numbers and revenue."),
        ("Asset condition survey", "reporting", "Condition of track, overhead line and vehicles."),
        ("Fare revenue reconciliation", "reporting", "Ticket sales reconciled with the revenue share."),
    ),
    SCHOOLS: (
        ("Financial close", "financing", "Senior debt and equity committed; funding agreements signed."),
        ("Planning permission granted", "planning", "Consent for all six sites, conditions discharged."),
        ("Site possession", "delivery", "Sites handed over, pupils' routes separated from works."),
        ("Foundations complete", "delivery", "Foundations and ground slabs on all sites."),
        ("Frame and roof complete", "delivery", "Timber frame erected and roofs watertight."),
        ("Fit-out and ICT installation", "delivery", "Classrooms, labs and ICT network installed."),
        ("Sports halls complete", "delivery", "Sports halls and all-weather pitches finished."),
        ("Independent certifier inspection", "delivery", "Pre-completion inspection by the independent certifier."),
        ("Schools open to pupils", "delivery", "Practical completion; the schools open for the new term."),
        ("First unitary payment", "payment", "First monthly availability payment, after deductions."),
        ("Defects period closed", "delivery", "Defects of the first twelve months remedied."),
        ("Energy performance review", "reporting", "Metered energy use against the design targets."),
        ("Annual performance report", "reporting", "Availability, helpdesk performance and deductions."),
        ("Lifecycle replacement plan", "planning", "Five-year plan for roofs, boilers and finishes."),
    ),
}

# What a vendor hands in for a milestone, by milestone type and sector.
DELIVERABLES = {
    (DIGITAL, "delivery"): (
        "Release notes and test evidence",
        "Accessibility conformance report",
        "Penetration test report",
        "User research findings",
        "Service performance dashboard",
    ),
    (DIGITAL, "planning"): ("Product roadmap", "Architecture decision records", "Updated risk register"),
    "delivery": (
        "Independent certifier's inspection report",
        "As-built drawings",
        "Health and safety file",
        "Commissioning test results",
        "Quality records and test certificates",
        "Environmental monitoring report",
    ),
    "planning": ("Programme baseline", "Method statement", "Updated risk register"),
    "financing": ("Signed finance documents", "Conditions precedent checklist", "Base case financial model"),
    "payment": (
        "Payment application with valuation",
        "Availability and deductions statement",
        "Insurance certificates",
    ),
    "reporting": ("Performance report", "KPI data return", "Audited annual accounts"),
}
DELIVERABLE_DESCRIPTIONS = (
    "As required by the output specification for this milestone.",
    "Reviewed by the authority's technical adviser before acceptance.",
    "Signed by the partner's project director.",
)


def deliverable_titles(sector: str, milestone_type: str) -> tuple[str, ...]:
    return DELIVERABLES.get((sector, milestone_type)) or DELIVERABLES.get(milestone_type) or DELIVERABLES["delivery"]


# (title, Risk.Category code, Risk.Allocation code, description, mitigation)
RISKS = {
    DIGITAL: (
        (
            "Legacy data quality delays migration",
            "technology",
            "shared",
            "A fifth of legacy records fail validation in the dry run.",
            "Data cleansing sprint with the records team before each wave.",
        ),
        (
            "Take-up below forecast",
            "revenue",
            "public",
            "Users keep to the paper and phone channels.",
            "Assisted digital support in libraries and a communications campaign.",
        ),
        (
            "Service availability below contracted level",
            "availabilityAndQuality",
            "private",
            "Outages beyond the 99.5 % availability level.",
            "Active-active hosting in two regions; service credits under the contract.",
        ),
        (
            "Data protection rules change",
            "changeInLaw",
            "public",
            "New rules on identity data require design changes.",
            "Change-in-law clause; privacy impact assessment kept current.",
        ),
        (
            "Partner cannot finance phase 2",
            "financeAvailability",
            "private",
            "Phase 2 depends on the partner's own investment.",
            "Parent company guarantee; milestone payments phased to cash needs.",
        ),
        (
            "Cyber incident takes the service down",
            "forceMajeure",
            "shared",
            "A ransomware or denial-of-service attack on the platform.",
            "Tested incident response plan, offline backups, DDoS protection.",
        ),
        (
            "Key supplier staff leave",
            "other",
            "private",
            "Specialist engineers move on mid-delivery.",
            "Named key staff in the contract; pairing and documentation.",
        ),
    ),
    "built": (
        (
            "Ground conditions worse than surveyed",
            "construction",
            "private",
            "Soft ground found during excavation needs deeper foundations.",
            "Additional boreholes before each section; contingency in the construction budget.",
        ),
        (
            "Planning conditions delay the start",
            "environmental",
            "shared",
            "Ecology surveys restrict the working season.",
            "Surveys brought forward; works phased around the nesting season.",
        ),
        (
            "Construction cost inflation",
            "inflationAndFx",
            "private",
            "Steel, concrete and labour prices above the indexation.",
            "Fixed-price subcontracts; early ordering of long-lead materials.",
        ),
        (
            "Late handover of the site",
            "landAvailability",
            "public",
            "The authority cannot give vacant possession on the agreed date.",
            "Relief event under the agreement; land team tracks every plot weekly.",
        ),
        (
            "Availability deductions after opening",
            "availabilityAndQuality",
            "private",
            "Unavailable areas or service failures reduce the unitary payment.",
            "Planned preventive maintenance; helpdesk response times monitored daily.",
        ),
        (
            "Refinancing gain not shared",
            "refinancing",
            "shared",
            "A refinancing gives the partner a windfall.",
            "Refinancing gain share of 50 % under the agreement.",
        ),
        (
            "Change in building regulations",
            "changeInLaw",
            "public",
            "New fire safety rules require design changes after approval.",
            "Change-in-law mechanism; design reviewed against consultation drafts.",
        ),
    ),
}

# (name, unit, baseline, target, direction "higher"/"lower")
KPIS = {
    DIGITAL: (
        ("Digital service adoption", "%", Decimal("18"), Decimal("65"), "higher"),
        ("Cost per transaction", "EUR", Decimal("7.40"), Decimal("2.50"), "lower"),
        ("Citizen satisfaction", "%", Decimal("61"), Decimal("80"), "higher"),
    ),
    HEALTH: (
        ("Facility availability", "%", Decimal("97.0"), Decimal("99.5"), "higher"),
        ("Helpdesk requests resolved on time", "%", Decimal("82"), Decimal("95"), "higher"),
        ("Energy use per m²", "kWh", Decimal("310"), Decimal("240"), "lower"),
    ),
    ROADS: (
        ("Lane availability", "%", Decimal("96.5"), Decimal("99.0"), "higher"),
        ("Pavement condition index", "points", Decimal("68"), Decimal("85"), "higher"),
        ("Average peak journey time", "min", Decimal("34"), Decimal("26"), "lower"),
    ),
    RAIL: (
        ("Service punctuality", "%", Decimal("88"), Decimal("95"), "higher"),
        ("Passenger journeys per month", "thousand", Decimal("410"), Decimal("620"), "higher"),
        ("Ticket machine availability", "%", Decimal("95"), Decimal("99"), "higher"),
    ),
    SCHOOLS: (
        ("Classroom availability", "%", Decimal("97.0"), Decimal("99.8"), "higher"),
        ("Repairs fixed within target time", "%", Decimal("78"), Decimal("95"), "higher"),
        ("Energy use per pupil", "kWh", Decimal("1150"), Decimal("900"), "lower"),
    ),
}


def risks_for(sector: str):
    return RISKS.get(sector) or RISKS["built"]


# Iterations of an agile project: (name, goal).
ITERATIONS = (
    ("Private beta", "Invite 2,000 users from one region and learn what stops them finishing."),
    ("Public beta", "Open to everyone in the pilot region with assisted digital support."),
    ("Rollout wave 1", "Move the three largest regions; legacy channel kept for complex cases."),
    ("Rollout wave 2", "Move the remaining regions and close the legacy channel to new cases."),
)

# For factories: project names and descriptions that read like a programme's (code and agreement vary).
PROJECT_NAMES = (
    (
        "Regional hospital: new acute block",
        "A 180-bed acute block with theatres and critical care, built and "
        "maintained for 25 years under an availability-based PPP.",
    ),
    ("Primary care centres bundle", "Four primary care centres designed, built, financed and maintained."),
    ("Southern ring road", "12 km dual carriageway with three junctions, operated and maintained for 25 years."),
    (
        "Schools bundle: six post-primary schools",
        "Six schools for 5,400 pupils, with sports halls, maintained for 25 years.",
    ),
    ("Online tax filing", "Self-assessment and employer returns filed online, replacing paper forms."),
    ("National digital identity", "A single verified login for public services, with app and web channels."),
)

# The demo programme (seed_demo): (reference, title, authority code, procurement method, indexes into
# procurement.catalogue.DEMO_VENDORS, sector, [(project name, delivery method)]).
PROGRAMME = (
    (
        "DEMO-PPP-001",
        "National digital identity service",
        "DEMO-DSA",
        "competitive_dialogue",
        [1, 11],
        DIGITAL,
        [
            ("Identity app: private beta", "agile"),
            ("Identity verification: national rollout", "agile"),
            ("Identity service: live operations", "agile"),
        ],
    ),
    (
        "DEMO-PPP-002",
        "Government cloud hosting platform",
        "DEMO-DSA",
        "open",
        [7],
        DIGITAL,
        [("Cloud landing zone", "agile"), ("Workload migration: wave 1", "agile")],
    ),
    (
        "DEMO-PPP-003",
        "Online tax filing modernisation",
        "DEMO-DSA",
        "restricted",
        [5, 1],
        DIGITAL,
        [
            ("Tax returns online: beta", "agile"),
            ("Employer returns online", "agile"),
            ("Tax filing: live service", "agile"),
        ],
    ),
    (
        "DEMO-PPP-004",
        "Regional hospital acute block: design, build, finance and maintain",
        "DEMO-HLT",
        "competitive_dialogue",
        [6, 2, 4],
        HEALTH,
        [
            ("Acute block: design and construction", "ppp"),
            ("Acute block: equipment and commissioning", "ppp"),
            ("Hospital facilities management", "ppp"),
        ],
    ),
    (
        "DEMO-PPP-005",
        "Primary care centres bundle: design, build, finance and maintain",
        "DEMO-HLT",
        "negotiated",
        [0, 2],
        HEALTH,
        [
            ("Primary care centres: construction of four sites", "ppp"),
            ("Primary care centres: facilities services", "ppp"),
        ],
    ),
    (
        "DEMO-PPP-006",
        "Light rail line extension: design, build and operate",
        "DEMO-TRN",
        "open",
        [8, 10],
        RAIL,
        [
            ("Line extension: civil and track works", "ppp"),
            ("Contactless ticketing service", "agile"),
            ("Light rail operations and maintenance", "ppp"),
        ],
    ),
    (
        "DEMO-PPP-007",
        "Southern ring road: design, build, finance and operate",
        "DEMO-TRN",
        "competitive_dialogue",
        [3, 9, 4],
        ROADS,
        [("Southern ring road: junctions 1 to 4", "ppp"), ("Southern ring road: operation and maintenance", "ppp")],
    ),
    (
        "DEMO-PPP-008",
        "Schools bundle: six post-primary schools",
        "DEMO-EDU",
        "competitive_dialogue",
        [0, 4],
        SCHOOLS,
        [("Six schools: design and construction", "ppp"), ("Six schools: facilities management", "ppp")],
    ),
)
