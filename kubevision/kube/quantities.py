"""Kubernetes resource quantities (`100m`, `1.5Gi`, `2k`, `1e3`) parsed exactly, as apimachinery does."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIXES = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
                     "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
                     "P": Decimal("1e15"), "E": Decimal("1e18")}
# Number, then a binary suffix, a decimal exponent (1e3, 1E-2) or a decimal suffix. The exponent is tried
# before the bare `E` (exa) suffix, as in apimachinery's parser.
_QUANTITY_RE = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|([numkMGTPE]?))$")


def parse_quantity(value: str | int | float | None) -> Decimal:
    """A Kubernetes resource quantity (`100m`, `1.5Gi`, `2k`, `1e3`, `64974848`) as an exact Decimal.

    Raises `ValueError` for anything else.
    """
    if value is None:
        raise ValueError("empty quantity")
    if isinstance(value, int | float):
        return Decimal(str(value))
    match = _QUANTITY_RE.match(value.strip())
    if match is None:
        raise ValueError(f"invalid quantity {value!r}")
    number, binary, exponent, decimal = match.groups()
    try:
        base = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"invalid quantity {value!r}") from None
    if binary:
        return base * _BINARY_SUFFIXES[binary]
    if exponent is not None:
        return base.scaleb(int(exponent))
    return base * _DECIMAL_SUFFIXES[decimal or ""]


def quantity_or_zero(value: Any) -> Decimal:
    """`parse_quantity`, with malformed or missing values counted as zero (never fails a view)."""
    try:
        return parse_quantity(value)
    except (ValueError, TypeError):
        return Decimal(0)


def as_cores(value: Decimal) -> float:
    """CPU cores, rounded to millicores."""
    return float(round(value, 3))


def as_bytes(value: Decimal) -> int:
    """Whole bytes."""
    return int(value)
