"""Kubernetes quantities parse exactly (a pure function: no cluster needed)."""

from decimal import Decimal

import pytest

from kubevision.kube.quantities import as_bytes, as_cores, parse_quantity, quantity_or_zero


@pytest.mark.parametrize(("text", "expected"), [
    ("100m", Decimal("0.1")), ("2", Decimal(2)), ("1.5", Decimal("1.5")), ("250u", Decimal("0.00025")),
    ("64Mi", Decimal(64 * 2**20)), ("1Gi", Decimal(2**30)), ("3Ki", Decimal(3072)), ("1Ei", Decimal(2**60)),
    ("2k", Decimal(2000)), ("1M", Decimal(10**6)), ("1G", Decimal(10**9)), ("1E", Decimal(10**18)),
    ("1e3", Decimal(1000)), ("1E3", Decimal(1000)), ("5e-1", Decimal("0.5")), ("129e6", Decimal(129 * 10**6)),
    ("12345", Decimal(12345)), ("500n", Decimal("5E-7")), (3, Decimal(3)),
])
def test_parse_quantity(text: str | int, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1Qi", "1.2.3", "Mi", "1 Gi", "--1"])
def test_parse_quantity_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_lenient_and_unit_helpers() -> None:
    assert quantity_or_zero("garbage") == 0 and quantity_or_zero(None) == 0
    assert as_cores(parse_quantity("1234m")) == 1.234 and as_bytes(parse_quantity("1Ki")) == 1024
