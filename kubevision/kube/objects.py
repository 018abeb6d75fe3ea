"""Helpers on raw Kubernetes objects (plain dicts): cleaning, YAML and diffs (Secret masking: `kube/masking.py`)."""

from __future__ import annotations

import copy
import difflib
from typing import Any

from kubevision.kube.manifests import dump_yaml

Obj = dict[str, Any]
# Fields that are server bookkeeping, not intent: left out of diffs.
_NOISE_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


def strip_managed_fields(obj: Obj) -> Obj:
    """Drop `metadata.managedFields` in place (never shown, never cached) and return the object."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
    return obj


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
    return dump_yaml(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def unified_diff(current: Obj | None, proposed: Obj | None, name: str) -> str:
    """A unified diff of the two objects' YAML (bookkeeping and status left out)."""
    before = to_yaml(diffable(current)).splitlines(keepends=True)
    after = to_yaml(diffable(proposed)).splitlines(keepends=True)
    return "".join(difflib.unified_diff(before, after, fromfile=f"{name} (current)", tofile=f"{name} (proposed)"))
