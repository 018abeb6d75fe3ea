"""Node drain (`kubectl drain`): cordon the node, then evict each of its pods through the Eviction API.

Which pods, as kubectl drain decides (its filters, in its order):
- mirror pods (annotation `kubernetes.io/config.mirror`: the kubelet runs them from files) are skipped;
- DaemonSet pods are skipped with `ignoreDaemonSets` (the default here) and block the drain without it (the
  DaemonSet controller would put them back at once, cordon or not);
- pods that have finished (Succeeded, Failed) are evicted whatever else holds;
- pods with an `emptyDir` volume block unless `deleteEmptyDirData` (their data is lost);
- pods no controller manages block unless `force` (nothing recreates them).
A drain with blocking pods is refused before anything changes (kubectl cordons first; we do not).

Evictions go to the `pods/eviction` subresource at the apiVersion discovery names for it (policy/v1beta1 on
1.20, policy/v1 from 1.22), so the API server applies the PodDisruptionBudgets. An eviction the budget refuses
(429) is retried with a doubling delay (`EVICTION_RETRY_FIRST_S` .. `EVICTION_RETRY_MAX_S`) until the drain's
timeout and then reported with the API server's words: never forced, never turned into a delete. After an
eviction is accepted the drain waits until the pod is gone (polled every `DELETION_POLL_S`), as kubectl does.

The dry run lists the same plan without changing anything, and marks the pods a budget would hold back now:
of the pods one budget covers, those beyond its `disruptionsAllowed` (in eviction order).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kubevision.kube.clusters import Cluster
from kubevision.kube.errors import KubeError
from kubevision.kube.registry import ResourceKind
from kubevision.kube.selectors import Predicate, parse_label_selector

Obj = dict[str, Any]

DEFAULT_DRAIN_TIMEOUT_S = 300
MAX_DRAIN_TIMEOUT_S = 3600
MAX_GRACE_PERIOD_S = 86400
# The first wait after a budget refused an eviction; it doubles up to the maximum (kubectl waits 5 s each time).
EVICTION_RETRY_FIRST_S = 1.0
EVICTION_RETRY_MAX_S = 5.0
# How often an evicted pod is checked for being gone (kubectl: every second).
DELETION_POLL_S = 1.0
# Evictions in flight at once for one drain.
MAX_CONCURRENT_EVICTIONS = 10
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
FINISHED_PHASES = frozenset({"Succeeded", "Failed"})
TOO_MANY_REQUESTS = 429
NOT_FOUND = 404
FALLBACK_EVICTION_VERSION = "policy/v1beta1"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DrainOptions:
    """kubectl drain's flags."""

    ignore_daemonsets: bool = True
    delete_emptydir_data: bool = False
    force: bool = False  # evict pods no controller manages
    grace_period_seconds: int | None = None  # None: each pod's own terminationGracePeriodSeconds
    timeout_s: int = DEFAULT_DRAIN_TIMEOUT_S
    dry_run: bool = False

    def to_json(self) -> Obj:
        """The options as the API spells them."""
        return {"ignoreDaemonSets": self.ignore_daemonsets, "deleteEmptyDirData": self.delete_emptydir_data,
                "force": self.force, "gracePeriodSeconds": self.grace_period_seconds,
                "timeoutSeconds": self.timeout_s, "dryRun": self.dry_run}


@dataclasses.dataclass(kw_only=True)
class PodDrain:
    """One pod of the node: what the drain does with it and, while it runs, how far it got."""

    namespace: str
    name: str
    uid: str
    action: str  # "evict", "skip" or "block"
    reason: str = ""  # why skipped or blocked; a warning for an eviction (no controller, emptyDir data)
    budget: str | None = None  # the PodDisruptionBudget that holds it back now (dry run)
    status: str = "pending"  # pending, evicting, waiting (refused by a budget), deleting, evicted, failed, timedOut
    message: str = ""
    attempts: int = 0

    def to_json(self) -> Obj:
        """The pod's line of the report."""
        return {"namespace": self.namespace, "name": self.name, "action": self.action, "reason": self.reason,
                "budget": self.budget, "status": self.status, "message": self.message, "attempts": self.attempts}


