"""Table rows (`view=table`) with the columns and cells of the API server's own printers, one renderer per kind.

Rows are computed once per object version (the cache keeps them beside the object), so sorting and
paging 100k rows never re-walk full objects nor ask the API server for Table payloads. Columns carry
the API server's header (`name`), its `priority` (1 = shown by `kubectl get -o wide`) and a machine id.
Cells equal the API server's Table cells (Kubernetes 1.20 printers; states newer than 1.20 —
restartable init containers, SchedulingGated — follow the newest upstream printer), except relative
times: `age` cells carry the ISO timestamp (the browser ticks them; `None` where the server prints
`<none>`/`<unknown>`), and a job's `duration` cell is `[startTime, completionTime]`.
Column `type` says how to show and sort a cell: `text`, `number`, `quantity`, `ratio` (`1/2`), `age`,
`duration`, `status` (coloured), `boolean` (custom resources). Kinds without a renderer get name/namespace/age.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from kubevision.errors import ApiError, ErrorCode
from kubevision.kube.quantities import quantity_or_zero

if TYPE_CHECKING:  # the registry describes each kind's columns with this module
    from kubevision.kube.registry import ResourceKind

Obj = dict[str, Any]
NONE = "<none>"
UNKNOWN = "<unknown>"
MAX_LISTED_HOSTS = 3  # Ingress HOSTS and Endpoints cells list this many, then "+ N more..." (as upstream)
MAX_LISTED_METRICS = 2  # an HPA's TARGETS cell lists this many metrics, then "+ N more..." (formatHPAMetrics)


@dataclasses.dataclass(frozen=True)
class Column:
    """One table column: the API server's header `name`, a machine `id`, how to show it and its priority."""

    name: str
    type: str = "text"
    priority: int = 0
    id: str = ""
    _: dataclasses.KW_ONLY
    format: str = ""  # a custom resource column's declared format (int32, date-time, ...)
    description: str = ""  # a custom resource column's description

    def __post_init__(self) -> None:
        if not self.id:
            words = self.name.replace("(s)", "s").replace("-", " ").split()
            object.__setattr__(self, "id", words[0].lower() + "".join(w.capitalize() for w in words[1:]))


def wide(name: str, type_: str = "text", id_: str = "") -> Column:
    """A priority-1 column (`kubectl get -o wide`)."""
    return Column(name, type_, 1, id_)


@dataclasses.dataclass(frozen=True)
class TableSpec:
    """Columns after name/namespace and the function that fills them; `summary`: what the overview counts of an
    object (made once per cached object, beside its row: `CacheEntry.summary`)."""

    columns: tuple[Column, ...]
    cells: Callable[[Obj], list[Any]]
    status: Callable[[Obj], str] | None = None
    name_cell: Callable[[Obj], str] | None = None
    summary: Callable[[Obj], Any] | None = None


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


def _or(value: Any, default: str = NONE) -> Any:
    """`value`, or the placeholder the printers show for an empty one."""
    return default if value in (None, "") else value


def format_labels(labels: dict[str, str] | None) -> str:
    """`k=v,k2=v2` in key order, `<none>` when empty (apimachinery labels.FormatLabels)."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or NONE


def selector_string(selector: Obj | None) -> str:
    """A LabelSelector as the API server writes it (`a=b,c in (x,y),!d`), requirements in key order."""
    selector = selector or {}
    requirements = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator")
        values = ",".join(sorted(set(expression.get("values") or [])))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                "DoesNotExist": f"!{key}"}.get(operator, key)
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda item: item[0]))


def format_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: `<none>` for a missing or empty selector."""
    return NONE if selector is None else (selector_string(selector) or NONE)


def _containers(template_spec: Obj) -> list[str]:
    """The CONTAINERS and IMAGES cells of a pod template."""
    containers = template_spec.get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def _template_spec(obj: Obj) -> Obj:
    return (_spec(obj).get("template") or {}).get("spec") or {}


def _condition(conditions: Iterable[Obj] | None, kind: str) -> Obj | None:
    return next((c for c in conditions or [] if c.get("type") == kind), None)


def _condition_true(conditions: Iterable[Obj] | None, kind: str) -> bool:
    return (_condition(conditions, kind) or {}).get("status") == "True"


def _bool_text(value: bool | None) -> str:
    """printBoolPtr: `True`/`False` (a missing value is `False`)."""
    return "True" if value else "False"


# -- pods ------------------------------------------------------------------------------------------
def _restartable(container: Obj | None) -> bool:
    """A sidecar: an init container with `restartPolicy: Always` (Kubernetes 1.28+)."""
    return (container or {}).get("restartPolicy") == "Always"


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


@dataclasses.dataclass
class PodSummary:
    """The READY, STATUS and RESTARTS of a pod, worked out like the upstream printer (printPod)."""

    ready: int
    total: int
    reason: str
    restarts: int


def pod_summary(obj: Obj) -> PodSummary:
    """Init containers first (`Init:X`, `Init:N/M`, their restarts), then the containers from the last one
    (waiting/terminated reasons, `NotReady` when a running pod's other container completed), then
    `Terminating` / `Unknown` (node lost) for pods being deleted. Sidecars (restartable init containers)
    count as containers and their restarts always count; SchedulingGated pods say so (newest upstream)."""
    spec, status, meta = _spec(obj), _status(obj), metadata_of(obj)
    conditions = status.get("conditions") or []
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total = len(spec.get("containers") or []) + sum(1 for c in init_specs.values() if _restartable(c))
    reason = status.get("reason") or status.get("phase") or ""
    scheduled = _condition(conditions, "PodScheduled") or {}
    if scheduled.get("reason") == "SchedulingGated":
        reason = "SchedulingGated"
    ready = restarts = sidecar_restarts = 0
    initializing = False
    for index, container in enumerate(status.get("initContainerStatuses") or []):
        state = container.get("state") or {}
        count = int(container.get("restartCount") or 0)
        restarts += count
        sidecar = _restartable(init_specs.get(container.get("name")))
        if sidecar:
            sidecar_restarts += count
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if sidecar and container.get("started"):
            ready += 1 if container.get("ready") else 0
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break
    if not initializing or _condition_true(conditions, "Initialized"):
        restarts = sidecar_restarts
        running = False
        for container in reversed(status.get("containerStatuses") or []):
            state = container.get("state") or {}
            restarts += int(container.get("restartCount") or 0)
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(conditions, "Ready") else "NotReady"
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return PodSummary(ready, total, reason, restarts)


