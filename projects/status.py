"""A project's overall red / amber / green status with a one-line reason: the one rule the board page, the
board list, the PDF reports and the CSV exports all read.

The rule, in order (the first that applies decides):

* **Red** when any milestone is overdue (open past its due date) or missed.
  "Red: 3 milestones overdue, the oldest 45 days"
* **Amber** when any open milestone is due within ``PPP_DUE_SOON_DAYS`` (14 days by default), or its due date
  has slipped past its baseline (the first plan). "Amber: 2 due within 14 days"
* **Green** otherwise: on schedule. "Green: on schedule, 62 % of payments certified" (the share of the
  project's milestone payments that payment certificates have certified so far).

Cancelled milestones count for nothing. The facts come either from a full report (``ProjectReport.facts``) or
from the board list's per-project counts (``board_projects``), so both read the same status.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

RED, AMBER, GREEN = "red", "amber", "green"
LABELS = {RED: _("Red"), AMBER: _("Amber"), GREEN: _("Green")}


@dataclass(frozen=True)
class ScheduleFacts:
    """What the rule reads about one project, as of one day."""

    milestones: int  # not cancelled
    achieved: int
    overdue: int  # open and past the due date
    oldest_overdue_days: int  # days past due of the longest-overdue open milestone (0 if none)
    missed: int
    due_soon: int  # open, due today or within the due-soon horizon
    slipped: int  # open, and the due date now lies after the baseline
    payments: Decimal  # the milestones' payments (not cancelled)
    certified: Decimal  # of those, certified by payment certificates


@dataclass(frozen=True)
class ProjectStatus:
    colour: str  # "red", "amber" or "green": the same names as Rag.COLOURS
    reason: str

    @property
    def label(self) -> str:
        return str(LABELS[self.colour])

    @property
    def line(self) -> str:
        """ "Red: 3 milestones overdue, the oldest 45 days"."""
        return gettext("%(status)s: %(reason)s") % {"status": self.label, "reason": self.reason}

    def __str__(self) -> str:
        return self.line


def percent(part: Decimal, whole: Decimal) -> int:
    return round(100 * part / whole) if whole else 0


def project_status(facts: ScheduleFacts) -> ProjectStatus:
    if facts.overdue or facts.missed:
        return ProjectStatus(RED, _red_reason(facts))
    if facts.due_soon or facts.slipped:
        return ProjectStatus(AMBER, _amber_reason(facts))
    return ProjectStatus(GREEN, _green_reason(facts))


def _days(days: int) -> str:
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}


def _red_reason(facts: ScheduleFacts) -> str:
    parts = []
    if facts.overdue:
        parts.append(
            ngettext(
                "%(count)d milestone overdue by %(days)s",
                "%(count)d milestones overdue, the oldest %(days)s",
                facts.overdue,
            )
            % {"count": facts.overdue, "days": _days(facts.oldest_overdue_days)}
        )
    if facts.missed:
        parts.append(
            ngettext("%(count)d milestone missed", "%(count)d milestones missed", facts.missed)
            % {"count": facts.missed}
        )
    return gettext(", ").join(parts)


def _amber_reason(facts: ScheduleFacts) -> str:
    parts = []
    if facts.due_soon:
        parts.append(
            ngettext("%(count)d due within %(days)s", "%(count)d due within %(days)s", facts.due_soon)
            % {"count": facts.due_soon, "days": _days(settings.DUE_SOON_DAYS)}
        )
    if facts.slipped:
        parts.append(
            ngettext("%(count)d slipped past its baseline", "%(count)d slipped past their baselines", facts.slipped)
            % {"count": facts.slipped}
        )
    return gettext(", ").join(parts)


def _green_reason(facts: ScheduleFacts) -> str:
    if not facts.milestones:
        return gettext("no milestones planned yet")
    if facts.achieved == facts.milestones:
        schedule = ngettext("the milestone achieved", "all %(count)d milestones achieved", facts.milestones) % {
            "count": facts.milestones
        }
    else:
        schedule = gettext("on schedule")
    if facts.payments:
        return gettext("%(schedule)s, %(percent)d %% of payments certified") % {
            "schedule": schedule,
            "percent": percent(facts.certified, facts.payments),
        }
    if facts.achieved == facts.milestones:
        return schedule
    return gettext("%(schedule)s, %(achieved)d of %(total)d milestones achieved") % {
        "schedule": schedule,
        "achieved": facts.achieved,
        "total": facts.milestones,
    }
