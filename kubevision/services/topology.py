"""The topology graph of one namespace, built from objects already read (no I/O, no authorization here).

`ViewService.topology` reads the kinds of `TOPOLOGY_KINDS` (from the informer caches or the API server,
each authorized on its own; a kind the caller may not read arrives as `None`) and hands them to
`TopologyBuilder`, which draws:

- `owns`: owner references (Deployment → ReplicaSet → Pod, CronJob → Job → Pod, StatefulSet/DaemonSet → Pod);
- `selects`: Service → Pod by the service's selector; `routes`: Ingress → Service;
- `mounts`: Pod → PersistentVolumeClaim / ConfigMap / Secret (volumes, projected volumes, env, envFrom);
- `binds`: PersistentVolumeClaim → PersistentVolume (the volumes are read by the service afterwards,
  since they are cluster-scoped and need their own grant).

**Node budget.** Past the budget, the pods of the largest owners collapse into `PodGroup` nodes with
per-status counts, so a namespace with thousands of pods answers fast and still draws a readable graph.
Names of config maps and secrets are shown only when the caller may list that kind.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubevision.kube.registry import ResourceKind, View, builtin_plurals
from kubevision.kube.selectors import selector_from_match_labels
from kubevision.kube.tables import metadata_of, pod_status, replicas_ready, table_spec

if TYPE_CHECKING:
    from kubevision.services.views import Read

Obj = dict[str, Any]

TOPOLOGY_NODE_BUDGET = 300
TOPOLOGY_MAX_BUDGET = 5000
TOPOLOGY_KINDS = builtin_plurals(View.TOPOLOGY)
# Kinds whose objects own others; their nodes are added before the pods.
OWNER_KINDS = builtin_plurals(View.TOPOLOGY_OWNER)
# Kinds read only to know which names exist (their objects are not decoded).
NAME_ONLY_KINDS = builtin_plurals(View.TOPOLOGY_NAMES)
REFERENCE_KINDS = (("PersistentVolumeClaim", "persistentvolumeclaims"), ("ConfigMap", "configmaps"),
                   ("Secret", "secrets"))


def ingress_services(ingress: Obj) -> set[str]:
    """Service names an Ingress routes to (networking v1 and v1beta1 shapes)."""
    spec = ingress.get("spec") or {}
    backends = [spec.get("defaultBackend"), spec.get("backend")]
    for rule in spec.get("rules") or []:
        backends.extend(path.get("backend") for path in (rule.get("http") or {}).get("paths") or [])
    names = set()
    for backend in backends:
        if not backend:
            continue
        name = (backend.get("service") or {}).get("name") or backend.get("serviceName")
        if name:
            names.add(name)
    return names


def pod_references(pod: Obj) -> tuple[set[str], set[str], set[str]]:
    """(PVC names, ConfigMap names, Secret names) a pod mounts or reads environment from."""
    spec = pod.get("spec") or {}
    claims: set[str] = set()
    configmaps: set[str] = set()
    secret_names: set[str] = set()
    for volume in spec.get("volumes") or []:
        if claim := (volume.get("persistentVolumeClaim") or {}).get("claimName"):
            claims.add(claim)
        if name := (volume.get("configMap") or {}).get("name"):
            configmaps.add(name)
        if name := (volume.get("secret") or {}).get("secretName"):
            secret_names.add(name)
        for source in (volume.get("projected") or {}).get("sources") or []:
            if name := (source.get("configMap") or {}).get("name"):
                configmaps.add(name)
            if name := (source.get("secret") or {}).get("name"):
                secret_names.add(name)
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for env_from in container.get("envFrom") or []:
            if name := (env_from.get("configMapRef") or {}).get("name"):
                configmaps.add(name)
            if name := (env_from.get("secretRef") or {}).get("name"):
                secret_names.add(name)
        for env in container.get("env") or []:
            source = env.get("valueFrom") or {}
            if name := (source.get("configMapKeyRef") or {}).get("name"):
                configmaps.add(name)
            if name := (source.get("secretKeyRef") or {}).get("name"):
                secret_names.add(name)
    return claims, configmaps, secret_names


def status_of(kind: ResourceKind, obj: Obj) -> str | None:
    """A one-word status for a topology node."""
    spec = obj.get("spec") or {}
    if kind.name == "pods":
        return pod_status(obj)
    if kind.name == "replicasets":
        return "Ready" if replicas_ready(obj) else "Progressing"
    if kind.name == "services":
        return spec.get("type") or "ClusterIP"
    if kind.name == "cronjobs":
        return "Suspended" if spec.get("suspend") else ("Active" if (obj.get("status") or {}).get("active")
                                                        else "Scheduled")
    if kind.name == "ingresses":
        ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        return "Ready" if ingress else "Pending"
    status = table_spec(kind).status
    return status(obj) if status else None


def owners_to_collapse(pod_owner: Mapping[str, str | None], room: int) -> set[str | None]:
    """Owners whose pods become one group node, largest first, until the pods fit in `room` nodes."""
    sizes = collections.Counter(pod_owner.values())
    shown = len(pod_owner)
    collapse: set[str | None] = set()
    for owner, size in sorted(sizes.items(), key=lambda item: (item[0] is None, -item[1])):
        if shown <= max(room, 0) or size < 2:
            break
        collapse.add(owner)
        shown -= size - 1
    return collapse


def estimated_reference_nodes(pods: list[Obj]) -> int:
    """How many claim/config/secret nodes the pods will add (distinct names)."""
    names: set[tuple[int, str]] = set()
    for pod in pods:
        for index, group in enumerate(pod_references(pod)):
            names.update((index, name) for name in group)
    return len(names)


@dataclasses.dataclass
class Graph:
    """Topology nodes and edges under construction."""

    nodes: dict[str, Obj] = dataclasses.field(default_factory=dict)
    edges: set[tuple[str, str, str]] = dataclasses.field(default_factory=set)

    def add(self, kind: str, name: str, namespace: str | None, status: str | None, **extra: Any) -> str:
        """Add (or keep) a node; returns its id `Kind/name`."""
        node_id = f"{kind}/{name}"
        self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "name": name, "namespace": namespace,
                                        "status": status, **extra})
        return node_id

    def link(self, source: str, target: str, edge_type: str) -> None:
        """Add an edge (duplicates collapse)."""
        self.edges.add((source, target, edge_type))


class TopologyBuilder:
    """Builds the graph of one namespace: `build()`, then `add_volumes()` with the bound volumes, then `result()`."""

    def __init__(self, namespace: str, reads: Mapping[str, Read | None], budget: int = TOPOLOGY_NODE_BUDGET) -> None:
        self.namespace = namespace
        self.reads = reads
        self.budget = budget
        self.graph = Graph()
        self.objects = {name: list(read.objects()) if read is not None and name not in NAME_ONLY_KINDS else []
                        for name, read in reads.items()}
        self.pods = self.objects["pods"]
        self._owner_ids: dict[str, str] = {}  # owner uid → node id
        self._owner_parent: dict[str, str] = {}  # node id → its owner's uid
        self._pod_node: dict[str, str] = {}  # pod name → its node (the pod's own, or its group's)
        self._groups = 0
        claims = reads["persistentvolumeclaims"]
        self._claim_status = {metadata_of(c).get("name"): status_of(claims.kind, c)
                              for c in self.objects["persistentvolumeclaims"]} if claims is not None else {}

    def build(self) -> None:
        """Add owners, pods (grouped over budget), services, ingresses and what the pods mount."""
        self._add_owners()
        self._add_pods()
        self._add_services_and_ingresses()
        self._add_references()

    @property
    def bound_volumes(self) -> dict[str, str | None]:
        """Claim name → the PersistentVolume it is bound to (None while unbound)."""
        return {metadata_of(c).get("name"): (c.get("spec") or {}).get("volumeName")
                for c in self.objects["persistentvolumeclaims"]}

    def add_volumes(self, volumes: Read | None) -> None:
        """Claims and the volumes they bind (`volumes` None: the caller may not read PersistentVolumes)."""
        volume_status = {metadata_of(pv).get("name"): status_of(volumes.kind, pv)
                         for pv in volumes.objects()} if volumes is not None else {}
        for claim_name, volume in self.bound_volumes.items():
            claim_id = self.graph.add("PersistentVolumeClaim", claim_name, self.namespace,
                                      self._claim_status.get(claim_name))
            if volume and volumes is not None:
                volume_id = self.graph.add("PersistentVolume", volume, None, volume_status.get(volume, "Missing"))
                self.graph.link(claim_id, volume_id, "binds")

    def result(self, skipped: list[Obj]) -> Obj:
        """The answer of `GET .../topology`."""
        return {
            "namespace": self.namespace,
            "nodes": list(self.graph.nodes.values()),
            "edges": [{"source": s, "target": t, "type": e} for s, t, e in sorted(self.graph.edges)],
            "collapsed": self._groups > 0, "budget": self.budget, "podCount": len(self.pods), "skipped": skipped,
        }

    # -- steps -------------------------------------------------------------------------------------
    def _add_owners(self) -> None:
        pod_owner_uids = {ref.get("uid") for pod in self.pods for ref in metadata_of(pod).get("ownerReferences") or []}
        for name in OWNER_KINDS:
            read = self.reads[name]
            if read is None:
                continue
            for obj in self.objects[name]:
                metadata = metadata_of(obj)
                # Old ReplicaSets scaled to zero with no pods are rollout history, not topology.
                if name == "replicasets" and not (obj.get("spec") or {}).get("replicas") and \
                        metadata.get("uid") not in pod_owner_uids:
                    continue
                node_id = self.graph.add(read.kind.kind, metadata.get("name"), self.namespace,
                                         status_of(read.kind, obj))
                self._owner_ids[metadata.get("uid")] = node_id
                for ref in metadata.get("ownerReferences") or []:
                    self._owner_parent[node_id] = ref.get("uid")
        for node_id, parent_uid in self._owner_parent.items():
            if parent_uid in self._owner_ids:
                self.graph.link(self._owner_ids[parent_uid], node_id, "owns")
        for node_id in list(self._owner_parent):
            if node_id in self.graph.nodes and (top := self._top_of(node_id)) != node_id:
                self.graph.nodes[node_id]["group"] = top

    def _top_of(self, node_id: str) -> str:
        """The top-level owner of a node (the workload a group of nodes is drawn around)."""
        seen = {node_id}
        while (parent := self._owner_ids.get(self._owner_parent.get(node_id, ""))) and parent not in seen:
            seen.add(parent)
            node_id = parent
        return node_id

    def _add_pods(self) -> None:
        pod_owner: dict[str, str | None] = {}
        for pod in self.pods:
            refs = metadata_of(pod).get("ownerReferences") or []
            controller = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
            pod_owner[metadata_of(pod).get("name")] = self._owner_ids.get(controller.get("uid")) if controller else None
        other_nodes = len(self.graph.nodes) + estimated_reference_nodes(self.pods)
        collapsed = owners_to_collapse(pod_owner, self.budget - other_nodes)
        for pod in self.pods:
            name = metadata_of(pod).get("name")
            owner = pod_owner[name]
            status = pod_status(pod)
            if owner in collapsed:
                self._pod_node[name] = self._add_to_group(owner, status)
                continue
            extra = {"group": self._top_of(owner)} if owner else {}
            node_id = self.graph.add("Pod", name, self.namespace, status, **extra)
            if owner:
                self.graph.link(owner, node_id, "owns")
            self._pod_node[name] = node_id

    def _add_to_group(self, owner: str | None, status: str) -> str:
        """Count a pod into its owner's `PodGroup` node (made on first use); returns the group's id."""
        group_id = f"PodGroup/{owner or 'unowned'}"
        group = self.graph.nodes.get(group_id)
        if group is None:
            owner_name = self.graph.nodes[owner]["name"] if owner else "unowned"
            group = self.graph.nodes[group_id] = {
                "id": group_id, "kind": "PodGroup", "name": f"{owner_name} pods", "namespace": self.namespace,
                "status": status, "count": 0, "statusCounts": {}, "owner": owner,
            }
            if owner:
                group["group"] = self._top_of(owner)
                self.graph.link(owner, group_id, "owns")
            self._groups += 1
        group["count"] += 1
        group["statusCounts"][status] = group["statusCounts"].get(status, 0) + 1
        if group["status"] != status:
            group["status"] = "Mixed"
        return group_id

    def _add_services_and_ingresses(self) -> None:
        service_ids = {}
        services, ingresses = self.reads["services"], self.reads["ingresses"]
        if services is not None:
            for service in self.objects["services"]:
                name = metadata_of(service).get("name")
                service_id = self.graph.add("Service", name, self.namespace, status_of(services.kind, service))
                service_ids[name] = service_id
                selector = (service.get("spec") or {}).get("selector") or {}
                if selector:
                    matches = selector_from_match_labels(selector)
                    for pod in self.pods:
                        if matches(metadata_of(pod).get("labels") or {}):
                            self.graph.link(service_id, self._pod_node[metadata_of(pod).get("name")], "selects")
        if ingresses is not None:
            for ingress in self.objects["ingresses"]:
                ingress_id = self.graph.add("Ingress", metadata_of(ingress).get("name"), self.namespace,
                                            status_of(ingresses.kind, ingress))
                for service_name in sorted(ingress_services(ingress)):
                    service_id = service_ids.get(service_name) or self.graph.add("Service", service_name,
                                                                                 self.namespace, "Missing")
                    self.graph.link(ingress_id, service_id, "routes")

    def _add_references(self) -> None:
        existing = {plural: {row.get("name") for row in read.rows} if (read := self.reads[plural]) is not None
                    else None for _, plural in REFERENCE_KINDS}
        for pod in self.pods:
            source = self._pod_node[metadata_of(pod).get("name")]
            for (kind_label, plural), names in zip(REFERENCE_KINDS, pod_references(pod), strict=True):
                known = existing[plural]
                if known is None:  # the caller may not read this kind: do not reveal names
                    continue
                for name in sorted(names):
                    if plural == "persistentvolumeclaims":
                        status = self._claim_status.get(name, "Missing")
                    else:
                        status = "Present" if name in known else "Missing"
                    self.graph.link(source, self.graph.add(kind_label, name, self.namespace, status), "mounts")
