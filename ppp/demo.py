"""The demo logins that ``seed_demo`` creates, for the places that show them to a developer.

``make run`` prints them (seed_demo, then the Procfile's ``banner`` once the web server answers) and, in DEBUG
only, the admin's login page lists the ones that exist. Never shown in production: they all share one password.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

# Every demo user's password (ppp/factories.py sets it on every user it makes).
DEMO_PASSWORD = "ppp-demo-pass"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str


# The admin's users, in the order a newcomer tries them. Vendor users (vendor1, vendor2, ...) use the API only.
STAFF_LOGINS = (
    DemoLogin("officer", _("procurement officer (full rights)")),
    DemoLogin("officer2", _("a second officer (four eyes: approves what officer proposed or certified)")),
    DemoLogin("board", _("project board member (read only)")),
    DemoLogin("admin", _("superuser")),
)


def staff_logins_present() -> list[DemoLogin]:
    """The staff demo logins that exist and may log in (none before ``seed_demo``): one query."""
    present = set(
        get_user_model()
        .objects.filter(username__in=[login.username for login in STAFF_LOGINS], is_active=True, is_staff=True)
        .values_list("username", flat=True)
    )
    return [login for login in STAFF_LOGINS if login.username in present]