def pod_status(obj: Obj) -> str:
    """The STATUS kubectl shows for a pod."""
    return pod_summary(obj).reason or "Unknown"


def _readiness_gates(obj: Obj) -> str:
    gates = _spec(obj).get("readinessGates") or []
    if not gates:
        return NONE
    conditions = _status(obj).get("conditions") or []
    passed = sum(1 for gate in gates if _condition_true(conditions, gate.get("conditionType", "")))
    return f"{passed}/{len(gates)}"


def _pod_cells(obj: Obj) -> list[Any]:
    summary, status = pod_summary(obj), _status(obj)
    pod_ip = ((status.get("podIPs") or [{}])[0]).get("ip") or status.get("podIP")
    return [f"{summary.ready}/{summary.total}", summary.reason, summary.restarts, created(obj), _or(pod_ip),
            _or(_spec(obj).get("nodeName")), _or(status.get("nominatedNodeName")), _readiness_gates(obj)]


# -- what the overview counts (`TableSpec.summary`) -------------------------------------------------------
class PodFacts(NamedTuple):
    """What the overview counts of one pod (equal facts are one object: `pod_facts` interns them)."""

    phase: str
    ready: bool
    scheduled: bool
    cpu_requests: Decimal
    cpu_limits: Decimal
    memory_requests: Decimal
    memory_limits: Decimal


def _effective(pod_spec: Obj, section: str, resource: str) -> Decimal:
    """A pod's effective request/limit: max(sum of containers, largest init container) + overhead."""
    def amount(container: Obj) -> Decimal:
        return quantity_or_zero(((container.get("resources") or {}).get(section) or {}).get(resource))

    total = sum((amount(c) for c in pod_spec.get("containers") or []), Decimal(0))
    init = max((amount(c) for c in pod_spec.get("initContainers") or []), default=Decimal(0))
    return max(total, init) + quantity_or_zero((pod_spec.get("overhead") or {}).get(resource))


def pod_facts(pod: Obj) -> PodFacts:
    """Phase, readiness and resources of a pod."""
    spec, status = _spec(pod), _status(pod)
    phase = status.get("phase") or "Unknown"
    ready = phase == "Succeeded" or _condition_true(status.get("conditions"), "Ready")
    return _interned(PodFacts(phase, ready, bool(spec.get("nodeName")), _effective(spec, "requests", "cpu"),
                              _effective(spec, "limits", "cpu"), _effective(spec, "requests", "memory"),
                              _effective(spec, "limits", "memory")))


@functools.lru_cache(maxsize=4096)
def _interned(facts: PodFacts) -> PodFacts:
    """One object for equal facts: the pods of one template share theirs, so 100k pods hold a few hundred."""
    return facts


class NodeFacts(NamedTuple):
    """What the overview counts of one node."""

    ready: bool
    unschedulable: bool
    capacity: tuple[Decimal, Decimal, Decimal]  # cpu, memory, pods
    allocatable: tuple[Decimal, Decimal, Decimal]


NODE_RESOURCES = ("cpu", "memory", "pods")


def node_facts(node: Obj) -> NodeFacts:
    """Readiness, cordon, capacity and allocatable of a node."""
    status = _status(node)

    def amounts(section: str) -> tuple[Decimal, Decimal, Decimal]:
        values = status.get(section) or {}
        cpu, memory, pods = (quantity_or_zero(values.get(resource)) for resource in NODE_RESOURCES)
        return cpu, memory, pods

    return NodeFacts(node_status(node).startswith("Ready"), bool(_spec(node).get("unschedulable")),
                     amounts("capacity"), amounts("allocatable"))


def _cronjob_summary(obj: Obj) -> tuple[bool, bool]:
    """(suspended, has active jobs)."""
    return bool(_spec(obj).get("suspend")), bool(_status(obj).get("active"))


# -- workloads -------------------------------------------------------------------------------------
def replicas_ready(obj: Obj) -> bool:
    """All desired replicas are ready (ReplicaSets, Deployments, StatefulSets)."""
    desired = _spec(obj).get("replicas", 1)
    return _status(obj).get("readyReplicas", 0) >= desired


def _workload_status(obj: Obj) -> str:
    status = _status(obj)
    desired = _spec(obj).get("replicas", 1)
    if desired == 0:
        return "Scaled down"
    return "Ready" if status.get("readyReplicas", 0) >= desired else "Progressing"


def _ready_of_desired(obj: Obj) -> str:
    return f"{_status(obj).get('readyReplicas', 0)}/{_spec(obj).get('replicas', 1)}"


def _deployment_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [_ready_of_desired(obj), status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            created(obj), *_containers(_template_spec(obj)), selector_string(_spec(obj).get("selector"))]


def _statefulset_cells(obj: Obj) -> list[Any]:
    return [_ready_of_desired(obj), created(obj), *_containers(_template_spec(obj))]


def _daemonset_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("updatedNumberScheduled", 0),
            status.get("numberAvailable", 0), format_labels(_template_spec(obj).get("nodeSelector")), created(obj),
            *_containers(_template_spec(obj)), format_selector(_spec(obj).get("selector"))]


def daemonset_ready(obj: Obj) -> bool:
    """Every node that should run the daemon runs a ready one."""
    status = _status(obj)
    return status.get("numberReady", 0) >= status.get("desiredNumberScheduled", 0)


def _daemonset_status(obj: Obj) -> str:
    return "Ready" if daemonset_ready(obj) else "Progressing"


def _replicaset_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [_spec(obj).get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0),
            created(obj), *_containers(_template_spec(obj)), format_selector(_spec(obj).get("selector"))]


def _replicationcontroller_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    return [_spec(obj).get("replicas", 1), status.get("replicas", 0), status.get("readyReplicas", 0),
            created(obj), *_containers(_template_spec(obj)), format_labels(_spec(obj).get("selector"))]


def job_status(obj: Obj) -> str:
    """Complete / Failed / Terminating / Suspended / FailureTarget / Running (newest upstream's STATUS)."""
    conditions = _status(obj).get("conditions") or []
    for kind in ("Complete", "Failed"):
        if _condition_true(conditions, kind):
            return kind
    if metadata_of(obj).get("deletionTimestamp"):
        return "Terminating"
    for kind in ("Suspended", "FailureTarget"):
        if _condition_true(conditions, kind):
            return kind
    return "Running"


