"""KPI chart geometry shared by the PDF charts and the board page's sparklines."""

import datetime
from decimal import Decimal

import pytest

from projects.factories import KPIFactory, KPIMeasurementFactory
from projects.reports.kpis import kpi_chart, svg_sparkline
from projects.selectors import project_report

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 1)


def chart_of(kpi):
    return kpi_chart(project_report(kpi.project, on=DAY).kpis[0])


def test_the_value_range_holds_baseline_target_and_every_measurement():
    kpi = KPIFactory(baseline=Decimal("20"), target=Decimal("60"))
    for days, value in [(0, "25"), (10, "70"), (40, "40")]:
        KPIMeasurementFactory(kpi=kpi, date=DAY + datetime.timedelta(days=days), value=Decimal(value))

    chart = chart_of(kpi)

    assert chart.low < Decimal("20") and chart.high > Decimal("70")
    assert 0 < chart.baseline_y < chart.target_y < 1
    assert [x for x, _y in chart.points] == [0, 0.25, 1]  # spaced by date, oldest first
    assert chart.points[1][1] > chart.target_y  # 70 is above the target line


def test_a_single_measurement_sits_in_the_middle_and_a_flat_kpi_still_has_a_range():
    kpi = KPIFactory(baseline=Decimal("50"), target=Decimal("50"))
    KPIMeasurementFactory(kpi=kpi, date=DAY, value=Decimal("50"))

    chart = chart_of(kpi)

    assert chart.points == [(0.5, 0.5)]
    assert chart.low < chart.high


def test_an_unmeasured_kpi_has_no_sparkline():
    chart = chart_of(KPIFactory())

    assert not chart.measured
    assert svg_sparkline(chart) is None
