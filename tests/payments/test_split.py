"""A payment divided between the parties adds up to the cent, and no party is more than a cent off its share."""

from decimal import Decimal

import pytest

from payments.services import split_largest_remainder


@pytest.mark.parametrize(
    ("amount", "percentages", "expected"),
    [
        # A third each: the spare cent goes to the first party (the authority).
        ("100.00", ["33.34", "33.33", "33.33"], ["33.34", "33.33", "33.33"]),
        ("100.00", ["34", "33", "33"], ["34.00", "33.00", "33.00"]),
        ("0.02", ["33.34", "33.33", "33.33"], ["0.01", "0.01", "0.00"]),
        ("1000.01", ["50", "50"], ["500.01", "500.00"]),
        ("0.00", ["60", "40"], ["0.00", "0.00"]),
    ],
)
def test_a_split_adds_up_to_the_cent(amount, percentages, expected):
    parts = split_largest_remainder(Decimal(amount), [Decimal(p) for p in percentages])

    assert parts == [Decimal(e) for e in expected]
    assert sum(parts) == Decimal(amount)
    for part, percentage in zip(parts, percentages, strict=True):
        assert abs(part - Decimal(amount) * Decimal(percentage) / 100) < Decimal("0.01")