def _job_completions(obj: Obj) -> str:
    spec, succeeded = _spec(obj), _status(obj).get("succeeded", 0)
    if spec.get("completions") is not None:
        return f"{succeeded}/{spec['completions']}"
    parallelism = spec.get("parallelism") or 0
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    duration = [status["startTime"], status.get("completionTime")] if status.get("startTime") else None
    return [_job_completions(obj), duration, created(obj), *_containers(_template_spec(obj)),
            format_selector(_spec(obj).get("selector")), job_status(obj)]


def _cronjob_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return [spec.get("schedule"), _bool_text(spec.get("suspend")), len(_status(obj).get("active") or []),
            _status(obj).get("lastScheduleTime"), created(obj),
            *_containers((job_spec.get("template") or {}).get("spec") or {}), format_selector(job_spec.get("selector"))]


# -- network ---------------------------------------------------------------------------------------
def _load_balancer(obj: Obj) -> str:
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(sorted({i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")}))


def _external_ip(obj: Obj) -> str:
    """EXTERNAL-IP of a Service by type (getServiceExternalIP, unclipped as in the server's wide Table)."""
    spec = _spec(obj)
    external = spec.get("externalIPs") or []
    kind = spec.get("type")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or NONE
    if kind == "LoadBalancer":
        balancer = _load_balancer(obj)
        return ",".join([*([balancer] if balancer else []), *external]) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName") or ""
    return UNKNOWN


def _service_ports(ports: list[Obj]) -> str:
    return ",".join(
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or NONE


def _service_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    return [spec.get("type"), _or(spec.get("clusterIP")), _external_ip(obj), _service_ports(spec.get("ports") or []),
            created(obj), format_labels(spec.get("selector"))]


def _listed(items: list[str], total: int) -> str:
    text = ",".join(items)
    return f"{text} + {total - MAX_LISTED_HOSTS} more..." if total > MAX_LISTED_HOSTS else text


def _ingress_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    rules = spec.get("rules") or []
    hosts = [r["host"] for r in rules[:MAX_LISTED_HOSTS] if r.get("host")]
    return [_or(spec.get("ingressClassName")),
            _listed(hosts, len(rules)) if hosts else "*", _load_balancer(obj),
            "80, 443" if spec.get("tls") else "80", created(obj)]


def _endpoints_cells(obj: Obj) -> list[Any]:
    subsets = obj.get("subsets") or []
    addresses = [f"[{a.get('ip')}]:{p.get('port')}" if ":" in (a.get("ip") or "") else f"{a.get('ip')}:{p.get('port')}"
                 for subset in subsets for p in subset.get("ports") or [] for a in subset.get("addresses") or []]
    return [_listed(addresses[:MAX_LISTED_HOSTS], len(addresses)) if subsets else NONE, created(obj)]


def _networkpolicy_cells(obj: Obj) -> list[Any]:
    return [format_selector(_spec(obj).get("podSelector") or {}), created(obj)]


def _ingressclass_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    parameters = spec.get("parameters")
    if parameters:
        group = f".{parameters['apiGroup']}" if parameters.get("apiGroup") else ""
        parameters = f"{parameters.get('kind')}{group}/{parameters.get('name')}"
    return [spec.get("controller", ""), _or(parameters), created(obj)]


# -- nodes, namespaces, config ---------------------------------------------------------------------
def node_status(obj: Obj) -> str:
    """Ready / NotReady / Unknown (the kubelet never reported), + `,SchedulingDisabled` when cordoned."""
    ready = _condition(_status(obj).get("conditions"), "Ready")
    status = "Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"
    return f"{status},SchedulingDisabled" if _spec(obj).get("unschedulable") else status


def _node_roles(obj: Obj) -> str:
    roles = set()
    for key, value in (metadata_of(obj).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or NONE


def _node_address(obj: Obj, kind: str) -> str:
    return next((a.get("address") for a in _status(obj).get("addresses") or [] if a.get("type") == kind), NONE)


def _node_cells(obj: Obj) -> list[Any]:
    info = _status(obj).get("nodeInfo") or {}
    return [node_status(obj), _node_roles(obj), created(obj), info.get("kubeletVersion", ""),
            _node_address(obj, "InternalIP"), _node_address(obj, "ExternalIP"), _or(info.get("osImage"), UNKNOWN),
            _or(info.get("kernelVersion"), UNKNOWN), _or(info.get("containerRuntimeVersion"), UNKNOWN)]


def _namespace_cells(obj: Obj) -> list[Any]:
    return [_status(obj).get("phase", ""), created(obj)]


def _count_data(obj: Obj) -> list[Any]:
    return [len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), created(obj)]


def _secret_cells(obj: Obj) -> list[Any]:
    return [obj.get("type", ""), len(obj.get("data") or {}), created(obj)]


def _event_time(obj: Obj, field: str) -> str | None:
    return obj.get(field) or None


def _event_cells(obj: Obj) -> list[Any]:
    involved, source = obj.get("involvedObject") or {}, obj.get("source") or {}
    first = _event_time(obj, "firstTimestamp") or _event_time(obj, "eventTime")
    last = _event_time(obj, "lastTimestamp") or first
    count = obj.get("count") or 1
    if obj.get("series"):
        last, count = obj["series"].get("lastObservedTime"), obj["series"].get("count", count)
    kind = (involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    origin = ", ".join([source.get("component", ""), *([source["host"]] if source.get("host") else [])])
    return [last, obj.get("type", ""), obj.get("reason", ""), target, involved.get("fieldPath", ""), origin,
            (obj.get("message") or "").strip(), first, count]


# -- storage ---------------------------------------------------------------------------------------
_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))


def _access_modes(modes: list[str] | None) -> str:
    return ",".join(short for mode, short in _ACCESS_MODES if mode in (modes or []))


def _storage_class(obj: Obj) -> str:
    annotations = metadata_of(obj).get("annotations") or {}
    return annotations.get("volume.beta.kubernetes.io/storage-class", _spec(obj).get("storageClassName") or "")


def _phase_or_terminating(obj: Obj) -> str:
    return "Terminating" if metadata_of(obj).get("deletionTimestamp") else _status(obj).get("phase", "")


def _pvc_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    bound = bool(spec.get("volumeName"))
    capacity = ((_status(obj).get("capacity") or {}).get("storage") or "0") if bound else ""
    return [_phase_or_terminating(obj), spec.get("volumeName", ""), capacity,
            _access_modes(_status(obj).get("accessModes")) if bound else "", _storage_class(obj), created(obj),
            spec.get("volumeMode") or "<unset>"]


def _pv_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    claim = spec.get("claimRef")
    return [(spec.get("capacity") or {}).get("storage") or "0", _access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), _phase_or_terminating(obj),
            f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else "", _storage_class(obj),
            _status(obj).get("reason", ""), created(obj), spec.get("volumeMode") or "<unset>"]


def _is_default_class(obj: Obj) -> bool:
    annotations = metadata_of(obj).get("annotations") or {}
    return "true" in (annotations.get("storageclass.kubernetes.io/is-default-class"),
                      annotations.get("storageclass.beta.kubernetes.io/is-default-class"))


def _storageclass_cells(obj: Obj) -> list[Any]:
    return [obj.get("provisioner", ""), obj.get("reclaimPolicy") or "Delete",
            obj.get("volumeBindingMode") or "Immediate", bool(obj.get("allowVolumeExpansion")), created(obj)]


# -- access and policy -----------------------------------------------------------------------------
def _binding_cells(obj: Obj) -> list[Any]:
    role = obj.get("roleRef") or {}
    subjects = obj.get("subjects") or []

    def names(kind: str) -> str:
        return ", ".join(s.get("name", "") if kind != "ServiceAccount" else f"{s.get('namespace', '')}/{s.get('name')}"
                         for s in subjects if s.get("kind") == kind)
    return [f"{role.get('kind')}/{role.get('name')}", created(obj), names("User"), names("Group"),
            names("ServiceAccount")]


_METRIC_KEYS = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
                "Object": "object", "External": "external"}
HPA_METRIC_SPECS = "autoscaling.alpha.kubernetes.io/metrics"  # autoscaling/v1 keeps the other metrics here
HPA_METRIC_STATUSES = "autoscaling.alpha.kubernetes.io/current-metrics"


# autoscaling/v1 annotation fields (v2beta1 names) → autoscaling/v2 fields, as (v2, v1, default): the API server's
# conversion gives a quantity the v1 form always carries (not a pointer there) as "0" when it is missing.
_V1_TARGET_FIELDS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "resource": (("averageUtilization", "targetAverageUtilization", None),
                 ("averageValue", "targetAverageValue", None)),
    "pods": (("averageValue", "targetAverageValue", "0"),),
    "object": (("value", "targetValue", "0"), ("averageValue", "averageValue", None)),
    "external": (("value", "targetValue", None), ("averageValue", "targetAverageValue", None)),
}
_V1_CURRENT_FIELDS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "resource": (("averageUtilization", "currentAverageUtilization", None),
                 ("averageValue", "currentAverageValue", "0")),
    "pods": (("averageValue", "currentAverageValue", "0"),),
    "object": (("value", "currentValue", "0"), ("averageValue", "averageValue", None)),
    "external": (("value", "currentValue", "0"), ("averageValue", "currentAverageValue", None)),
}


