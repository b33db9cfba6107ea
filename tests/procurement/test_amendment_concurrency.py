"""Two officers approving competing amendments at the same moment: exactly one applies."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from ppp.errors import DomainError
from ppp.factories import OfficerFactory
from procurement import services
from procurement.factories import AgreementFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_competing_approvals_apply_one_amendment_and_refuse_the_other():
    officer, approver = OfficerFactory(), OfficerFactory()
    agreement = AgreementFactory(active=True)
    proposals = [
        services.amendment_propose(
            agreement_id=agreement.pk, reason=f"Option {value}", by=officer, new_total_value=value
        )
        for value in (Decimal("1100000"), Decimal("1200000"))
    ]
    start, outcomes = threading.Barrier(2), []

    def approve(amendment):
        start.wait()
        try:
            services.amendment_approve(amendment_id=amendment.pk, approver=approver)
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(amendment,)) for amendment in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("approved") == 1
    assert any("changed after this amendment was proposed" in outcome for outcome in outcomes)
    agreement.refresh_from_db()
    assert agreement.total_value in {Decimal("1100000"), Decimal("1200000")}
