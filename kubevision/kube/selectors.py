"""Kubernetes label selectors evaluated in memory (for cached lists and watch subscriptions).

Grammar as in `kubectl -l`: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, comma-joined.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Labels = Mapping[str, str]
Predicate = Callable[[Labels], bool]

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET_RE = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(rf"^\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*$")
_EXISTS_RE = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")


class SelectorError(ValueError):
    """The selector is not valid syntax."""


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _requirement(text: str) -> Predicate:
    if match := _SET_RE.match(text):
        key, operator, values = match.group(1), match.group(3), match.group(4)
        allowed = {v.strip() for v in values.split(",") if v.strip()}
        if operator == "in":
            return lambda labels: labels.get(key) in allowed
        return lambda labels: labels.get(key) not in allowed
    if match := _EQ_RE.match(text):
        key, operator, value = match.group(1), match.group(3), match.group(4)
        if operator == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS_RE.match(text):
        negate, key = match.group(1) == "!", match.group(2)
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(f"invalid label selector requirement {text.strip()!r}")


def parse_label_selector(selector: str | None) -> Predicate | None:
    """A predicate over a labels mapping, or None for 'everything'; raises `SelectorError`."""
    if not selector or not selector.strip():
        return None
    requirements = [_requirement(part) for part in _split(selector)]
    return lambda labels: all(requirement(labels) for requirement in requirements)


def selector_from_match_labels(match_labels: Mapping[str, str]) -> Predicate:
    """A predicate for a `matchLabels` / service `selector` mapping (empty matches nothing here)."""
    items = tuple(match_labels.items())
    return lambda labels: bool(items) and all(labels.get(k) == v for k, v in items)
