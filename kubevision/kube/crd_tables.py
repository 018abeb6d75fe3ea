"""Tables of custom resources: the `additionalPrinterColumns` of the CRD version the registry uses, with the
cells the API server's CRD table printer (apiextensions-apiserver tableconvertor) gives.

The server always adds Name; it adds Age only when a version declares no column (then the kind keeps the
generic Name/Age table); a declared column called Age is an ordinary column. A column whose path does not
parse ends the list (the server keeps the columns before it). Cells: the first JSONPath result only (a
`[*]` column shows the first item); `string` columns print the value as upstream jsonpath text (lists and
maps as Go's compact JSON, a null as `<no value>`); `integer` truncates floats; `number` is a float (sent
as an integer when whole, as Go encodes it); `boolean` only takes booleans; `date` is an `age` cell: the
RFC 3339 timestamp, None for an empty or zero time (`<unknown>`), `<invalid>` for a string that is not
RFC 3339. A value of the wrong type, a missing field or a failed evaluation is None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
from decimal import Decimal
from typing import Any

from kubevision.kube.jsonpath import JSONPath, JSONPathSyntaxError, UnsupportedPathError
from kubevision.kube.tables import Column, Obj, TableSpec

log = logging.getLogger(__name__)

# CRD column types → our column types (how cells are shown and sorted).
COLUMN_TYPES = {"string": "text", "integer": "number", "number": "number", "boolean": "boolean", "date": "age"}
INVALID = "<invalid>"
NO_VALUE = "<no value>"
MAX_COLUMN_ID = 60  # ids stay within the `sort` parameter's 64 characters, suffix included
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$")
_ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "<": "\\u003c", ">": "\\u003e",
                 "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclasses.dataclass(frozen=True)
class PrinterColumn:
    """One `additionalPrinterColumns` entry: the header and the parsed path (None when unsupported)."""

    column: Column
    crd_type: str
    path: JSONPath | None


def printer_columns(crd: Obj, version: str) -> tuple[PrinterColumn, ...]:
    """The printer columns of a CRD's version, as the API server serves them (see the module docstring)."""
    declared = next((v.get("additionalPrinterColumns") or [] for v in (crd.get("spec") or {}).get("versions") or []
                     if v.get("name") == version), [])
    columns: list[PrinterColumn] = []
    used_ids = {"name", "namespace"}
    for entry in declared:
        source = entry.get("jsonPath") or ""
        try:
            path: JSONPath | None = JSONPath.parse(source)
        except JSONPathSyntaxError as exc:
            log.info("CRD %s: column %r path %r does not parse (%s); later columns dropped, as the server does",
                     (crd.get("metadata") or {}).get("name"), entry.get("name"), source, exc)
            break
        except UnsupportedPathError as exc:
            log.info("CRD %s: column %r path %r is not supported (%s); its cells stay empty",
                     (crd.get("metadata") or {}).get("name"), entry.get("name"), source, exc)
            path = None
        crd_type = entry.get("type") or "string"
        column_id = _unique_id(entry.get("name") or "", used_ids)
        used_ids.add(column_id)
        description = entry.get("description") or f"Custom resource definition column (in JSONPath format): {source}"
        columns.append(PrinterColumn(
            Column(entry.get("name") or "", COLUMN_TYPES.get(crd_type, "text"), int(entry.get("priority") or 0),
                   column_id, format=entry.get("format") or "", description=description),
            crd_type, path))
    return tuple(columns)


def _unique_id(name: str, used: set[str]) -> str:
    """A camelCase id from the header's letters and digits, unique among the kind's columns."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    base = (words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])) if words else "column"
    base = (base if base[0].isalpha() else f"c{base}")[:MAX_COLUMN_ID]
    candidate, suffix = base, 2
    while candidate in used:
        candidate, suffix = f"{base}{suffix}", suffix + 1
    return candidate


@functools.lru_cache(maxsize=256)
def crd_table(columns: tuple[PrinterColumn, ...]) -> TableSpec:
    """The renderer for these printer columns (one per distinct column list, so equal kinds share it)."""

    def cells(obj: Obj) -> list[Any]:
        row = []
        for printer in columns:
            found, value = printer.path.first(obj) if printer.path is not None else (False, None)
            row.append(cell_value(printer.crd_type, value) if found else None)
        return row
    return TableSpec(tuple(p.column for p in columns), cells)


def cell_value(crd_type: str, value: Any) -> Any:
    """A found JSONPath value as the server's cell of that column type."""
    if crd_type == "string":
        return NO_VALUE if value is None else go_text(value)
    if value is None or isinstance(value, bool) is not (crd_type == "boolean"):
        return None
    if crd_type == "boolean":
        return value
    if crd_type == "integer" and isinstance(value, int | float):
        return int(value)
    if crd_type == "number" and isinstance(value, int | float):
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 1e21 else number
    if crd_type == "date" and isinstance(value, str):
        return date_cell(value)
    return None


def date_cell(text: str) -> str | None:
    """An RFC 3339 timestamp as an age cell: itself, None for an empty or zero time, `<invalid>` otherwise."""
    if text in ("", "null"):
        return None
    match = _RFC3339.match(text)
    if match is None:
        return INVALID
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return INVALID
    try:
        return None if when == _ZERO_TIME else text
    except OverflowError:
        return text


# -- Go's text and JSON forms of decoded JSON values -----------------------------------------------------------
def go_text(value: Any) -> str:
    """A value as upstream jsonpath prints it: lists and maps as compact JSON, scalars as Go's fmt.Print."""
    if isinstance(value, dict | list):
        return go_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value, json=False)
    return str(value)


def go_json(value: Any) -> str:
    """encoding/json's compact form: keys sorted, HTML characters escaped, floats as Go writes them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value, json=True)
    if isinstance(value, str):
        return '"' + "".join(_JSON_ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 0x20 else c) for c in value) + '"'
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    return "{" + ",".join(f"{go_json(str(k))}:{go_json(v)}" for k, v in sorted(value.items())) + "}"


def _go_float(number: float, *, json: bool) -> str:
    """strconv's shortest form: `%v` switches to an exponent below 1e-4 or from 1e21 (json) / 1e6 (text)."""
    if number == 0:
        return "-0" if str(number).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)  # where the decimal point goes in `text`
    exponent_form = (abs(number) < 1e-6 or abs(number) >= 1e21) if json else not -4 <= point - 1 < 6
    if exponent_form:
        power = point - 1
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        width = 1 if json and power < 0 else 2  # encoding/json trims `e-07` to `e-7`
        formatted = f"{mantissa}e{'-' if power < 0 else '+'}{abs(power):0{width}d}"
    elif point <= 0:
        formatted = "0." + "0" * -point + text
    elif point >= len(text):
        formatted = text + "0" * (point - len(text))
    else:
        formatted = text[:point] + "." + text[point:]
    return ("-" if sign else "") + formatted