def _v1_metric(metric: Obj, *, status: bool) -> Obj:
    """A metric spec (or status) of the autoscaling/v1 annotations in autoscaling/v2 form: its `target` (`current`)."""
    key = _METRIC_KEYS.get(metric.get("type", ""), "")
    fields = (_V1_CURRENT_FIELDS if status else _V1_TARGET_FIELDS).get(
        "resource" if key == "containerResource" else key)
    if fields is None or metric.get(key) is None:
        return {"type": metric.get("type")}
    source = metric[key]
    values = {v2: source.get(v1, default) for v2, v1, default in fields}
    return {"type": metric.get("type"), key: {"current" if status else "target": values}}


def _v1_annotation(obj: Obj, annotation: str) -> list[Obj] | None:
    """The metrics an autoscaling/v1 HPA keeps in an annotation; None when it has none (or not a JSON list: the
    API server ignores such an annotation too)."""
    try:
        decoded = json.loads((metadata_of(obj).get("annotations") or {})[annotation])
    except (KeyError, TypeError, ValueError):
        return None
    return [m for m in decoded if isinstance(m, dict)] if isinstance(decoded, list) else None


def hpa_metrics(obj: Obj) -> tuple[list[Obj], list[Obj]]:
    """An HPA's metric specs and statuses in autoscaling/v2 form. An autoscaling/v1 object (no `spec.metrics`) is
    read as the API server converts it: the metrics of its annotation, then its CPU target last; the statuses of
    its annotation, or else its current CPU utilization."""
    spec, status = _spec(obj), _status(obj)
    if spec.get("metrics") is not None:
        return spec["metrics"], status.get("currentMetrics") or []
    specs = [_v1_metric(m, status=False) for m in _v1_annotation(obj, HPA_METRIC_SPECS) or []]
    if spec.get("targetCPUUtilizationPercentage") is not None:
        specs.append({"type": "Resource", "resource": {"name": "cpu", "target": {
            "averageUtilization": spec["targetCPUUtilizationPercentage"]}}})
    statuses = _v1_annotation(obj, HPA_METRIC_STATUSES)
    if statuses is not None:
        return specs, [_v1_metric(m, status=True) for m in statuses]
    current = status.get("currentCPUUtilizationPercentage")
    return specs, [] if current is None else [{"type": "Resource", "resource": {"name": "cpu", "current": {
        "averageUtilization": current}}}]


def _quantity(value: Any) -> str:
    """Quantity.String(): the API server's canonical text, `<nil>` for a missing one."""
    return "<nil>" if value is None else str(value)


def _metric_text(spec: Obj, status: Obj) -> str:
    """One metric of the TARGETS cell, `current/target` (formatHPAMetrics); the status is the one at the same
    index, whatever its type (as upstream pairs them)."""
    key = _METRIC_KEYS.get(spec.get("type", ""))
    if key is None:
        return "<unknown type>"
    target = (spec.get(key) or {}).get("target") or {}
    reported = status.get(key)
    current = (reported or {}).get("current") or {}
    if key in ("external", "object"):
        if target.get("averageValue") is not None:
            value = current.get("averageValue")
            return f"{UNKNOWN if value is None else value}/{target['averageValue']} (avg)"
        return f"{UNKNOWN if reported is None else _quantity(current.get('value'))}/{_quantity(target.get('value'))}"
    if key == "pods":
        return f"{UNKNOWN if reported is None else _quantity(current.get('averageValue'))}/" \
               f"{_quantity(target.get('averageValue'))}"
    if target.get("averageValue") is not None:
        return f"{UNKNOWN if reported is None else _quantity(current.get('averageValue'))}/{target['averageValue']}"
    utilization = current.get("averageUtilization")
    goal = target.get("averageUtilization")
    return f"{UNKNOWN if utilization is None else f'{utilization}%'}/{'<auto>' if goal is None else f'{goal}%'}"


