"""How amounts and dates read everywhere (admin, board pages, PDF, CSV, emails): one definition.

Both follow the active language's formats (``ppp/formats/<lang>/formats.py``, Django's FORMAT_MODULE_PATH),
so a French page reads ``1 234 567,89 EUR`` and ``3 déc. 2026`` while an English one reads
``1,234,567.89 EUR`` and ``3 Dec 2026``.
"""

import datetime
from decimal import Decimal

from django.utils import formats


def format_amount(amount: Decimal | int | None, decimal_places: int = 2) -> str:
    """``1,234,567.89``: grouped thousands, fixed decimals, in the active locale."""
    if amount is None:
        return "–"
    return formats.number_format(Decimal(amount), decimal_places, use_l10n=True, force_grouping=True)


def format_money(amount: Decimal | int | None, currency: str = "") -> str:
    """``1,234,567.89 EUR``: how a finance officer reads an amount."""
    if amount is None:
        return "–"
    text = format_amount(amount)
    return f"{text}\N{NO-BREAK SPACE}{currency}" if currency else text


def format_date(day: datetime.date | datetime.datetime | None) -> str:
    """``3 Dec 2026``: the one date format (DATE_FORMAT of the active locale)."""
    if day is None:
        return "–"
    return formats.date_format(day, "DATE_FORMAT")


def format_datetime(moment: datetime.datetime | None) -> str:
    """``3 Dec 2026, 14:05`` in the current time zone."""
    if moment is None:
        return "–"
    from django.utils import timezone

    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")
