"""A pod's environment as its containers see it: every `env` and `envFrom` entry with its source and value.

Values are resolved here, under the same rules as every other read (services/access.py):
- literal values are the pod's own (the pod's YAML shows them anyway);
- `configMapKeyRef` / `configMapRef`: the ConfigMap's values when the caller may read ConfigMaps there;
- `secretKeyRef` / `secretRef`: read only when the caller may read Secrets there, and passed through the Secrets'
  `present` (masked: every value is `SECRET_MASK`) unless `reveal` was asked for *and* the caller may reveal
  (otherwise 40300, as for `GET` of a Secret); a revealing read is audited as `secret.reveal`, one row per Secret;
- `fieldRef` from the pod itself (metadata, spec.nodeName, spec.serviceAccountName, status IPs), and
  `resourceFieldRef` from the container's requests/limits as written (no value when a divisor other than 1 is set).
Where a value cannot be shown the entry still names its source and says why (`note`).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.errors import KubeError
from kubevision.kube.masking import SECRET_MASK
from kubevision.services.access import AccessScope, lookup_kind
from kubevision.services.audit import AuditLog
from kubevision.services.context import ObjectRef, RequestContext

Obj = dict[str, Any]
# Divisors that leave a quantity as it is written (the API server stores an unset divisor as "0").
UNIT_DIVISORS = frozenset({"0", "1"})
_LABEL_REF = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")
_POD_FIELDS = {
    "metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
    "metadata.uid": ("metadata", "uid"), "spec.nodeName": ("spec", "nodeName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"), "status.hostIP": ("status", "hostIP"),
    "status.podIP": ("status", "podIP"),
}


def container_type(container: Obj, *, init: bool) -> str:
    """`init`, `sidecar` (an init container that keeps running: restartPolicy Always) or `app`."""
    if not init:
        return "app"
    return "sidecar" if container.get("restartPolicy") == "Always" else "init"


def _field_value(pod: Obj, path: str) -> str | None:
    if path in _POD_FIELDS:
        section, key = _POD_FIELDS[path]
        value = (pod.get(section) or {}).get(key)
        return None if value is None else str(value)
    if path == "status.podIPs":
        return ",".join(ip.get("ip", "") for ip in (pod.get("status") or {}).get("podIPs") or []) or None
    if match := _LABEL_REF.match(path):
        return ((pod.get("metadata") or {}).get(match.group(1)) or {}).get(match.group(2))
    return None


def _resource_value(pod: Obj, container: Obj, ref: Obj) -> str | None:
    if str(ref.get("divisor") or "1") not in UNIT_DIVISORS:
        return None
    named = ref.get("containerName") or container.get("name")
    spec = pod.get("spec") or {}
    every = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    target = next((c for c in every if c.get("name") == named), None)
    section, _, resource = str(ref.get("resource") or "").partition(".")
    value = (((target or {}).get("resources") or {}).get(section) or {}).get(resource)
    return None if value is None else str(value)


def _decoded(value: str) -> str:
    """A Secret's stored value as text (the mask stays the mask)."""
    if value == SECRET_MASK:
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except binascii.Error:
        return value