def hpa_targets(obj: Obj) -> str:
    """The TARGETS cell: the first `MAX_LISTED_METRICS` metrics, then `+ N more...`; `<none>` without metrics."""
    specs, statuses = hpa_metrics(obj)
    if not specs:
        return NONE
    texts = [_metric_text(spec, statuses[i] if i < len(statuses) else {}) for i, spec in enumerate(specs)]
    listed = ", ".join(texts[:MAX_LISTED_METRICS])
    return f"{listed} + {len(texts) - MAX_LISTED_METRICS} more..." if len(texts) > MAX_LISTED_METRICS else listed


def _hpa_cells(obj: Obj) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    target = spec.get("scaleTargetRef") or {}
    minimum = spec.get("minReplicas")
    return [f"{target.get('kind')}/{target.get('name')}", hpa_targets(obj),
            "<unset>" if minimum is None else str(minimum), spec.get("maxReplicas", 0),
            status.get("currentReplicas", 0), created(obj)]


def _quota_cells(obj: Obj) -> list[Any]:
    status = _status(obj)
    hard, used = status.get("hard") or {}, status.get("used") or {}
    requests, limits = [], []
    for resource in sorted(hard):
        (limits if resource.split(".")[0] == "limits" and "." in resource else requests).append(
            f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [created(obj), ", ".join(requests), ", ".join(limits)]


def _pdb_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    return [str(spec["minAvailable"]) if "minAvailable" in spec else "N/A",
            str(spec["maxUnavailable"]) if "maxUnavailable" in spec else "N/A",
            _status(obj).get("disruptionsAllowed", 0), created(obj)]


# -- cluster administration (kinds of `API_TABLES`) ------------------------------------------------
def _listed_or_unset(items: list[str]) -> str:
    """listWithMoreString: `MAX_LISTED_HOSTS` items, then `+ N more...`; `<unset>` when there are none."""
    return _listed(items[:MAX_LISTED_HOSTS], len(items)) if items else "<unset>"


def _endpointslice_cells(obj: Obj) -> list[Any]:
    ports = [str(p["port"]) if p.get("port") is not None else p.get("name") or "*" for p in obj.get("ports") or []]
    addresses = [a for endpoint in obj.get("endpoints") or [] for a in endpoint.get("addresses") or []]
    return [obj.get("addressType", ""), _listed_or_unset(ports), _listed_or_unset(addresses), created(obj)]


def csr_condition(obj: Obj) -> str:
    """A CertificateSigningRequest's CONDITION: Denied, Approved or Pending, then `,Failed` and `,Issued`."""
    kinds = {c.get("type") for c in _status(obj).get("conditions") or []}
    condition = "Denied" if "Denied" in kinds else "Approved" if "Approved" in kinds else "Pending"
    return condition + (",Failed" if "Failed" in kinds else "") + (",Issued" if _status(obj).get("certificate") else "")


def _controller_name(obj: Obj) -> str:
    """The CONTROLLER of a ControllerRevision: `kind.group/name` of its controller owner (`kind/name` in the core
    group), `<none>` without one."""
    owner = next((o for o in metadata_of(obj).get("ownerReferences") or [] if o.get("controller")), None)
    if owner is None:
        return NONE
    group = owner.get("apiVersion", "").rpartition("/")[0]
    kind = f"{owner.get('kind', '')}.{group}" if group else owner.get("kind", "")
    return f"{kind.lower()}/{owner.get('name')}" if kind else owner.get("name", "")


def _apiservice_available(obj: Obj) -> str:
    """An APIService's AVAILABLE: its Available condition's status, with the reason when it is not True."""
    condition = _condition(_status(obj).get("conditions"), "Available")
    if condition is None:
        return "Unknown"
    status = condition.get("status", "")
    return f"{status} ({condition['reason']})" if status != "True" and condition.get("reason") else status


def _apiservice_cells(obj: Obj) -> list[Any]:
    service = _spec(obj).get("service")
    return [f"{service.get('namespace', '')}/{service.get('name', '')}" if service else "Local",
            _apiservice_available(obj), created(obj)]


def _component_cells(obj: Obj) -> list[Any]:
    healthy = _condition(obj.get("conditions"), "Healthy")
    if healthy is None:
        return ["Unknown", "", ""]
    return ["Healthy" if healthy.get("status") == "True" else "Unhealthy", healthy.get("message", ""),
            healthy.get("error", "")]


def _csidriver_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    return [spec.get("attachRequired") is not False, bool(spec.get("podInfoOnMount")),
            ",".join(spec.get("volumeLifecycleModes") or []) or NONE, created(obj)]


def _volumeattachment_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    return [spec.get("attacher", ""), (spec.get("source") or {}).get("persistentVolumeName") or "",
            spec.get("nodeName", ""), bool(_status(obj).get("attached")), created(obj)]


def _flowschema_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    dangling = _condition(_status(obj).get("conditions"), "Dangling")
    return [(spec.get("priorityLevelConfiguration") or {}).get("name", ""), spec.get("matchingPrecedence", 0),
            _or((spec.get("distinguisherMethod") or {}).get("type")), created(obj),
            "?" if dangling is None else dangling.get("status", "")]


def _prioritylevel_cells(obj: Obj) -> list[Any]:
    """Type, concurrency shares (`assuredConcurrencyShares` up to v1beta2, `nominalConcurrencyShares` from v1beta3),
    and the queuing of a Limited priority level (`<none>` where it has none)."""
    spec = _spec(obj)
    limited = spec.get("limited")
    if limited is None:
        return [spec.get("type", ""), NONE, NONE, NONE, NONE, created(obj)]
    shares = limited.get("nominalConcurrencyShares", limited.get("assuredConcurrencyShares", 0))
    queuing = (limited.get("limitResponse") or {}).get("queuing")
    queues = [NONE] * 3 if queuing is None else [queuing.get(f, 0) for f in ("queues", "handSize", "queueLengthLimit")]
    return [spec.get("type", ""), shares, *queues, created(obj)]


def _podsecuritypolicy_cells(obj: Obj) -> list[Any]:
    spec = _spec(obj)
    rules = [(spec.get(field) or {}).get("rule", "") for field in ("seLinux", "runAsUser", "fsGroup",
                                                                   "supplementalGroups")]
    return [str(bool(spec.get("privileged"))).lower(), ",".join(spec.get("allowedCapabilities") or []), *rules,
            bool(spec.get("readOnlyRootFilesystem")), ",".join(spec.get("volumes") or [])]


def _podtemplate_cells(obj: Obj) -> list[Any]:
    template = obj.get("template") or {}
    return [*_containers(template.get("spec") or {}), format_labels((template.get("metadata") or {}).get("labels"))]


AGE = Column("Age", "age")
CREATED_AT = Column("Created At", "age", id="createdAt")
CONTAINERS, IMAGES, SELECTOR = wide("Containers"), wide("Images"), wide("Selector")
_created_only = TableSpec((CREATED_AT,), lambda o: [created(o)])
_replica_columns = (Column("Desired", "number"), Column("Current", "number"), Column("Ready", "number"), AGE,
                    CONTAINERS, IMAGES, SELECTOR)
_binding_spec = TableSpec((Column("Role"), AGE, wide("Users"), wide("Groups"), wide("ServiceAccounts")),
                          _binding_cells)
_phase = lambda o: _phase_or_terminating(o) or "Unknown"  # noqa: E731
_webhooks_spec = TableSpec((Column("Webhooks", "number"), AGE), lambda o: [len(o.get("webhooks") or []), created(o)])


def _prioritylevel_spec(shares_header: str) -> TableSpec:
    """PriorityLevelConfigurations: the shares column is AssuredConcurrencyShares up to v1beta2, then
    NominalConcurrencyShares (the cells read whichever field the object has)."""
    return TableSpec((Column("Type"), Column(shares_header, "number", id="concurrencyShares"),
                      Column("Queues", "number"), Column("HandSize", "number", id="handSize"),
                      Column("QueueLengthLimit", "number", id="queueLengthLimit"), AGE), _prioritylevel_cells)


TABLES: dict[str, TableSpec] = {
    "pods": TableSpec((Column("Ready", "ratio"), Column("Status", "status"), Column("Restarts", "number"), AGE,
                       wide("IP", id_="ip"), wide("Node"), wide("Nominated Node"), wide("Readiness Gates", "ratio")),
                      _pod_cells, pod_status, summary=pod_facts),
    "deployments": TableSpec((Column("Ready", "ratio"), Column("Up-to-date", "number", id="upToDate"),
                              Column("Available", "number"), AGE, CONTAINERS, IMAGES, SELECTOR),
                             _deployment_cells, _workload_status, summary=replicas_ready),
    "statefulsets": TableSpec((Column("Ready", "ratio"), AGE, CONTAINERS, IMAGES), _statefulset_cells,
                              _workload_status, summary=replicas_ready),
    "daemonsets": TableSpec((Column("Desired", "number"), Column("Current", "number"),
                             Column("Ready", "number"), Column("Up-to-date", "number", id="upToDate"),
                             Column("Available", "number"), Column("Node Selector"), AGE, CONTAINERS, IMAGES,
                             SELECTOR), _daemonset_cells, _daemonset_status, summary=daemonset_ready),
    "replicasets": TableSpec(_replica_columns, _replicaset_cells, summary=replicas_ready),
    "jobs": TableSpec((Column("Completions", "ratio"), Column("Duration", "duration"), AGE, CONTAINERS, IMAGES,
                       SELECTOR, Column("Status", "status")), _job_cells, job_status, summary=job_status),
    "cronjobs": TableSpec((Column("Schedule"), Column("Suspend"), Column("Active", "number"),
                           Column("Last Schedule", "age"), AGE, CONTAINERS, IMAGES, SELECTOR), _cronjob_cells,
                          summary=_cronjob_summary),
    "services": TableSpec((Column("Type"), Column("Cluster-IP", id="clusterIP"),
                           Column("External-IP", id="externalIP"), Column("Port(s)", id="ports"), AGE, SELECTOR),
                          _service_cells),
    "ingresses": TableSpec((Column("Class"), Column("Hosts"), Column("Address"), Column("Ports"), AGE),
                           _ingress_cells),
    "endpoints": TableSpec((Column("Endpoints"), AGE), _endpoints_cells),
    "networkpolicies": TableSpec((Column("Pod-Selector", id="podSelector"), AGE), _networkpolicy_cells),
    "configmaps": TableSpec((Column("Data", "number"), AGE), _count_data),
    "secrets": TableSpec((Column("Type"), Column("Data", "number"), AGE), _secret_cells),
    "serviceaccounts": TableSpec((Column("Secrets", "number"), AGE),
                                 lambda o: [len(o.get("secrets") or []), created(o)]),
    "nodes": TableSpec((Column("Status", "status"), Column("Roles"), AGE, Column("Version"),
                        wide("Internal-IP", id_="internalIP"), wide("External-IP", id_="externalIP"),
                        wide("OS-Image", id_="osImage"), wide("Kernel-Version"), wide("Container-Runtime")),
                       _node_cells, node_status, summary=node_facts),
    "namespaces": TableSpec((Column("Status", "status"), AGE), _namespace_cells,
                            lambda o: _status(o).get("phase") or "Unknown"),
    "events": TableSpec((Column("Last Seen", "age"), Column("Type", "status"), Column("Reason"), Column("Object"),
                         wide("Subobject"), wide("Source"), Column("Message"), wide("First Seen", "age"),
                         wide("Count", "number")), _event_cells),
    "persistentvolumeclaims": TableSpec((Column("Status", "status"), Column("Volume"), Column("Capacity", "quantity"),
                                         Column("Access Modes"), Column("StorageClass", id="storageClass"), AGE,
                                         wide("VolumeMode", id_="volumeMode")), _pvc_cells, _phase),
    "persistentvolumes": TableSpec((Column("Capacity", "quantity"), Column("Access Modes"),
                                    Column("Reclaim Policy"), Column("Status", "status"), Column("Claim"),
                                    Column("StorageClass", id="storageClass"), Column("Reason"), AGE,
                                    wide("VolumeMode", id_="volumeMode")), _pv_cells, _phase),
    "storageclasses": TableSpec((Column("Provisioner"), Column("ReclaimPolicy", id="reclaimPolicy"),
                                 Column("VolumeBindingMode", id="volumeBindingMode"),
                                 Column("AllowVolumeExpansion", id="allowVolumeExpansion"), AGE),
                                _storageclass_cells,
                                name_cell=lambda o: metadata_of(o).get("name", "") + (
                                    " (default)" if _is_default_class(o) else "")),
    "roles": _created_only,
    "clusterroles": _created_only,
    "limitranges": _created_only,
    "customresourcedefinitions": _created_only,
    "rolebindings": _binding_spec,
    "clusterrolebindings": _binding_spec,
    "horizontalpodautoscalers": TableSpec((Column("Reference"), Column("Targets"), Column("MinPods", id="minPods"),
                                           Column("MaxPods", "number", id="maxPods"), Column("Replicas", "number"),
                                           AGE), _hpa_cells),
    "resourcequotas": TableSpec((AGE, Column("Request"), Column("Limit")), _quota_cells),
}
# Kinds of the Kubernetes API that the registry does not list among its built-ins, by (group, plural).
API_TABLES: dict[tuple[str, str], TableSpec] = {
    ("", "replicationcontrollers"): TableSpec(_replica_columns, _replicationcontroller_cells),
    ("networking.k8s.io", "ingressclasses"): TableSpec((Column("Controller"), Column("Parameters"), AGE),
                                                       _ingressclass_cells),
    ("policy", "poddisruptionbudgets"): TableSpec((Column("Min Available"), Column("Max Unavailable"),
                                                   Column("Allowed Disruptions", "number"), AGE), _pdb_cells),
    ("scheduling.k8s.io", "priorityclasses"): TableSpec(
        (Column("Value", "number"), Column("Global-Default", id="globalDefault"), AGE),
        lambda o: [o.get("value", 0), bool(o.get("globalDefault")), created(o)]),
    ("coordination.k8s.io", "leases"): TableSpec((Column("Holder"), AGE),
                                                 lambda o: [_spec(o).get("holderIdentity", ""), created(o)]),
    ("", "componentstatuses"): TableSpec((Column("Status", "status"), Column("Message"), Column("Error")),
                                         _component_cells, lambda o: _component_cells(o)[0]),
    ("", "podtemplates"): TableSpec((Column("Containers"), Column("Images"), Column("Pod Labels")),
                                    _podtemplate_cells),
    ("apps", "controllerrevisions"): TableSpec((Column("Controller"), Column("Revision", "number"), AGE),
                                               lambda o: [_controller_name(o), o.get("revision", 0), created(o)]),
    ("discovery.k8s.io", "endpointslices"): TableSpec(
        (Column("AddressType", id="addressType"), Column("Ports"), Column("Endpoints"), AGE), _endpointslice_cells),
    ("certificates.k8s.io", "certificatesigningrequests"): TableSpec(
        (AGE, Column("SignerName", id="signerName"), Column("Requestor"), Column("Condition", "status")),
        lambda o: [created(o), _or(_spec(o).get("signerName")), _spec(o).get("username", ""), csr_condition(o)],
        csr_condition),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): _webhooks_spec,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): _webhooks_spec,
    ("storage.k8s.io", "csidrivers"): TableSpec(
        (Column("AttachRequired", "boolean", id="attachRequired"), Column("PodInfoOnMount", "boolean",
                                                                           id="podInfoOnMount"),
         Column("Modes"), AGE), _csidriver_cells),
    ("storage.k8s.io", "csinodes"): TableSpec(
        (Column("Drivers", "number"), AGE), lambda o: [len(_spec(o).get("drivers") or []), created(o)]),
    ("storage.k8s.io", "volumeattachments"): TableSpec(
        (Column("Attacher"), Column("PV", id="pv"), Column("Node"), Column("Attached", "boolean"), AGE),
        _volumeattachment_cells),
    ("node.k8s.io", "runtimeclasses"): TableSpec((Column("Handler"), AGE),
                                                 lambda o: [o.get("handler", ""), created(o)]),
    ("apiregistration.k8s.io", "apiservices"): TableSpec(
        (Column("Service"), Column("Available", "status"), AGE), _apiservice_cells, _apiservice_available),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): TableSpec(
        (Column("PriorityLevel", id="priorityLevel"), Column("MatchingPrecedence", "number", id="matchingPrecedence"),
         Column("DistinguisherMethod", id="distinguisherMethod"), AGE, Column("MissingPL", id="missingPL")),
        _flowschema_cells),
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): _prioritylevel_spec("AssuredConcurrencyShares"),
    ("policy", "podsecuritypolicies"): TableSpec(
        (Column("Priv"), Column("Caps"), Column("SELinux", id="seLinux"), Column("RunAsUser", id="runAsUser"),
         Column("FsGroup", id="fsGroup"), Column("SupGroup", id="supGroup"),
         Column("ReadOnlyRootFs", id="readOnlyRootFs"), Column("Volumes")), _podsecuritypolicy_cells),
}
# Kinds whose columns changed in a later version of their group, by (group, plural, version).
API_VERSION_TABLES: dict[tuple[str, str, str], TableSpec] = {
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", version):
        _prioritylevel_spec("NominalConcurrencyShares") for version in ("v1beta3", "v1")
}
GENERIC = TableSpec((AGE,), lambda o: [created(o)])


