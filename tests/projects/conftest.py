import datetime

import pytest

from projects.alerts import alerts_scan

from .alerting import make_world


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def scan(django_capture_on_commit_callbacks, time_machine):
    """Run the scan as beat would on ``on`` (clock moved there), letting the queued digests go out."""

    def run(on: datetime.date, **kwargs):
        time_machine.move_to(datetime.datetime.combine(on, datetime.time(7), tzinfo=datetime.UTC), tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_scan(on=on, **kwargs)

    return run