@dataclasses.dataclass(kw_only=True)
class DrainReport:
    """A drain (or its dry run) of one node."""

    node: str
    options: DrainOptions
    pods: list[PodDrain]
    state: str = "planned"  # planned (dry run), running, done, incomplete
    cordoned: bool = False
    started_at: float = dataclasses.field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def evicting(self) -> list[PodDrain]:
        """The pods the drain evicts."""
        return [pod for pod in self.pods if pod.action == "evict"]

    @property
    def blocking(self) -> list[PodDrain]:
        """The pods that keep the drain from starting."""
        return [pod for pod in self.pods if pod.action == "block"]

    @property
    def left(self) -> list[PodDrain]:
        """Evicted pods that are not gone yet (after the drain: those it could not evict)."""
        return [pod for pod in self.evicting if pod.status != "evicted"]

    def to_json(self) -> Obj:
        """The report as the API answers it."""
        return {"node": self.node, "state": self.state, "dryRun": self.options.dry_run,
                "options": self.options.to_json(), "cordoned": self.cordoned, "startedAt": self.started_at,
                "finishedAt": self.finished_at, "pods": [pod.to_json() for pod in self.pods],
                "counts": {"evict": len(self.evicting), "skip": sum(pod.action == "skip" for pod in self.pods),
                           "block": len(self.blocking),
                           "evicted": sum(pod.status == "evicted" for pod in self.evicting)}}


def _controller(pod: Obj) -> Obj | None:
    return next((ref for ref in (pod.get("metadata") or {}).get("ownerReferences") or [] if ref.get("controller")),
                None)


