"""A project with one of each kind of alert recipient, and mail backends that fail on purpose."""

import datetime
import smtplib
from types import SimpleNamespace

from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from ppp.factories import BoardMemberFactory, OfficerFactory
from procurement.factories import AgreementFactory, ContractingAuthorityFactory, VendorContactFactory, VendorFactory
from projects.factories import MilestoneFactory, ProjectFactory

OWNER = "owner@agency.example"
VENDOR_PM = "pm@vendor.example"
BOARD = "board@agency.example"
AUTHORITY = "contracts@authority.example"
DUE = datetime.date(2026, 6, 15)  # the due date the alert tests count from


def days(n: int) -> datetime.date:
    return DUE + datetime.timedelta(days=n)


def recipients_of_outbox():
    return sorted(address for message in mail.outbox for address in message.to)


def make_world():
    vendor = VendorFactory()
    VendorContactFactory(vendor=vendor, email=VENDOR_PM)
    VendorContactFactory(vendor=vendor, email="quiet@vendor.example", receives_alerts=False)
    agreement = AgreementFactory(
        active=True, vendors=[vendor], authority=ContractingAuthorityFactory(contact_email=AUTHORITY)
    )
    project = ProjectFactory(
        agreement=agreement,
        owner=OfficerFactory(email=OWNER),
        board_members=[BoardMemberFactory(email=BOARD)],
    )
    return SimpleNamespace(vendor=vendor, agreement=agreement, project=project)


def due(world, due_date: datetime.date, **kwargs):
    return MilestoneFactory(project=world.project, due_date=due_date, **kwargs)


class FlakyBackend(EmailBackend):
    """Refuses the next ``failures`` sends with an SMTP error, then delivers to the locmem outbox."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