def table_spec(kind: ResourceKind) -> TableSpec:
    """The renderer for a kind: a custom resource's printer columns (`kube/crd_tables.py`, set by discovery),
    built-ins (in their own group) by plural, other Kubernetes API kinds by group, plural (and version where the
    columns changed with it); others get the generic one."""
    if kind.table is not None:
        return kind.table
    if kind.builtin:
        return TABLES.get(kind.plural, GENERIC)
    return API_VERSION_TABLES.get((kind.group, kind.plural, kind.version)) or API_TABLES.get(
        (kind.group, kind.plural), GENERIC)


def columns_of(spec: TableSpec, *, namespaced: bool) -> list[dict[str, Any]]:
    """The column list of a table response (name and namespace first): id, name, type, priority, and format and
    description where a custom resource's column declares them."""
    leading = [Column("Name")] + ([Column("Namespace")] if namespaced else [])
    return [{key: value for key, value in dataclasses.asdict(c).items()
             if value != "" or key not in ("format", "description")} for c in (*leading, *spec.columns)]


def row_of(spec: TableSpec, obj: Obj, *, namespaced: bool) -> dict[str, Any]:
    """One table row for an object; `cells` line up with `columns_of`."""
    meta = metadata_of(obj)
    name = spec.name_cell(obj) if spec.name_cell else meta.get("name")
    leading = [name] + ([meta.get("namespace")] if namespaced else [])
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