def _pod_drain(pod: Obj, options: DrainOptions) -> PodDrain:
    """kubectl drain's decision for one pod (see the module docstring)."""
    metadata = pod.get("metadata") or {}
    entry = PodDrain(namespace=metadata.get("namespace", ""), name=metadata.get("name", ""),
                     uid=metadata.get("uid", ""), action="evict")
    controller = _controller(pod)
    if controller is not None and controller.get("kind") == "DaemonSet":
        if options.ignore_daemonsets:
            entry.action, entry.reason = "skip", f"managed by DaemonSet {controller.get('name')}"
        else:
            entry.action, entry.reason = "block", (f"managed by DaemonSet {controller.get('name')} "
                                                   "(set ignoreDaemonSets to leave it)")
        return entry
    if MIRROR_ANNOTATION in (metadata.get("annotations") or {}):
        entry.action, entry.reason = "skip", "mirror pod (the kubelet runs it from a static manifest)"
        return entry
    if (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
        entry.reason = "finished"
        return entry
    warnings = []
    if any("emptyDir" in volume for volume in (pod.get("spec") or {}).get("volumes") or []):
        if not options.delete_emptydir_data:
            entry.action, entry.reason = "block", "uses emptyDir volumes (set deleteEmptyDirData: their data is lost)"
            return entry
        warnings.append("its emptyDir data is deleted")
    if controller is None:
        if not options.force:
            entry.action, entry.reason = "block", "not managed by a controller (set force: nothing recreates it)"
            return entry
        warnings.append("no controller recreates it")
    entry.reason = "; ".join(warnings)
    return entry


def _requirement(expression: Obj) -> str:
    key, operator, values = expression.get("key", ""), expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return f"{key} in ({','.join(values)})"
    if operator == "NotIn":
        return f"{key} notin ({','.join(values)})"
    return key if operator == "Exists" else f"!{key}"


def label_selector_predicate(selector: Obj | None, *, empty_matches_all: bool) -> Callable[[dict[str, str]], bool]:
    """A `LabelSelector` object as a test of labels. An empty one matches every pod for a policy/v1 budget and
    none for a policy/v1beta1 one (the API server's rule for each version)."""
    terms = [f"{key}={value}" for key, value in ((selector or {}).get("matchLabels") or {}).items()]
    terms += [_requirement(expression) for expression in (selector or {}).get("matchExpressions") or []]
    if not terms:
        return lambda labels: empty_matches_all
    predicate: Predicate | None = parse_label_selector(",".join(terms))
    assert predicate is not None
    return predicate


def plan(node: str, pods: list[Obj], budgets: list[Obj], options: DrainOptions, *, budget_version: str) -> DrainReport:
    """The drain of `node`: each pod's decision, and (for the dry run) the budgets that hold evictions back."""
    pods = sorted(pods, key=lambda pod: ((pod.get("metadata") or {}).get("namespace", ""),
                                         (pod.get("metadata") or {}).get("name", "")))
    report = DrainReport(node=node, options=options, pods=[_pod_drain(pod, options) for pod in pods])
    empty_matches_all = budget_version != "v1beta1"
    labels = {(pod.get("metadata") or {}).get("uid"): (pod.get("metadata") or {}).get("labels") or {}
              for pod in pods}
    phases = {(pod.get("metadata") or {}).get("uid"): (pod.get("status") or {}).get("phase") for pod in pods}
    for budget in budgets:
        metadata = budget.get("metadata") or {}
        matches = label_selector_predicate((budget.get("spec") or {}).get("selector"),
                                           empty_matches_all=empty_matches_all)
        allowed = int((budget.get("status") or {}).get("disruptionsAllowed") or 0)
        # Pending and finished pods are evicted whatever a budget says (the API server ignores budgets for them).
        covered = [entry for entry in report.evicting
                   if entry.namespace == metadata.get("namespace") and phases.get(entry.uid) == "Running"
                   and matches(labels.get(entry.uid) or {})]
        for entry in covered[allowed:]:
            entry.budget = (f"PodDisruptionBudget {metadata.get('name')} allows {allowed} disruption"
                            f"{'' if allowed == 1 else 's'} now ({len(covered)} of its pods are on this node)")
    return report


class NodeDrain:
    """Carries out a planned drain: cordon, evict (bounded concurrency, budget refusals retried), wait for the
    pods to go. The report is updated as it goes (read by `GET .../drain` for live progress)."""

    def __init__(self, cluster: Cluster, pods: ResourceKind, report: DrainReport) -> None:
        self.cluster = cluster
        self.pods = pods
        self.report = report
        self._deadline = time.monotonic() + report.options.timeout_s
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_EVICTIONS)
        self._eviction_version = pods.subresource_api_version("eviction") or FALLBACK_EVICTION_VERSION

    async def run(self, cordon: Callable[[], Awaitable[Any]]) -> DrainReport:
        """Cordon (the awaitable `cordon()` makes), evict every pod to evict, wait for them; state done or
        incomplete."""
        self.report.state = "running"
        await cordon()
        self.report.cordoned = True
        await asyncio.gather(*(self._drain_pod(entry) for entry in self.report.evicting))
        self.report.state = "incomplete" if self.report.left else "done"
        self.report.finished_at = time.time()
        return self.report

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _eviction(self, entry: PodDrain) -> Obj:
        delete_options: Obj = {"preconditions": {"uid": entry.uid}}
        if self.report.options.grace_period_seconds is not None:
            delete_options["gracePeriodSeconds"] = self.report.options.grace_period_seconds
        return {"apiVersion": self._eviction_version, "kind": "Eviction",
                "metadata": {"name": entry.name, "namespace": entry.namespace}, "deleteOptions": delete_options}

    async def _drain_pod(self, entry: PodDrain) -> None:
        async with self._slots:
            if await self._evict(entry):
                await self._wait_gone(entry)

    async def _evict(self, entry: PodDrain) -> bool:
        """Post the eviction until it is accepted (True), the pod is gone, it fails or the time is up (False)."""
        path = self.pods.object_path(entry.name, entry.namespace, "eviction")
        delay = EVICTION_RETRY_FIRST_S
        while True:
            entry.attempts += 1
            entry.status = "evicting"
            try:
                await self.cluster.request("POST", path, body=self._eviction(entry))
                return True
            except KubeError as exc:
                if exc.status == NOT_FOUND:
                    entry.status, entry.message = "evicted", "already gone"
                    return False
                if exc.status != TOO_MANY_REQUESTS:
                    entry.status, entry.message = "failed", exc.message
                    return False
                entry.status, entry.message = "waiting", exc.message
            if self._remaining() <= 0:
                entry.status = "timedOut"
                entry.message = (f"still refused after {entry.attempts} attempts in "
                                 f"{self.report.options.timeout_s} s: {entry.message}")
                return False
            await asyncio.sleep(min(delay, max(self._remaining(), 0)))
            delay = min(delay * 2, EVICTION_RETRY_MAX_S)

    async def _wait_gone(self, entry: PodDrain) -> None:
        """Wait until the evicted pod is deleted (or replaced by a pod of the same name)."""
        entry.status, entry.message = "deleting", "eviction accepted"
        path = self.pods.object_path(entry.name, entry.namespace)
        while True:
            try:
                current = await self.cluster.request("GET", path)
            except KubeError as exc:
                if exc.status == NOT_FOUND:
                    entry.status, entry.message = "evicted", ""
                else:
                    entry.status, entry.message = "failed", f"evicted, but reading it again failed: {exc.message}"
                return
            if (current.get("metadata") or {}).get("uid") != entry.uid:
                entry.status, entry.message = "evicted", ""
                return
            if self._remaining() <= 0:
                entry.status = "timedOut"
                entry.message = f"evicted but not gone after {self.report.options.timeout_s} s"
                return
            await asyncio.sleep(min(DELETION_POLL_S, max(self._remaining(), 0)))
