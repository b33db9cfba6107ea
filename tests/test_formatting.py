import datetime
from decimal import Decimal

from django.template import Context, Template

from ppp.formatting import format_date, format_money


def test_money_has_thousands_separators_two_decimals_and_currency():
    assert format_money(Decimal("1234567.8"), "EUR") == "1,234,567.80\N{NO-BREAK SPACE}EUR"
    assert format_money(None, "EUR") == "–"


def test_one_date_format_everywhere():
    assert format_date(datetime.date(2026, 12, 3)) == "3 Dec 2026"


def test_template_filters_use_the_same_definitions():
    html = Template("{% load ppp_format %}{{ a|money:'USD' }} {{ d|day }}").render(
        Context({"a": Decimal("1000"), "d": datetime.date(2026, 1, 9)})
    )
    assert html == "1,000.00\N{NO-BREAK SPACE}USD 9 Jan 2026"
