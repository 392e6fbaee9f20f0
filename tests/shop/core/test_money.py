"""Money is Decimal yuan with two places, whatever the database adds up."""

from decimal import Decimal

from shop.core import money


def test_a_sum_with_floating_point_noise_comes_back_with_two_places() -> None:
    # What SQLite's floating-point SUM gives Django for ¥3340.38 (15 significant digits).
    total = money.total(Decimal("3340.37999999999"))
    assert (total, total.as_tuple().exponent) == (Decimal("3340.38"), -2)


def test_a_whole_sum_gets_its_two_places() -> None:
    assert str(money.total(Decimal("557"))) == "557.00"


def test_a_sum_over_no_rows_is_zero_yuan() -> None:
    assert str(money.total(None)) == "0.00"
