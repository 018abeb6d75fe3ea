"""Helpers on raw Kubernetes objects (plain dicts): cleaning, masking, YAML and diffs."""

from __future__ import annotations

import copy
import difflib
from typing import Any

import yaml

Obj = dict[str, Any]
SECRET_MASK = "********"
# Fields that are server bookkeeping, not intent: left out of diffs.
_NOISE_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


def strip_managed_fields(obj: Obj) -> Obj:
    """Drop `metadata.managedFields` in place (never shown, never cached) and return the object."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj


def mask_secret(obj: Obj) -> Obj:
    """A copy of a Secret whose `data`/`stringData` values are replaced by the mask."""
    masked = dict(obj)
    for key in ("data", "stringData"):
        if isinstance(obj.get(key), dict):
            masked[key] = dict.fromkeys(obj[key], SECRET_MASK)
    return masked


def unmask_secret(proposed: Obj, current: Obj) -> Obj:
    """Put back real values where an edited Secret still carries the mask (so masking never loses data)."""
    data = proposed.get("data")
    if isinstance(data, dict):
        real = current.get("data") or {}
        proposed["data"] = {k: (real.get(k, v) if v == SECRET_MASK else v) for k, v in data.items()}
    return proposed


def diffable(obj: Obj | None) -> Obj | None:
    """A copy without status and server bookkeeping, for a readable diff."""
    if obj is None:
        return None
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    metadata = clean.get("metadata") or {}
    for key in _NOISE_METADATA:
        metadata.pop(key, None)
    return clean


def to_yaml(obj: Obj | None) -> str:
    """Block-style YAML in the object's own key order."""
    if obj is None:
        return ""
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def unified_diff(current: Obj | None, proposed: Obj | None, name: str) -> str:
    """A unified diff of the two objects' YAML (bookkeeping and status left out)."""
    before = to_yaml(diffable(current)).splitlines(keepends=True)
    after = to_yaml(diffable(proposed)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, fromfile=f"{name} (current)", tofile=f"{name} (proposed)"))