# Between the parts of a row's search text: no needle spans two parts (a needle holding it matches nothing).
SEARCH_TEXT_SEPARATOR = "\0"


def search_text(row: dict[str, Any]) -> str:
    """What the `q` filter searches in a row, lower case: the name, the namespace and each `key=value` label,
    joined by `SEARCH_TEXT_SEPARATOR` (made once per cached object: a substring test per row is then all a filter
    over 100k rows costs)."""
    labels = (f"{key}={value}" for key, value in row["labels"].items())
    return SEARCH_TEXT_SEPARATOR.join((row.get("name") or "", row.get("namespace") or "", *labels)).lower()


def text_matches(text: str, needle: str) -> bool:
    """The `q` filter: `needle` (lower case) in the name, the namespace or a `key=value` label of the row whose
    `search_text` is `text`."""
    return needle in text and SEARCH_TEXT_SEPARATOR not in needle


def _epoch(timestamp: str | None) -> float | None:
    if not timestamp:
        return None
    try:
        return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):  # a custom resource's `<invalid>` date cell
        return None


def _ratio(cell: Any) -> tuple[Decimal, int]:
    """`3/4` → (0.75, 3); anything else sorts first."""
    try:
        done, of = str(cell).split(" ", 1)[0].split("/", 1)
        return (Decimal(done) / Decimal(of) if int(of) else Decimal(0)), int(done)
    except (ValueError, ArithmeticError):
        return Decimal(-1), -1


