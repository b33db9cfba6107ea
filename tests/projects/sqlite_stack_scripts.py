"""What ``test_sqlite_worker.py`` runs inside its processes (``manage.py shell -c``), on its own SQLite file."""

import json
import time
from pathlib import Path

from django.test import Client
from knox.models import AuthToken

from procurement.factories import AgreementFactory, VendorContactFactory, VendorFactory, VendorUserFactory
from projects.factories import DeliverableFactory, MilestoneFactory, ProjectFactory
from projects.models import Deliverable

VENDOR_PM = "pm@vendor.example"


def seed(projects: int) -> None:
    """``projects`` projects of one vendor, each with its own owner and a milestone 3 days late (level 1),
    and a deliverable in progress the vendor's user reports on. The scan then queues one digest per owner
    (one milestone each) and one to the vendor's contact (all of them): ``projects + 1`` digests that
    update the same alerts."""
    vendor = VendorFactory()
    VendorContactFactory(vendor=vendor, email=VENDOR_PM)
    VendorUserFactory(vendor=vendor, user__username="writer")
    agreement = AgreementFactory(active=True, vendors=[vendor])
    for number in range(projects):
        project = ProjectFactory(agreement=agreement, owner__email=f"owner{number}@agency.example")
        milestone = MilestoneFactory(project=project, overdue_days=3)
        DeliverableFactory(milestone=milestone, status=Deliverable.Status.IN_PROGRESS, progress=1)


def write_through_the_api(stop_file: str, report_file: str, seconds: float) -> None:
    """The web, busy: the vendor's system PATCHes its deliverables' progress as fast as it can (each request a
    write transaction with its history row), until ``stop_file`` appears. Touches ``<report_file>.started``
    after the first write, and writes its report (times of the writes, refusals, errors) to ``report_file``."""
    user = VendorUserFactory._meta.model.objects.get(user__username="writer").user
    _, token = AuthToken.objects.create(user=user)
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {token}")
    ids = list(Deliverable.objects.order_by("pk").values_list("pk", flat=True))
    done, refused, errors = [], [], []
    deadline = time.monotonic() + seconds
    while not Path(stop_file).exists() and time.monotonic() < deadline:
        pk = ids[len(done) % len(ids)]
        try:
            response = client.patch(
                f"/api/v1/deliverables/{pk}/",
                data=json.dumps({"progress": 1 + len(done) % 99}),
                content_type="application/json",
            )
        except Exception as exc:  # every failure is a finding: the test reports them all
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if response.status_code == 200:
            done.append(time.time())
            if len(done) == 1:
                Path(f"{report_file}.started").touch()
        else:
            refused.append(f"{response.status_code}: {response.content[:300]!r}")
    Path(report_file).write_text(json.dumps({"writes": done, "refused": refused, "errors": errors}))