class PodEnvironment:
    """Resolves the environment of a pod's containers for one caller."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self.clusters = clusters
        self._audit = audit

    async def environment(self, context: RequestContext, ref: ObjectRef, *, reveal: bool = False) -> Obj:
        """`{containers: [{name, type, env: [...], envFrom: [...]}], mayReveal, revealed}` (see module docstring)."""
        pods = await AccessScope.open(context, self.clusters, ref.cluster_id, "pods", namespace=ref.namespace,
                                      verb=Verb.READ)
        pods.require_namespace()
        secrets = pods.for_kind(await lookup_kind(pods.cluster, "secrets"))
        configmaps = pods.for_kind(await lookup_kind(pods.cluster, "configmaps"))
        if reveal:
            secrets.require(Verb.REVEAL)
        pod = await pods.cluster.request("GET", pods.kind.object_path(ref.name, pods.namespace))
        sources = _Sources(pods, secrets, configmaps, reveal=reveal)
        spec = pod.get("spec") or {}
        containers = []
        for init, listed in ((True, spec.get("initContainers") or []), (False, spec.get("containers") or [])):
            for container in listed:
                containers.append({
                    "name": container.get("name"), "type": container_type(container, init=init),
                    "env": [await sources.env_var(pod, container, var) for var in container.get("env") or []],
                    "envFrom": [await sources.env_from(item) for item in container.get("envFrom") or []],
                })
        for name in sorted(sources.revealed):
            self._audit.record("secret.reveal", name=name, detail={"via": f"pods/{ref.name} environment"},
                               **secrets.audit_fields())
        return {"containers": containers, "mayReveal": secrets.values.may_reveal, "revealed": reveal}


class _Sources:
    """The ConfigMaps and Secrets one resolution reads, each read once and presented as the caller may see it."""

    def __init__(self, pods: AccessScope, secrets: AccessScope, configmaps: AccessScope, *, reveal: bool) -> None:
        self.pods = pods
        self.secrets = secrets
        self.configmaps = configmaps
        self.reveal = reveal
        self.revealed: set[str] = set()
        self._read: dict[tuple[str, str], Obj | str] = {}  # (kind, name) → the data shown, or why there is none

    async def _data(self, scope: AccessScope, name: str) -> Obj | str:
        key = (scope.kind.name, name)
        if key not in self._read:
            self._read[key] = await self._load(scope, name)
        return self._read[key]

    async def _load(self, scope: AccessScope, name: str) -> Obj | str:
        if not scope.may(Verb.READ):
            return f"you may not read {scope.kind.name} in {scope.namespace}"
        try:
            obj = await scope.cluster.request("GET", scope.kind.object_path(name, scope.namespace))
        except KubeError as exc:
            return "not found" if exc.status == 404 else exc.message
        if scope is self.secrets:
            shown = scope.present(obj, reveal=self.reveal)
            if self.reveal and scope.values.may_reveal:
                self.revealed.add(name)
            return {key: _decoded(value) for key, value in (shown.get("data") or {}).items()}
        return {**(obj.get("data") or {}), **dict.fromkeys(obj.get("binaryData") or {}, "(binary)")}

    async def env_var(self, pod: Obj, container: Obj, var: Obj) -> Obj:
        """One `env` entry: `{name, value, source, note}`; `value` None where it cannot be shown."""
        entry: Obj = {"name": var.get("name"), "value": None, "source": {"type": "value"}, "note": None}
        if "valueFrom" not in var:
            entry["value"] = var.get("value", "")
            return entry
        value_from = var.get("valueFrom") or {}
        for source_type, scope in (("secretKeyRef", self.secrets), ("configMapKeyRef", self.configmaps)):
            if source_type in value_from:
                ref = value_from[source_type] or {}
                entry["source"] = {"type": source_type, "name": ref.get("name"), "key": ref.get("key"),
                                   "optional": bool(ref.get("optional"))}
                data = await self._data(scope, str(ref.get("name") or ""))
                if isinstance(data, str):
                    entry["note"] = data
                elif ref.get("key") in data:
                    entry["value"] = data[ref["key"]]
                    entry["masked"] = entry["value"] == SECRET_MASK and scope is self.secrets
                else:
                    entry["note"] = f"no key {ref.get('key')!r}"
                return entry
        if "fieldRef" in value_from:
            path = str((value_from["fieldRef"] or {}).get("fieldPath") or "")
            entry["source"] = {"type": "fieldRef", "fieldPath": path}
            entry["value"] = _field_value(pod, path)
        elif "resourceFieldRef" in value_from:
            ref = value_from["resourceFieldRef"] or {}
            entry["source"] = {"type": "resourceFieldRef", "resource": ref.get("resource"),
                               "containerName": ref.get("containerName"), "divisor": ref.get("divisor")}
            entry["value"] = _resource_value(pod, container, ref)
        else:
            entry["source"] = {"type": next(iter(value_from), "unknown")}
        if entry["value"] is None:
            entry["note"] = "set by the kubelet when the container starts"
        return entry

    async def env_from(self, item: Obj) -> Obj:
        """One `envFrom` entry: `{type, name, prefix, optional, variables: [{name, value}], note}`."""
        source_type, scope = (("secretRef", self.secrets) if "secretRef" in item
                              else ("configMapRef", self.configmaps))
        ref = item.get(source_type) or {}
        entry: Obj = {"type": source_type, "name": ref.get("name"), "prefix": item.get("prefix") or "",
                      "optional": bool(ref.get("optional")), "variables": [], "note": None}
        data = await self._data(scope, str(ref.get("name") or ""))
        if isinstance(data, str):
            entry["note"] = data
        else:
            entry["variables"] = [{"name": f"{entry['prefix']}{key}", "value": value} for key, value in data.items()]
        return entry


POD_ENVIRONMENT = web.AppKey("pod_environment", PodEnvironment)
