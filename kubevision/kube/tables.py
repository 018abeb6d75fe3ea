"""Compact table rows (`view=table`) with kubectl-like columns, one renderer per kind.

Rows are computed once per object version (the cache keeps them beside the object), so sorting and
paging 10k+ rows never re-walk full objects. Kinds without a renderer get name/namespace/age.
Column `type` tells the UI how to show a cell: `text`, `number`, `age` (an ISO timestamp that ticks),
`status` (coloured).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the registry describes each kind's columns with this module
    from kubevision.kube.registry import ResourceKind

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Column:
    """One table column."""

    name: str
    type: str = "text"


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """Columns after name/namespace and the function that fills them."""

    columns: tuple[Column, ...]
    cells: Callable[[Obj], list[Any]]
    status: Callable[[Obj], str] | None = None


def metadata_of(obj: Obj) -> Obj:
    """An object's metadata ({} when missing)."""
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def created(obj: Obj) -> str | None:
    """creationTimestamp (the `age` cell)."""
    return metadata_of(obj).get("creationTimestamp")


def pod_status(obj: Obj) -> str:
    """The STATUS kubectl shows: waiting/terminated reasons before the phase."""
    if metadata_of(obj).get("deletionTimestamp"):
        return "Terminating"
    status = _status(obj)
    for container in reversed(status.get("containerStatuses") or []):
        state = container.get("state") or {}
        reason = (state.get("waiting") or {}).get("reason") or (state.get("terminated") or {}).get("reason")
        if reason:
            return reason
    return status.get("reason") or status.get("phase") or "Unknown"


def _pod_cells(obj: Obj) -> list[Any]:
    statuses = _status(obj).get("containerStatuses") or []
    total = len(_spec(obj).get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    return [f"{ready}/{total}", pod_status(obj), restarts, created(obj), _spec(obj).get("nodeName"),
            _status(obj).get("podIP")]


def replicas_ready(obj: Obj) -> bool:
    """All desired replicas are ready (ReplicaSets, Deployments, StatefulSets)."""
    desired = _spec(obj).get("replicas", 1)
    return _status(obj).get("readyReplicas", 0) >= desired


def _replicas_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    desired = _spec(obj).get("replicas", 1)
    return [f"{status.get('readyReplicas', 0)}/{desired}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0), created(obj), _images(obj)]


def _images(obj: Obj) -> str:
    template = _spec(obj).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    return ",".join(c.get("image", "") for c in containers)


def _workload_status(obj: Obj) -> str:
    status = _status(obj)
    desired = _spec(obj).get("replicas", 1)
    if desired == 0:
        return "Scaled down"
    return "Ready" if status.get("readyReplicas", 0) >= desired else "Progressing"


def _statefulset_cells(obj: Obj) -> list[Any]:
    return [f"{_status(obj).get('readyReplicas', 0)}/{_spec(obj).get('replicas', 1)}", created(obj),
            _images(obj)]


def _daemonset_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("updatedNumberScheduled", 0),
            status.get("numberAvailable", 0), created(obj)]


def _daemonset_status(obj: Obj) -> str:
    status = _status(obj)
    return "Ready" if status.get("numberReady", 0) >= status.get("desiredNumberScheduled", 0) else "Progressing"


def _replicaset_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [_spec(obj).get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0),
            created(obj)]


def _job_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [f"{status.get('succeeded', 0)}/{_spec(obj).get('completions', 1)}", job_status(obj),
            created(obj)]


def job_status(obj: Obj) -> str:
    """Complete / Failed / Running / Suspended."""
    for condition in _status(obj).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "Failed"):
            return condition["type"]
    return "Suspended" if _spec(obj).get("suspend") else "Running"


def _cronjob_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    return [spec.get("schedule"), bool(spec.get("suspend")), len(_status(obj).get("active") or []),
            _status(obj).get("lastScheduleTime"), created(obj)]


def _service_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(i.get("ip") or i.get("hostname") or "" for i in ingress) or \
        ",".join(spec.get("externalIPs") or []) or None
    ports = ",".join(
        f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    )
    return [spec.get("type"), spec.get("clusterIP"), external, ports, created(obj)]


def _ingress_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    hosts = ",".join(r.get("host", "*") for r in spec.get("rules") or []) or "*"
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname") or "" for i in ingress)
    return [spec.get("ingressClassName"), hosts, address, created(obj)]


def _endpoints_cells(obj: Obj) -> list[Any]:
    addresses = [
        f"{a.get('ip')}:{p.get('port')}"
        for subset in obj.get("subsets") or []
        for a in subset.get("addresses") or [] for p in subset.get("ports") or [{}]
    ]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more" if len(addresses) > 3 else "")
    return [shown or "<none>", created(obj)]


