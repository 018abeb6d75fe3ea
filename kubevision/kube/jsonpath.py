"""The subset of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that CRD printer columns use, evaluated
as the API server does with missing keys allowed.

Written from the upstream grammar and semantics (nothing copied). Supported steps: fields `.a.b` (`\\.`
escapes a dot in a key), `['key']` (parsed as `.key`, as upstream: dots inside still split), `.*`, `[n]`,
`[-n]`, slices `[a:b:c]`, `[*]`, unions `[0,2]`, and filters `[?(@.a.b == "x")]` with `==`, `!=`, `<`, `>`,
`<=`, `>=` against a quoted string, an integer, a float, `true`/`false` or another `@` path, or `[?(@.a)]`
(exists). Upstream evaluation rules kept: a missing key or a null in the way gives no result (not an error);
indexing a non-list, an index out of range, a filter over a non-list or comparing values of different kinds
is an error, and an error empties the whole column cell. Not supported (`UnsupportedPathError`): recursive
descent `..`, `range`/`end`, literal text and several `{...}` actions in one path.
"""

from __future__ import annotations

import dataclasses
import operator
import re
from collections.abc import Callable
from typing import Any

_TERMINATORS = frozenset(" \t\r\n.,[]$@{}")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_DICT_KEY = re.compile(r"^'([^']*)'$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_ORDERED_KINDS = frozenset({"int", "float", "str"})


class JSONPathSyntaxError(ValueError):
    """The path does not parse (the API server refuses it too)."""


class UnsupportedPathError(ValueError):
    """The path parses upstream but uses a feature this evaluator does not have."""


class _EvaluationError(Exception):
    """Upstream would fail the evaluation: the cell is empty."""


@dataclasses.dataclass(frozen=True)
class _Field:
    key: str


@dataclasses.dataclass(frozen=True)
class _Wildcard:
    pass


@dataclasses.dataclass(frozen=True)
class _Slice:
    start: int | None
    stop: int | None
    step: int | None
    index: bool  # `[n]`: the stop is start + 1 (and wraps like the start when negative)


@dataclasses.dataclass(frozen=True)
class _Union:
    branches: tuple[tuple[Any, ...], ...]


@dataclasses.dataclass(frozen=True)
class _Filter:
    left: tuple[Any, ...]
    operator: str  # "exists" or one of `_COMPARISONS`
    right: tuple[Any, ...] | None = None  # a path, or None with `literal`
    literal: Any = None


class _Parser:
    """Reads the inside of one `{...}` action into a tuple of steps."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def steps(self) -> tuple[Any, ...]:
        steps: list[Any] = []
        while self.pos < len(self.text):
            rest = self.text[self.pos:]
            char = rest[0]
            if rest.startswith("[?("):
                steps.append(self._filter())
            elif rest.startswith(".."):
                raise UnsupportedPathError("recursive descent '..' is not supported")
            elif char in " @$":
                self.pos += 1
            elif char == "[":
                steps.append(self._bracket())
            elif char == ".":
                steps.append(self._field())
            elif char in "{}":
                raise UnsupportedPathError("several actions in one path are not supported")
            elif char in "\"'" or char in "+-" or char.isdigit() or char == "_" or char.isalpha():
                raise UnsupportedPathError(f"literal text, numbers and keywords ({rest!r}) are not supported")
            elif char in "\r\n":
                raise JSONPathSyntaxError("unclosed action")
            else:
                raise JSONPathSyntaxError(f"unrecognized character in action: {char!r}")
        return tuple(steps)

    def _field(self) -> Any:
        self.pos += 1
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":  # escapes the next character; every backslash is dropped afterwards
                self.pos += 2
                continue
            if char in _TERMINATORS:
                break
            self.pos += 1
        name = self.text[start:self.pos].replace("\\", "")
        return _Wildcard() if name == "*" else _Field(name)

    def _bracket(self) -> Any:
        end = self.text.find("]", self.pos)
        if end < 0 or "\n" in self.text[self.pos:end]:
            raise JSONPathSyntaxError("unterminated array")
        inside = self.text[self.pos + 1:end]
        self.pos = end + 1
        return bracket_step(inside)

    def _filter(self) -> _Filter:
        start = self.pos + len("[?(")
        index, opened, closed, quote = start, False, False, ""
        while True:
            if index >= len(self.text) or self.text[index] == "\n":
                raise JSONPathSyntaxError("unterminated filter")
            char = self.text[index]
            if char in "\"'":
                if not opened:
                    opened, quote = True, char
                elif char == quote and self.text[index - 1] != "\\":
                    closed = True
            elif char == ")" and opened == closed:
                break
            index += 1
        if self.text[index + 1:index + 2] != "]":
            raise JSONPathSyntaxError("unclosed array expect ]")
        self.pos = index + 2
        return filter_step(self.text[start:index])


def bracket_step(inside: str) -> Any:
    """`[...]` without the brackets: a union, a quoted key, or an index or slice."""
    if inside == "*":
        inside = ":"
    parts = inside.split(",")
    if len(parts) > 1:
        return _Union(tuple(_Parser(f"[{part.strip()}]").steps() for part in parts))
    key = _DICT_KEY.match(inside)
    if key:  # upstream reads `['a.b']` as the path `.a.b`
        steps = _Parser(f".{key.group(1)}").steps()
        return steps[0] if len(steps) == 1 else _Union((steps,))
    match = _SLICE.match(inside)
    if match is None:
        raise JSONPathSyntaxError(f"invalid array index {inside}")
    start_text, stop_text, step_text = match.groups()
    start = int(start_text) if start_text else None
    if stop_text is None:
        return _Slice(start or 0, None, None, index=True)
    stop = int(stop_text[1:]) if stop_text[1:] else None
    step = int(step_text[1:]) if step_text and step_text[1:] else None
    return _Slice(start, stop, step, index=False)


def filter_step(text: str) -> _Filter:
    """The inside of `[?(...)]`."""
    match = _FILTER.match(text)
    if match is None:
        return _Filter(_Parser(text).steps(), "exists")
    left, op, right = match.groups()
    right = right.strip()
    left_steps = _Parser(left).steps()
    if right[:1] in ("'", '"'):
        if len(right) < 2 or right[-1] != right[0]:
            raise JSONPathSyntaxError(f"unterminated quoted string {right}")
        return _Filter(left_steps, op, literal=right[1:-1].replace("\\" + right[0], right[0]))
    if right in ("true", "false"):
        return _Filter(left_steps, op, literal=right == "true")
    if re.fullmatch(r"[+-]?[\d.]+", right):
        try:
            return _Filter(left_steps, op, literal=int(right) if re.fullmatch(r"[+-]?\d+", right) else float(right))
        except ValueError:
            raise JSONPathSyntaxError(f"cannot parse number {right}") from None
    return _Filter(left_steps, op, right=_Parser(right).steps())


def _kind(value: Any) -> str | None:
    """Go's comparison kind of a decoded JSON value (None: not comparable)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return {float: "float", str: "str"}.get(type(value))


def _compare(op: str, left: Any, right: Any) -> bool:
    kind = _kind(left)
    if kind is None or kind != _kind(right):
        raise _EvaluationError("incompatible types for comparison")
    if op not in _COMPARISONS:
        raise _EvaluationError(f"unrecognized filter operator {op}")
    if op not in ("==", "!=") and kind not in _ORDERED_KINDS:
        raise _EvaluationError("invalid type for comparison")
    return _COMPARISONS[op](left, right)


def _slice(values: list[Any], step: _Slice) -> list[Any] | None:
    """The selected items; None for an empty selection, which (upstream) also ends the step for later values."""
    length = len(values)
    start = step.start or 0
    if start < 0:
        start += length
    if step.index:
        stop = step.start + 1 if step.start is not None else 1
        if stop <= 0:  # `[-1]`: the stop wraps with the start
            stop += length
    else:
        stop = length if step.stop is None else step.stop
        if stop < 0:
            stop += length
    if start == stop:
        return None
    if not 0 <= start < length or not 0 <= stop <= length or start > stop:
        raise _EvaluationError("array index out of bounds")
    if step.step is not None and step.step <= 0:
        raise _EvaluationError("step must be > 0")
    return values[start:stop:step.step or 1]


def _walk(values: list[Any], steps: tuple[Any, ...]) -> list[Any]:
    for step in steps:
        found: list[Any] = []
        if isinstance(step, _Field):
            found = [value[step.key] for value in values if isinstance(value, dict) and step.key in value]
        elif isinstance(step, _Wildcard):
            for value in values:
                if isinstance(value, dict):
                    found.extend(value.values())
                elif isinstance(value, list):
                    found.extend(value)
                elif isinstance(value, str):
                    found.extend(value.encode())
        elif isinstance(step, _Slice):
            for value in values:
                if value is None:
                    continue
                if not isinstance(value, list):
                    raise _EvaluationError("not an array or slice")
                selected = _slice(value, step)
                if selected is None:
                    break
                found.extend(selected)
        elif isinstance(step, _Union):
            for branch in step.branches:
                found.extend(_walk(values, branch))
        else:
            found = _filtered(values, step)
        values = found
    return values


def _filtered(values: list[Any], step: _Filter) -> list[Any]:
    found = []
    for value in values:
        if not isinstance(value, list):
            raise _EvaluationError("not an array or slice and cannot be filtered")
        for item in value:
            lefts = _walk([item], step.left)
            if step.operator == "exists":
                if lefts:
                    found.append(item)
                continue
            if len(lefts) != 1:
                if lefts:
                    raise _EvaluationError("can only compare one element at a time")
                continue
            if step.right is None:
                right = step.literal
            else:
                rights = _walk([item], step.right)
                if len(rights) != 1:
                    if rights:
                        raise _EvaluationError("can only compare one element at a time")
                    continue
                right = rights[0]
            if _compare(step.operator, lefts[0], right):
                found.append(item)
    return found


@dataclasses.dataclass(frozen=True)
class JSONPath:
    """A parsed column path such as `.status.conditions[?(@.type=="Ready")].status`."""

    source: str
    steps: tuple[Any, ...]

    @classmethod
    def parse(cls, path: str) -> JSONPath:
        """Parse a CRD column's `jsonPath` (the braces upstream adds are implied)."""
        return cls(path, _Parser(path).steps())

    def first(self, obj: Any) -> tuple[bool, Any]:
        """(found, value) of the first result, as the API server's column printer takes it: (False, None)
        when there is none or the evaluation fails; a JSON null is found with the value None."""
        try:
            results = _walk([obj], self.steps)
        except _EvaluationError:
            return False, None
        return (True, results[0]) if results else (False, None)
