"""Pod states newer than the 1.20 test control plane, printed as the newest upstream printer does
(kubernetes/kubernetes pkg/printers/internalversion/printers.go, printPod), and sorting by column type.

Upstream rules checked here, in its words:
- restartable init containers (`restartPolicy: Always`, sidecars) count in READY's total; a started sidecar
  counts as ready when it is, and initialization goes on past it;
- their restarts always count, also once the pod is initialized (other init containers' restarts count only
  while the pod is initializing);
- a pod whose PodScheduled condition has reason SchedulingGated shows `SchedulingGated`;
- once the Initialized condition is True, the containers decide STATUS even if an init status lags.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubevision.errors import ApiError
from kubevision.kube.registry import ResourceKind
from kubevision.kube.tables import TABLES, columns_of, hpa_targets, pod_summary, row_of, row_order, table_spec


def _pod(*, init: list[dict[str, Any]], containers: int = 1, status: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "n", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"initContainers": init, "containers": [{"name": f"c{i}"} for i in range(containers)]},
            "status": status}


def _running(name: str, *, ready: bool = True, restarts: int = 0, started: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": restarts, "started": started,
            "state": {"running": {}}}


SIDECAR = {"name": "proxy", "restartPolicy": "Always"}


def test_a_running_sidecar_counts_as_a_ready_container_with_its_restarts() -> None:
    pod = _pod(init=[{"name": "setup"}, SIDECAR], status={
        "phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
        "initContainerStatuses": [
            {"name": "setup", "restartCount": 2, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            _running("proxy", restarts=3)],
        "containerStatuses": [_running("c0", restarts=1)]})
    summary = pod_summary(pod)
    # 2 of 2 ready (the sidecar and c0); restarts: the sidecar's 3 and c0's 1, not setup's 2.
    assert (summary.ready, summary.total, summary.reason, summary.restarts) == (2, 2, "Running", 4)


def test_initialization_waits_on_a_sidecar_that_has_not_started() -> None:
    pod = _pod(init=[SIDECAR, {"name": "migrate"}], status={
        "phase": "Pending",
        "initContainerStatuses": [_running("proxy", ready=False, started=False), {"name": "migrate", "state": {
            "waiting": {"reason": "PodInitializing"}}}]})
    summary = pod_summary(pod)
    assert (summary.ready, summary.total, summary.reason) == (0, 2, "Init:0/2")


def test_a_started_sidecar_lets_the_next_init_container_report() -> None:
    pod = _pod(init=[SIDECAR, {"name": "migrate"}], status={
        "phase": "Pending",
        "initContainerStatuses": [_running("proxy", restarts=1), {"name": "migrate", "restartCount": 5, "state": {
            "waiting": {"reason": "CrashLoopBackOff"}}}]})
    summary = pod_summary(pod)
    assert (summary.ready, summary.total, summary.reason, summary.restarts) == (1, 2, "Init:CrashLoopBackOff", 6)


def test_scheduling_gated_pods_say_so() -> None:
    pod = _pod(init=[], status={"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]})
    assert pod_summary(pod).reason == "SchedulingGated"


def test_sort_follows_the_column_type() -> None:
    spec = TABLES["pods"]
    rows = [row_of(spec, _pod(init=[], containers=2, status={
        "phase": "Running", "containerStatuses": [_running("c0", restarts=restarts), _running("c1", ready=ready)]}
    ) | {"metadata": {"name": name, "namespace": "n", "creationTimestamp": created}}, namespaced=True)
        for name, restarts, ready, created in (("a", 10, True, "2024-01-03T00:00:00Z"),
                                               ("b", 9, False, "2024-01-01T00:00:00Z"),
                                               ("c", 100, True, "2024-01-02T00:00:00Z"))]

    def order(sort: str) -> list[str]:
        key, descending = row_order(sort, spec, namespaced=True)
        return [row["name"] for row in sorted(rows, key=key, reverse=descending)]
    assert order("restarts") == ["b", "a", "c"]  # numerically: 9 < 10 < 100 (text would put 10 first)
    assert order("-restarts") == ["c", "a", "b"]
    assert order("age") == ["a", "c", "b"]  # youngest first
    assert order("ready") == ["b", "a", "c"]  # 1/2 before 2/2
    with pytest.raises(ApiError) as refused:
        row_order("size", spec, namespaced=True)
    assert "sort must be one of name, namespace, ready, status, restarts, age, ip" in refused.value.message


def _metric(kind: str, **source: Any) -> dict[str, Any]:
    return {"type": kind, kind[0].lower() + kind[1:]: source}


def test_autoscaling_v2_targets_cover_every_metric_type() -> None:
    """autoscaling/v2 objects (the preferred version from 1.23): `spec.metrics` as they are, ContainerResource
    (alpha on 1.20, so not comparable there) like Resource, `<auto>` without a utilization target, and the
    statuses paired by index whatever their type (upstream formatHPAMetrics)."""
    hpa = {"metadata": {"name": "h"}, "spec": {"maxReplicas": 3, "metrics": [
        _metric("ContainerResource", name="cpu", container="app", target={"type": "Utilization",
                                                                         "averageUtilization": 50}),
        _metric("ContainerResource", name="memory", container="app", target={"type": "AverageValue",
                                                                            "averageValue": "256Mi"}),
        _metric("Resource", name="cpu", target={"type": "Utilization"}),
    ]}, "status": {"currentMetrics": [
        _metric("ContainerResource", name="cpu", container="app", current={"averageUtilization": 42}),
        _metric("ContainerResource", name="memory", container="app", current={"averageValue": "200Mi"}),
    ]}}
    assert hpa_targets(hpa) == "42%/50%, 200Mi/256Mi + 1 more..."
    hpa["spec"]["metrics"] = [*hpa["spec"]["metrics"][2:], _metric("Unknown")]
    assert hpa_targets(hpa) == "<unknown>/<auto>, <unknown type>"  # the cpu status is at index 0, not Resource
    hpa["spec"]["metrics"], hpa["status"]["currentMetrics"] = [], []
    assert hpa_targets(hpa) == "<none>"


def test_flowcontrol_v1_prints_nominal_concurrency_shares() -> None:
    """From flowcontrol v1beta3 the shares are `nominalConcurrencyShares`, and so is the header."""
    def level_kind(version: str) -> ResourceKind:
        return ResourceKind(plural="prioritylevelconfigurations", kind="PriorityLevelConfiguration",
                            group="flowcontrol.apiserver.k8s.io", version=version, namespaced=False,
                            verbs=frozenset({"list"}))
    level = {"metadata": {"name": "workload-low", "creationTimestamp": "2024-01-01T00:00:00Z"}, "spec": {
        "type": "Limited", "limited": {"nominalConcurrencyShares": 100, "limitResponse": {
            "type": "Queue", "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50}}}}}
    spec = table_spec(level_kind("v1"))
    assert [c["name"] for c in columns_of(spec, namespaced=False)][1:3] == ["Type", "NominalConcurrencyShares"]
    assert row_of(spec, level, namespaced=False)["cells"][1:6] == ["Limited", 100, 128, 6, 50]
    assert [c["name"] for c in columns_of(table_spec(level_kind("v1beta1")), namespaced=False)][2] == \
        "AssuredConcurrencyShares"
