"""KPIs: latest value, trend and on-target, computed from dated measurements."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from projects.factories import KPIFactory, KPIMeasurementFactory, ProjectFactory
from projects.models import KPI
from projects.selectors import project_kpis

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 6, 1)


def _measure(kpi, *values):
    for offset, value in enumerate(values):
        KPIMeasurementFactory(kpi=kpi, date=DAY + datetime.timedelta(days=30 * offset), value=Decimal(value))
    return kpi


@pytest.mark.parametrize(
    ("direction", "value", "on_target"),
    [("higher", "59.99", False), ("higher", "60", True), ("higher", "60.01", True),
     ("lower", "59.99", True), ("lower", "60", True), ("lower", "60.01", False)],
)  # fmt: skip
def test_exactly_on_target_counts_as_on_target(direction, value, on_target):
    kpi = _measure(KPIFactory(target=Decimal("60"), direction=direction), value)

    assert kpi.on_target is on_target


@pytest.mark.parametrize(
    ("direction", "previous", "latest", "trend"),
    [("higher", "40", "45", "improving"), ("higher", "45", "40", "worsening"), ("higher", "40", "40", "steady"),
     ("lower", "2.50", "2.10", "improving"), ("lower", "2.10", "2.50", "worsening")],
)  # fmt: skip
def test_trend_compares_the_latest_measurement_with_the_one_before(direction, previous, latest, trend):
    kpi = _measure(KPIFactory(direction=direction), previous, latest)

    assert kpi.trend == trend


def test_without_measurements_there_is_nothing_to_judge():
    kpi = KPIFactory()

    assert (kpi.on_target, kpi.trend) == (None, None)
    assert _measure(KPIFactory(), "10").trend is None


def test_latest_is_by_date_not_by_entry_order():
    kpi = KPIFactory(target=Decimal("50"))
    KPIMeasurementFactory(kpi=kpi, date=DAY, value=Decimal("70"))
    KPIMeasurementFactory(kpi=kpi, date=DAY - datetime.timedelta(days=30), value=Decimal("30"))

    annotated = KPI.objects.with_latest().get()
    assert (annotated.latest_value, annotated.latest_date, annotated.previous_value) == (Decimal("70"), DAY, 30)
    assert (annotated.on_target, annotated.trend) == (True, "improving")


def test_one_measurement_per_kpi_and_day():
    measurement = KPIMeasurementFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        KPIMeasurementFactory(kpi=measurement.kpi, date=measurement.date)


@pytest.mark.parametrize("size", [1, 5])
def test_project_kpis_take_one_query_at_any_size(django_assert_num_queries, size):
    project = ProjectFactory()
    for _ in range(size):
        _measure(KPIFactory(project=project), "10", "20")

    with django_assert_num_queries(1):
        summary = [(kpi.latest_value, kpi.trend, kpi.on_target) for kpi in project_kpis(project)]

    assert summary == [(Decimal("20"), "improving", False)] * size
