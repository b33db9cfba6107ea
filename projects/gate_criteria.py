"""The gate checklists a new installation starts with (seeded by migration 0012; officers maintain them after).

Each entry: (delivery method, phase the gate leads into, criterion). The texts are marked for translation here
so a criterion stored in the database shows in the reader's language (``GateCriterion.__str__``); a criterion
an officer adds or rewords shows as typed. The migration keeps its own frozen copy, as migrations must.
"""

from django.utils.translation import gettext_lazy as _

SEED_CRITERIA = [
    # PPP: out of procurement, the deal is awarded and signed (commercial close).
    ("ppp", "financial_close", _("Preferred bidder selected through the approved evaluation")),
    ("ppp", "financial_close", _("Value-for-money assessment confirmed against the public sector comparator")),
    ("ppp", "financial_close", _("Affordability confirmed by the finance ministry")),
    ("ppp", "financial_close", _("Project agreement signed (commercial close)")),
    # PPP: financial close, the money is in place before anything is built.
    ("ppp", "construction", _("Senior debt agreements signed")),
    ("ppp", "construction", _("Conditions precedent satisfied")),
    ("ppp", "construction", _("Equity committed")),
    ("ppp", "construction", _("Insurances and performance security in place")),
    # PPP: construction complete, the service may start and the unitary payment with it.
    ("ppp", "commercial_operation", _("Independent certifier issued the completion certificate")),
    ("ppp", "commercial_operation", _("Commissioning and performance tests passed")),
    ("ppp", "commercial_operation", _("Operating permits and licences obtained")),
    ("ppp", "commercial_operation", _("As-built documentation and asset register delivered")),
    # PPP: towards the end of the term, the asset comes back in the agreed condition.
    ("ppp", "handback", _("Handback condition survey completed")),
    ("ppp", "handback", _("Handback retention or bond in place")),
    ("ppp", "handback", _("Transition plan for operations agreed")),
    ("ppp", "closed", _("Assets returned in the required handback condition")),
    ("ppp", "closed", _("Final payments, deductions and retentions settled")),
    ("ppp", "closed", _("Lessons learned recorded")),
    # Agile: the service-standard phases.
    ("agile", "alpha", _("User needs and the problem to solve are understood")),
    ("agile", "alpha", _("Discovery findings reviewed by the service owner")),
    ("agile", "alpha", _("Team and budget for alpha in place")),
    ("agile", "beta", _("Service assessment passed")),
    ("agile", "beta", _("Prototypes tested with users, including users with access needs")),
    ("agile", "beta", _("Technology, hosting and security approach agreed")),
    ("agile", "live", _("Live service assessment passed")),
    ("agile", "live", _("Accessibility audit passed")),
    ("agile", "live", _("Security and penetration testing passed")),
    ("agile", "live", _("Support and operating model in place")),
    ("agile", "closed", _("Service retired or replaced, and users redirected")),
    ("agile", "closed", _("Data archived or transferred under the retention schedule")),
    ("agile", "closed", _("Contracts and licences ended")),
]