def _duration_seconds(cell: Any) -> float:
    start, end = (cell or [None, None])[:2]
    begin = _epoch(start)
    if begin is None:
        return -1.0
    return (_epoch(end) or dt.datetime.now(dt.UTC).timestamp()) - begin


# How each column type orders its cells: every key is a (missing?, value) pair so empty cells sort first.
_SORT_KEYS: dict[str, Callable[[Any], Any]] = {
    "number": lambda cell: cell if isinstance(cell, int | float) else -1,
    "boolean": lambda cell: -1 if cell is None else int(cell),
    "quantity": lambda cell: quantity_or_zero(cell) if cell not in (None, "") else Decimal(-1),
    "ratio": _ratio,
    # Ages: a later timestamp is a smaller age, so ascending age is descending time.
    "age": lambda cell: -(_epoch(cell) or float("inf")),
    "duration": _duration_seconds,
    "text": lambda cell: str(cell if cell is not None else "").lower(),
    "status": lambda cell: str(cell if cell is not None else "").lower(),
}


def sortable_columns(spec: TableSpec, *, namespaced: bool) -> list[str]:
    """The ids `sort` accepts for a kind: every column's, plus `status` where the kind has a row status."""
    ids = [c["id"] for c in columns_of(spec, namespaced=namespaced)]
    return ids + (["status"] if spec.status and "status" not in ids else [])


def unknown_sort(spec: TableSpec, *, namespaced: bool, metric_sorts: Sequence[str] = ()) -> ApiError:
    """The 40002 of a `sort` that is none of the ids a kind's lists accept (its columns', `metric_sorts`)."""
    allowed = ", ".join([*sortable_columns(spec, namespaced=namespaced), *metric_sorts])
    return ApiError(ErrorCode.PARAM_INVALID, f"sort must be one of {allowed}, optionally with '-'")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValueOrder:
    """An order of rows by values kept beside them rather than in their cells (`sort=metrics.cpu`: the metrics
    sampler's current usage), for cached and live lists alike: rows with a value by it, ties by namespace then
    name, '-' descending (ties too, as every column's); rows without a value last in both directions (among
    themselves by namespace and name). `values` is called only when the order is computed: a cache memoises it per
    its version and `snapshot` (the sampler's round)."""

    sort: str
    snapshot: object
    values: Callable[[], Mapping[tuple[str, str], float]]

    def row_key(self) -> tuple[Callable[[dict[str, Any]], Any], bool]:
        """Key function over rows (keyed by their namespace or "" and name) and `reverse` flag."""
        descending = self.sort.startswith("-")
        values = self.values()
        # Sorted with reverse=descending: the rows with a value first, either way.
        with_value, without_value = (1, 0) if descending else (0, 1)

        def key(row: dict[str, Any]) -> tuple[int, float, str, str]:
            namespace, name = row.get("namespace") or "", row.get("name") or ""
            value = values.get((namespace, name))
            return (without_value, 0.0, namespace, name) if value is None else (with_value, value, namespace, name)
        return key, descending


def moves_with_the_clock(sort: str | None, spec: TableSpec, *, namespaced: bool) -> bool:
    """Whether the order of `sort` changes as time passes while no row changes (a `duration` column: a running
    job's grows), so that an order computed earlier cannot be brought up to date, only sorted again."""
    field = (sort or "name").lstrip("-")
    return any(column["id"] == field and column["type"] == "duration"
               for column in columns_of(spec, namespaced=namespaced))


def row_order(sort: str | None, spec: TableSpec, *, namespaced: bool,
              metric_sorts: Sequence[str] = ()) -> tuple[Callable[[dict[str, Any]], Any], bool]:
    """Key function over rows and `reverse` flag for `sort`: any column id of the kind (see `columns_of`),
    ordered by the column's type (numbers, quantities, ratios, ages, durations, text), ties by name then namespace
    (so no two rows of a list have the same key: caches move changed rows by binary search);
    `status` falls back to the row's status and `age` to the creation time where the kind has no such
    column; '-' descends. 40002 for an unknown column (listing the columns and `metric_sorts`, the `metrics.*`
    ids a `ValueOrder` sorts by). Cached and live lists both sort rows with this."""
    sort = sort or "name"
    field, descending = sort.lstrip("-"), sort.startswith("-")
    columns = columns_of(spec, namespaced=namespaced)
    index = next((i for i, c in enumerate(columns) if c["id"] == field), None)
    if field in ("name", "namespace"):
        first = "namespace" if field == "namespace" else "name"
        second = "name" if first == "namespace" else "namespace"
        return (lambda row: (row.get(first) or "", row.get(second) or "")), descending
    if index is None and field == "age":
        return (lambda row: (_SORT_KEYS["age"](row.get("createdAt")), row.get("name") or "",
                             row.get("namespace") or "")), descending
    if index is None and field == "status" and spec.status:
        return (lambda row: (str(row.get("status") or "").lower(), row.get("name") or "",
                             row.get("namespace") or "")), descending
    if index is None:
        raise unknown_sort(spec, namespaced=namespaced, metric_sorts=metric_sorts)
    cell_key = _SORT_KEYS.get(columns[index]["type"], _SORT_KEYS["text"])

    def key(row: dict[str, Any]) -> Any:
        cells = row.get("cells") or []
        return (cell_key(cells[index] if index < len(cells) else None), row.get("name") or "",
                row.get("namespace") or "")
    return key, descending