def _count_data(obj: Obj) -> list[Any]:
    return [len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), created(obj)]


def _secret_cells(obj: Obj) -> list[Any]:
    return [obj.get("type"), len(obj.get("data") or {}), created(obj)]


def node_status(obj: Obj) -> str:
    """Ready / NotReady (+ SchedulingDisabled when cordoned)."""
    ready = next((c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), {})
    status = "Ready" if ready.get("status") == "True" else "NotReady"
    return f"{status},SchedulingDisabled" if _spec(obj).get("unschedulable") else status


def _node_cells(obj: Obj) -> list[Any]:
    labels = metadata_of(obj).get("labels") or {}
    roles = ",".join(sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")))
    info = _status(obj).get("nodeInfo") or {}
    return [node_status(obj), roles or "<none>", created(obj), info.get("kubeletVersion")]


def _namespace_cells(obj: Obj) -> list[Any]:
    return [_status(obj).get("phase"), created(obj)]


def _event_cells(obj: Obj) -> list[Any]:
    involved = obj.get("involvedObject") or {}
    return [obj.get("type"), obj.get("reason"), f"{involved.get('kind', '')}/{involved.get('name', '')}",
            obj.get("message"), obj.get("count", 1), obj.get("lastTimestamp") or created(obj)]


def _pvc_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    capacity = (_status(obj).get("capacity") or {}).get("storage")
    return [_status(obj).get("phase"), spec.get("volumeName"), capacity,
            ",".join(spec.get("accessModes") or []), spec.get("storageClassName"), created(obj)]


def _pv_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    claim = spec.get("claimRef") or {}
    return [(spec.get("capacity") or {}).get("storage"), ",".join(spec.get("accessModes") or []),
            spec.get("persistentVolumeReclaimPolicy"), _status(obj).get("phase"),
            f"{claim.get('namespace')}/{claim.get('name')}" if claim else None,
            spec.get("storageClassName"), created(obj)]


def _storageclass_cells(obj: Obj) -> list[Any]:
    return [obj.get("provisioner"), obj.get("reclaimPolicy"), obj.get("volumeBindingMode"), created(obj)]


def _binding_cells(obj: Obj) -> list[Any]:
    role = obj.get("roleRef") or {}
    subjects = ",".join(f"{s.get('kind')}/{s.get('name')}" for s in obj.get("subjects") or [])
    return [f"{role.get('kind')}/{role.get('name')}", subjects, created(obj)]


def _rules_cells(obj: Obj) -> list[Any]:
    return [len(obj.get("rules") or []), created(obj)]


def _hpa_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    target = spec.get("scaleTargetRef") or {}
    return [f"{target.get('kind')}/{target.get('name')}", spec.get("minReplicas", 1), spec.get("maxReplicas"),
            _status(obj).get("currentReplicas"), created(obj)]


def _networkpolicy_cells(obj: Obj) -> list[Any]:
    selector = (_spec(obj).get("podSelector") or {}).get("matchLabels") or {}
    return [",".join(f"{k}={v}" for k, v in selector.items()) or "<all>", created(obj)]


AGE = Column("Age", "age")
TABLES: dict[str, TableSpec] = {
    "pods": TableSpec((Column("Ready"), Column("Status", "status"), Column("Restarts", "number"), AGE,
                       Column("Node"), Column("IP")), _pod_cells, pod_status),
    "deployments": TableSpec((Column("Ready"), Column("Up-to-date", "number"), Column("Available", "number"),
                              AGE, Column("Images")), _replicas_cells, _workload_status),
    "statefulsets": TableSpec((Column("Ready"), AGE, Column("Images")), _statefulset_cells, _workload_status),
    "daemonsets": TableSpec((Column("Desired", "number"), Column("Current", "number"),
                             Column("Ready", "number"), Column("Up-to-date", "number"),
                             Column("Available", "number"), AGE), _daemonset_cells, _daemonset_status),
    "replicasets": TableSpec((Column("Desired", "number"), Column("Current", "number"),
                              Column("Ready", "number"), AGE), _replicaset_cells),
    "jobs": TableSpec((Column("Completions"), Column("Status", "status"), AGE), _job_cells, job_status),
    "cronjobs": TableSpec((Column("Schedule"), Column("Suspend"), Column("Active", "number"),
                           Column("Last schedule", "age"), AGE), _cronjob_cells),
    "services": TableSpec((Column("Type"), Column("Cluster IP"), Column("External IP"), Column("Ports"), AGE),
                          _service_cells),
    "ingresses": TableSpec((Column("Class"), Column("Hosts"), Column("Address"), AGE), _ingress_cells),
    "endpoints": TableSpec((Column("Endpoints"), AGE), _endpoints_cells),
    "configmaps": TableSpec((Column("Data", "number"), AGE), _count_data),
    "secrets": TableSpec((Column("Type"), Column("Data", "number"), AGE), _secret_cells),
    "nodes": TableSpec((Column("Status", "status"), Column("Roles"), AGE, Column("Version")),
                       _node_cells, node_status),
    "namespaces": TableSpec((Column("Status", "status"), AGE), _namespace_cells,
                            lambda o: _status(o).get("phase") or "Unknown"),
    "events": TableSpec((Column("Type", "status"), Column("Reason"), Column("Object"), Column("Message"),
                         Column("Count", "number"), Column("Last seen", "age")), _event_cells),
    "persistentvolumeclaims": TableSpec((Column("Status", "status"), Column("Volume"), Column("Capacity"),
                                         Column("Access modes"), Column("Storage class"), AGE), _pvc_cells,
                                        lambda o: _status(o).get("phase") or "Unknown"),
    "persistentvolumes": TableSpec((Column("Capacity"), Column("Access modes"), Column("Reclaim policy"),
                                    Column("Status", "status"), Column("Claim"), Column("Storage class"),
                                    AGE), _pv_cells),
    "storageclasses": TableSpec((Column("Provisioner"), Column("Reclaim policy"), Column("Binding mode"), AGE),
                                _storageclass_cells),
    "roles": TableSpec((Column("Rules", "number"), AGE), _rules_cells),
    "clusterroles": TableSpec((Column("Rules", "number"), AGE), _rules_cells),
    "rolebindings": TableSpec((Column("Role"), Column("Subjects"), AGE), _binding_cells),
    "clusterrolebindings": TableSpec((Column("Role"), Column("Subjects"), AGE), _binding_cells),
    "horizontalpodautoscalers": TableSpec((Column("Reference"), Column("Min", "number"), Column("Max", "number"),
                                           Column("Replicas", "number"), AGE), _hpa_cells),
    "networkpolicies": TableSpec((Column("Pod selector"), AGE), _networkpolicy_cells),
    "serviceaccounts": TableSpec((Column("Secrets", "number"), AGE),
                                 lambda o: [len(o.get("secrets") or []), created(o)]),
    "resourcequotas": TableSpec((AGE,), lambda o: [created(o)]),
    "limitranges": TableSpec((AGE,), lambda o: [created(o)]),
}
GENERIC = TableSpec((AGE,), lambda o: [created(o)])


def table_spec(kind: ResourceKind) -> TableSpec:
    """The renderer for a kind: built-ins (in their own group) by plural; others get the generic one."""
    return TABLES.get(kind.plural, GENERIC) if kind.builtin else GENERIC


def columns_of(spec: TableSpec, *, namespaced: bool) -> list[dict[str, str]]:
    """The column list of a table response (name and namespace first)."""
    leading = [Column("Name")] + ([Column("Namespace")] if namespaced else [])
    return [dataclasses.asdict(c) for c in (*leading, *spec.columns)]


def row_of(spec: TableSpec, obj: Obj, *, namespaced: bool) -> dict[str, Any]:
    """One table row for an object; `cells` line up with `columns_of`."""
    meta = metadata_of(obj)
    leading = [meta.get("name")] + ([meta.get("namespace")] if namespaced else [])
    return {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "uid": meta.get("uid"),
        "resourceVersion": meta.get("resourceVersion"),
        "labels": meta.get("labels") or {},
        "status": spec.status(obj) if spec.status else None,
        "createdAt": meta.get("creationTimestamp"),
        "cells": leading + spec.cells(obj),
    }


def row_matches(row: dict[str, Any], needle: str) -> bool:
    """The `q` filter: `needle` (lower case) in the name, the namespace or a `key=value` label."""
    if needle in (row.get("name") or "").lower() or needle in (row.get("namespace") or "").lower():
        return True
    return any(needle in f"{k}={v}".lower() for k, v in row["labels"].items())


def row_order(sort: str | None) -> tuple[Callable[[dict[str, Any]], Any], bool]:
    """Key function over rows and `reverse` flag for `sort` (name, namespace, age, status; '-' descends).

    Cached and live lists both sort rows with this, so `sort` means the same wherever a list comes from.
    """
    sort = sort or "name"
    field = sort.lstrip("-")

    def key(row: dict[str, Any]) -> Any:
        name, namespace = row.get("name") or "", row.get("namespace") or ""
        if field == "namespace":
            return (namespace, name)
        if field == "age":
            return row.get("createdAt") or ""
        if field == "status":
            return (row.get("status") or "", name)
        return (name, namespace)

    # Youngest first for "age" (like sorting by a growing number), so the timestamp order is inverted.
    return key, sort.startswith("-") != (field == "age")
