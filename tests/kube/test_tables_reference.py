"""`view=table` rows compared cell by cell with the API server's own Table printer (`as=Table`, what
`kubectl get -o wide` prints), for objects of every built-in kind in many states, on the real control plane.

Pods and nodes are bound to Nodes that this test creates and no kubelet serves (the node lifecycle controller
is off in the test control plane), so the statuses patched here through the `status` subresource stay put.
Every comparison is between the same object version (our row's resourceVersion equals the one of the object
the server printed, `includeObject=Object`). Relative times: the server prints a duration (`5s`, `2m3s`,
`15m`) and our row carries the timestamp; they agree when the server's duration, read back to seconds, is
within its own precision (plus `CLOCK_SLACK_S`) of the time since our timestamp. `Created At` cells are the
timestamp itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import ssl
import urllib.parse
import urllib.request
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.envtest.controlplane import ControlPlane
from tests.helpers import ApiSession, wait_until

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io"
CLOCK_SLACK_S = 3
SETTLE_TIMEOUT_S = 40
# Columns our rows add to the 1.20 printer's: newest upstream prints a Job's STATUS.
EXTRA_COLUMNS = {"jobs": {"Status"}}
_UNITS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def server_table(control_plane: ControlPlane, path: str) -> dict[str, Any]:
    """The API server's Table for a collection path, each row with its object."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(f"{control_plane.server_url}{path}?includeObject=Object",
                                     headers={"Authorization": f"Bearer {control_plane.admin_token}",
                                              "Accept": TABLE_ACCEPT})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.load(response)


def duration_bounds(text: str) -> tuple[float, float] | None:
    """`2m3s` → (123, 124): the seconds range a HumanDuration string stands for (None if it is not one)."""
    parts = re.findall(r"(\d+)([ydhms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    return seconds, seconds + _UNITS[parts[-1][1]]


def _seconds_since(timestamp: str, now: float) -> float:
    return now - dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def cell_problem(column: dict[str, Any], server: Any, ours: Any, *, fetched_at: float) -> str | None:
    """Why our cell differs from the server's (None when they agree)."""
    if column["type"] in ("age", "duration"):
        if server in ("<none>", "<unknown>", ""):
            return None if ours is None else f"server {server!r}, ours {ours!r}"
        if ours is None:
            return f"server {server!r}, ours None"
        if column["type"] == "age" and re.match(r"^\d{4}-", str(server)):
            return None if server == ours else f"server {server!r}, ours {ours!r}"
        if column["type"] == "duration":
            start, end = ours
            elapsed = _seconds_since(start, fetched_at if end is None else
                                     dt.datetime.fromisoformat(end.replace("Z", "+00:00")).timestamp())
        else:
            elapsed = _seconds_since(ours, fetched_at)
        bounds = duration_bounds(str(server))
        if bounds is None or not bounds[0] - CLOCK_SLACK_S <= elapsed <= bounds[1] + CLOCK_SLACK_S:
            return f"server {server!r}, ours {ours!r} ({elapsed:.0f}s ago)"
        return None
    return None if server == ours and type(server) is type(ours) else f"server {server!r}, ours {ours!r}"


async def compare_kind(admin: ApiSession, cid: int, control_plane: ControlPlane, *, resource: str, path: str,
                       namespace: str | None, names: set[str] | None = None) -> int:
    """Wait until our rows are at the versions the server printed, then compare columns and cells; returns
    how many rows were compared (fails the test on any difference)."""
    query = urllib.parse.urlencode({"view": "table", "pageSize": "all", **({"namespace": namespace} if namespace
                                                                           else {})})

    async def settled() -> tuple[dict[str, Any], dict[str, Any], float] | None:
        ours = await admin.ok("GET", f"/clusters/{cid}/resources/{resource}?{query}")
        fetched_at = dt.datetime.now(dt.UTC).timestamp()
        server = server_table(control_plane, path)
        by_name = {row["name"]: row for row in ours["rows"]}
        for row in server["rows"]:
            meta = row["object"]["metadata"]
            if names is not None and meta["name"] not in names:
                continue
            mine = by_name.get(meta["name"])
            if mine is None or mine["resourceVersion"] != meta.get("resourceVersion"):  # none: ComponentStatuses
                return None
        return ours, server, fetched_at
    ours, server, fetched_at = await wait_until(settled, timeout_s=SETTLE_TIMEOUT_S, interval_s=0.5,
                                                what=f"{resource} rows at the server's versions")
    our_columns = [c for c in ours["columns"] if c["name"] != "Namespace"]
    by_header = {c["name"]: (i, c) for i, c in enumerate(ours["columns"])}
    server_headers = [c["name"] for c in server["columnDefinitions"]]
    extra = EXTRA_COLUMNS.get(resource, set())
    assert [c["name"] for c in our_columns if c["name"] != "Name" and c["name"] not in extra] == \
        [h for h in server_headers if h != "Name"], resource
    for definition in server["columnDefinitions"]:
        if definition["name"] != "Name":
            assert by_header[definition["name"]][1]["priority"] == definition["priority"], (resource, definition)
    problems, compared = [], 0
    rows = {row["name"]: row for row in ours["rows"]}
    for row in server["rows"]:
        name = row["object"]["metadata"]["name"]
        if names is not None and name not in names:
            continue
        compared += 1
        for definition, server_cell in zip(server["columnDefinitions"], row["cells"], strict=True):
            index, column = by_header[definition["name"]]
            problem = cell_problem(column, server_cell, rows[name]["cells"][index], fetched_at=fetched_at)
            if problem:
                problems.append(f"{resource}/{name} {definition['name']}: {problem}")
    assert not problems, "\n".join(problems)
    return compared


# -- objects -------------------------------------------------------------------------------------------------
def _create(cp: ControlPlane, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = cp.request("POST", path, body)
    assert status == 201, (path, status, answer.get("message") if isinstance(answer, dict) else answer)
    return answer


def _patch_status(cp: ControlPlane, path: str, status_body: dict[str, Any]) -> None:
    status, answer = cp.request("PATCH", f"{path}/status", {"status": status_body},
                                content_type="application/merge-patch+json")
    assert status == 200, (path, status, answer.get("message") if isinstance(answer, dict) else answer)


def _running(name: str, *, restarts: int = 0, ready: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": restarts, "image": "busybox", "imageID": "",
            "started": True, "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}


def _terminated(name: str, *, exit_code: int = 0, reason: str | None = None, signal: int | None = None,
                restarts: int = 0) -> dict[str, Any]:
    terminated: dict[str, Any] = {"exitCode": exit_code, "startedAt": "2024-01-01T00:00:00Z",
                                  "finishedAt": "2024-01-01T00:01:00Z"}
    if reason:
        terminated["reason"] = reason
    if signal:
        terminated["signal"] = signal
    return {"name": name, "ready": False, "restartCount": restarts, "image": "busybox", "imageID": "",
            "state": {"terminated": terminated}}


def _waiting(name: str, reason: str, *, restarts: int = 0) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": restarts, "image": "busybox", "imageID": "",
            "state": {"waiting": {"reason": reason}}}


def _conditions(**states: bool) -> list[dict[str, str]]:
    return [{"type": kind, "status": "True" if value else "False"} for kind, value in states.items()]


def make_pods(cp: ControlPlane, namespace: str, node: str) -> list[str]:
    """Pods in the states the printer distinguishes; returns the names of those held by a finalizer."""
    base = f"/api/v1/namespaces/{namespace}/pods"

    def pod(name: str, *, init: int = 0, containers: int = 1, status: dict[str, Any] | None = None,
            bound: bool = True, **spec: Any) -> None:
        body = {"metadata": {"name": name, "annotations": {"kubevision.test/phase": "Pending"}},
                "spec": {"initContainers": [{"name": f"i{i}", "image": "busybox"} for i in range(init)] or None,
                         "containers": [{"name": f"c{i}", "image": "busybox"} for i in range(containers)],
                         **({"nodeName": node} if bound else {"schedulerName": "kv-unscheduled"}), **spec}}
        if body["spec"]["initContainers"] is None:
            del body["spec"]["initContainers"]
        _create(cp, base, body)
        if status:
            _patch_status(cp, f"{base}/{name}", status)

    pod("init-crash", init=2, status={"phase": "Pending", "initContainerStatuses": [
        _terminated("i0", reason="Completed", restarts=1), _waiting("i1", "CrashLoopBackOff", restarts=3)],
        "containerStatuses": [_waiting("c0", "PodInitializing")]})
    pod("init-running", init=2, status={"phase": "Pending", "initContainerStatuses": [
        _running("i0", ready=False), _waiting("i1", "PodInitializing")]})
    pod("init-error", init=1, status={"phase": "Pending", "initContainerStatuses": [
        _terminated("i0", exit_code=1, reason="Error", restarts=2)]})
    pod("init-signal", init=1, status={"phase": "Pending", "initContainerStatuses": [
        _terminated("i0", exit_code=137, signal=9)]})
    pod("init-exit", init=1, status={"phase": "Pending", "initContainerStatuses": [_terminated("i0", exit_code=3)]})
    pod("restarts", init=1, containers=2, status={
        "phase": "Running", "podIP": "10.9.0.1", "podIPs": [{"ip": "10.9.0.1"}],
        "conditions": _conditions(Initialized=True, Ready=True),
        "initContainerStatuses": [_terminated("i0", reason="Completed", restarts=4)],
        "containerStatuses": [_running("c0", restarts=2), _running("c1", restarts=1)]})
    pod("sidecar-done", containers=2, status={
        "phase": "Running", "conditions": _conditions(Ready=False),
        "containerStatuses": [_running("c0"), _terminated("c1", reason="Completed")]})
    pod("sidecar-done-ready", containers=2, status={
        "phase": "Running", "conditions": _conditions(Ready=True),
        "containerStatuses": [_running("c0"), _terminated("c1", reason="Completed")]})
    pod("evicted", status={"phase": "Failed", "reason": "Evicted", "message": "The node was low on memory."})
    pod("failed-exit", status={"phase": "Failed", "containerStatuses": [_terminated("c0", exit_code=2)]})
    pod("failed-signal", status={"phase": "Failed", "containerStatuses": [_terminated("c0", exit_code=143,
                                                                                       signal=15)]})
    pod("pulling", containers=2, status={"phase": "Pending", "containerStatuses": [
        _waiting("c0", "ImagePullBackOff", restarts=1), _running("c1", restarts=5)]})
    pod("not-ready", status={"phase": "Running", "containerStatuses": [_running("c0", ready=False)]})
    pod("gates", readinessGates=[{"conditionType": "example.com/ready"}, {"conditionType": "example.com/lb"}],
        status={"phase": "Running", "nominatedNodeName": "kv-other-node",
                "conditions": [*_conditions(Ready=False), {"type": "example.com/ready", "status": "True"}],
                "containerStatuses": [_running("c0")]})
    pod("unscheduled", bound=False)
    held = []
    for name, status in (("terminating", {"phase": "Running", "containerStatuses": [_running("c0")]}),
                         ("node-lost", {"phase": "Running", "reason": "NodeLost"})):
        _create(cp, base, {"metadata": {"name": name, "finalizers": ["kubevision.test/hold"]},
                           "spec": {"nodeName": node, "containers": [{"name": "c0", "image": "busybox"}]}})
        _patch_status(cp, f"{base}/{name}", status)
        code, answer = cp.request("DELETE", f"{base}/{name}")
        assert code == 200, answer
        held.append(f"{base}/{name}")
    return held


def make_nodes(cp: ControlPlane, prefix: str) -> list[str]:
    """Ready (with roles and addresses), NotReady and cordoned, and never reported (Unknown) nodes."""
    info = {"machineID": "m", "systemUUID": "u", "bootID": "b", "kernelVersion": "5.15.0-kv",
            "osImage": "KubeVision Linux 1.0", "containerRuntimeVersion": "containerd://1.7.0",
            "kubeletVersion": "v1.20.15", "kubeProxyVersion": "v1.20.15", "operatingSystem": "linux",
            "architecture": "amd64"}
    ready, not_ready, unknown = f"{prefix}-ready", f"{prefix}-notready", f"{prefix}-unknown"
    _create(cp, "/api/v1/nodes", {"metadata": {"name": ready, "labels": {
        "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "",
        "kubernetes.io/role": "edge"}}})
    _patch_status(cp, f"/api/v1/nodes/{ready}", {
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}], "nodeInfo": info,
        "addresses": [{"type": "Hostname", "address": "h"}, {"type": "InternalIP", "address": "10.1.0.1"},
                      {"type": "ExternalIP", "address": "203.0.113.7"}]})
    _create(cp, "/api/v1/nodes", {"metadata": {"name": not_ready}, "spec": {"unschedulable": True}})
    _patch_status(cp, f"/api/v1/nodes/{not_ready}", {
        "conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady"}],
        "nodeInfo": {**info, "osImage": "", "kernelVersion": ""}})
    _create(cp, "/api/v1/nodes", {"metadata": {"name": unknown, "labels": {"kubernetes.io/role": ""}}})
    return [ready, not_ready, unknown]


def make_network(cp: ControlPlane, namespace: str, prefix: str) -> None:
    """Services of every type, ingresses with TLS and many hosts, endpoints, network policies, a class."""
    base = f"/api/v1/namespaces/{namespace}/services"
    ports = [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}]
    _create(cp, base, {"metadata": {"name": "plain"}, "spec": {"selector": {"app": "web", "tier": "a"},
                                                               "ports": ports}})
    _create(cp, base, {"metadata": {"name": "external-ips"}, "spec": {"ports": ports[:1],
                                                                      "externalIPs": ["198.51.100.1"]}})
    _create(cp, base, {"metadata": {"name": "headless"}, "spec": {"clusterIP": "None", "ports": ports[:1]}})
    _create(cp, base, {"metadata": {"name": "node-port"}, "spec": {"type": "NodePort", "ports": ports[:1]}})
    _create(cp, base, {"metadata": {"name": "lb-pending"}, "spec": {"type": "LoadBalancer", "ports": ports[:1]}})
    _create(cp, base, {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": ports[:1],
                                                            "externalIPs": ["198.51.100.9"]}})
    _patch_status(cp, f"{base}/lb", {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"},
                                                                  {"hostname": "lb.example.com"}]}})
    _create(cp, base, {"metadata": {"name": "named"}, "spec": {"type": "ExternalName",
                                                               "externalName": "db.example.com"}})
    ingresses = f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses"
    backend = {"service": {"name": "plain", "port": {"number": 80}}}
    rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}
    _create(cp, ingresses, {"metadata": {"name": "many-hosts"}, "spec": {
        "ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
        "rules": [{"host": f"{h}.example.com", **rule} for h in "abcd"]}})
    _patch_status(cp, f"{ingresses}/many-hosts", {"loadBalancer": {"ingress": [{"ip": "192.0.2.20"},
                                                                               {"ip": "192.0.2.3"}]}})
    _create(cp, ingresses, {"metadata": {"name": "default-backend"}, "spec": {"defaultBackend": backend}})
    _create(cp, f"/api/v1/namespaces/{namespace}/endpoints", {"metadata": {"name": "many"}, "subsets": [
        {"addresses": [{"ip": "10.2.0.1"}, {"ip": "10.2.0.2"}],
         "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 8080}]},
        {"addresses": [{"ip": "10.2.0.3"}], "ports": [{"port": 443}]}]})
    _create(cp, f"/api/v1/namespaces/{namespace}/endpoints", {"metadata": {"name": "empty"}})
    policies = f"/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies"
    _create(cp, policies, {"metadata": {"name": "web"}, "spec": {"podSelector": {
        "matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]},
                                                            {"key": "legacy", "operator": "DoesNotExist"}]}}})
    _create(cp, policies, {"metadata": {"name": "all"}, "spec": {"podSelector": {}}})
    _create(cp, "/apis/networking.k8s.io/v1/ingressclasses", {"metadata": {"name": f"{prefix}-class"}, "spec": {
        "controller": "example.com/ingress", "parameters": {"apiGroup": "k8s.example.com", "kind": "Params",
                                                            "name": "p"}}})


def make_workloads(cp: ControlPlane, namespace: str) -> None:
    """Deployments, replica sets, a stateful set, daemon sets with node selectors, jobs and a cron job."""
    template = {"metadata": {"labels": {"app": "w", "tier": "x"}}, "spec": {
        "schedulerName": "kv-unscheduled",
        "containers": [{"name": "web", "image": "nginx:1"}, {"name": "side", "image": "busybox:1"}]}}
    selector = {"matchLabels": {"app": "w"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    apps = f"/apis/apps/v1/namespaces/{namespace}"
    _create(cp, f"{apps}/deployments", {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": selector, "template": template}})
    _create(cp, f"{apps}/replicasets", {"metadata": {"name": "rs"}, "spec": {
        "replicas": 0, "selector": {"matchLabels": {"app": "w", "tier": "x"}}, "template": template}})
    _create(cp, f"{apps}/statefulsets", {"metadata": {"name": "db"}, "spec": {
        "serviceName": "plain", "replicas": 1, "selector": selector, "template": template}})
    node_selected = {**template, "spec": {**template["spec"], "nodeSelector": {"disk": "ssd", "kv": "none"}}}
    _create(cp, f"{apps}/daemonsets", {"metadata": {"name": "agent"}, "spec": {
        "selector": selector, "template": node_selected}})
    _create(cp, f"/api/v1/namespaces/{namespace}/replicationcontrollers", {"metadata": {"name": "rc"}, "spec": {
        "replicas": 0, "selector": {"app": "w", "tier": "x"}, "template": template}})
    job_template = {"spec": {**template["spec"], "restartPolicy": "Never"}}
    jobs = f"/apis/batch/v1/namespaces/{namespace}/jobs"
    _create(cp, jobs, {"metadata": {"name": "batch"}, "spec": {"completions": 3, "parallelism": 2,
                                                               "template": job_template}})
    _create(cp, jobs, {"metadata": {"name": "workers"}, "spec": {"parallelism": 3, "template": job_template}})
    _create(cp, f"/apis/batch/v1beta1/namespaces/{namespace}/cronjobs", {"metadata": {"name": "nightly"}, "spec": {
        "schedule": "0 3 * * *", "suspend": True, "jobTemplate": {"spec": {"template": job_template}}}})


def make_storage(cp: ControlPlane, namespace: str, prefix: str) -> None:
    """A default storage class, a bound PVC/PV pair, a pending block PVC, a PVC with the beta annotation."""
    _create(cp, "/apis/storage.k8s.io/v1/storageclasses", {
        "metadata": {"name": f"{prefix}-fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "example.com/csi", "allowVolumeExpansion": True, "volumeBindingMode": "WaitForFirstConsumer",
        "reclaimPolicy": "Retain"})
    _create(cp, "/apis/storage.k8s.io/v1/storageclasses", {"metadata": {"name": f"{prefix}-slow"},
                                                           "provisioner": "example.com/other"})
    claims = f"/api/v1/namespaces/{namespace}/persistentvolumeclaims"
    request = {"resources": {"requests": {"storage": "1Gi"}}}
    _create(cp, claims, {"metadata": {"name": "bound"}, "spec": {
        "accessModes": ["ReadWriteMany", "ReadWriteOnce"], "volumeName": f"{prefix}-pv",
        "storageClassName": f"{prefix}-slow", **request}})
    _create(cp, claims, {"metadata": {"name": "pending-block"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "volumeMode": "Block", "storageClassName": "missing", **request}})
    _create(cp, claims, {"metadata": {"name": "beta-class", "annotations": {
        "volume.beta.kubernetes.io/storage-class": "legacy"}}, "spec": {"accessModes": ["ReadOnlyMany"], **request}})
    _create(cp, "/api/v1/persistentvolumes", {"metadata": {"name": f"{prefix}-pv"}, "spec": {
        "capacity": {"storage": "2Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
        "storageClassName": f"{prefix}-slow", "hostPath": {"path": "/tmp/kv"},
        "claimRef": {"namespace": namespace, "name": "bound"}}})
    _create(cp, "/api/v1/persistentvolumes", {"metadata": {"name": f"{prefix}-pv-free"}, "spec": {
        "capacity": {"storage": "500Mi"}, "accessModes": ["ReadOnlyMany"], "hostPath": {"path": "/tmp/kv2"},
        "persistentVolumeReclaimPolicy": "Recycle"}})


def make_access_and_config(cp: ControlPlane, namespace: str, prefix: str) -> None:
    """RBAC roles and bindings with every subject kind, quotas, HPAs, events, config, policy objects."""
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]
    _create(cp, f"{rbac}/namespaces/{namespace}/roles", {"metadata": {"name": "reader"}, "rules": rules})
    _create(cp, f"{rbac}/clusterroles", {"metadata": {"name": f"{prefix}-reader"}, "rules": rules})
    subjects = [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "User", "name": "bob", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
                {"kind": "ServiceAccount", "name": "robot", "namespace": namespace}]
    _create(cp, f"{rbac}/namespaces/{namespace}/rolebindings", {"metadata": {"name": "readers"}, "subjects": subjects,
                                                               "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                                           "kind": "Role", "name": "reader"}})
    _create(cp, f"{rbac}/namespaces/{namespace}/rolebindings", {"metadata": {"name": "nobody"}, "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}})
    _create(cp, f"{rbac}/clusterrolebindings", {"metadata": {"name": f"{prefix}-readers"}, "subjects": subjects[2:],
                                                "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                            "kind": "ClusterRole", "name": f"{prefix}-reader"}})
    core = f"/api/v1/namespaces/{namespace}"
    _create(cp, f"{core}/resourcequotas", {"metadata": {"name": "quota"}, "spec": {"hard": {
        "requests.cpu": "2", "limits.memory": "1Gi", "pods": "10", "limits.cpu": "4", "requests.memory": "512Mi"}}})
    _create(cp, f"{core}/serviceaccounts", {"metadata": {"name": "robot"}, "secrets": [{"name": "a"}, {"name": "b"}]})
    _create(cp, f"{core}/configmaps", {"metadata": {"name": "settings"}, "data": {"a": "1", "b": "2"},
                                       "binaryData": {"c": "AA=="}})
    _create(cp, f"{core}/secrets", {"metadata": {"name": "token"}, "type": "example.com/token",
                                    "data": {"a": "AA==", "b": "AA=="}})
    _create(cp, f"{core}/limitranges", {"metadata": {"name": "limits"}, "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "1"}}]}})
    now = dt.datetime.now(dt.UTC)
    stamp = (now - dt.timedelta(minutes=4, seconds=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now - dt.timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    involved = {"kind": "Pod", "name": "restarts", "namespace": namespace, "fieldPath": "spec.containers{c0}"}
    _create(cp, f"{core}/events", {"metadata": {"name": "restarts.1"}, "involvedObject": involved, "type": "Warning",
                                   "reason": "BackOff", "message": "  Back-off restarting  ", "count": 3,
                                   "firstTimestamp": stamp, "lastTimestamp": later,
                                   "source": {"component": "kubelet", "host": "node-a"}})
    _create(cp, f"{core}/events", {"metadata": {"name": "restarts.2"}, "type": "Normal", "reason": "Pulled",
                                   "involvedObject": {"kind": "Pod", "name": "", "namespace": namespace},
                                   "message": "done",
                                   "firstTimestamp": stamp, "source": {"component": "scheduler"}})
    hpas = f"/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers"
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    _create(cp, hpas, {"metadata": {"name": "cpu"}, "spec": {"scaleTargetRef": target, "minReplicas": 2,
                                                             "maxReplicas": 5, "targetCPUUtilizationPercentage": 70}})
    _create(cp, hpas, {"metadata": {"name": "bare"}, "spec": {"scaleTargetRef": target, "maxReplicas": 3}})
    pdbs = f"/apis/policy/v1beta1/namespaces/{namespace}/poddisruptionbudgets"
    _create(cp, pdbs, {"metadata": {"name": "min"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {
        "app": "w"}}}})
    _create(cp, pdbs, {"metadata": {"name": "max"}, "spec": {"maxUnavailable": "50%", "selector": {}}})
    _create(cp, "/apis/scheduling.k8s.io/v1/priorityclasses", {"metadata": {"name": f"{prefix}-high"},
                                                               "value": 1000, "description": "x"})
    _create(cp, f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases", {"metadata": {"name": "lock"},
                                                                               "spec": {"holderIdentity": "me"}})
    _create(cp, f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases", {"metadata": {"name": "free"}})


# (our resource, the API server's collection path relative to the namespace or cluster, cluster-scoped?)
NAMESPACED = [
    ("pods", "/api/v1/namespaces/{ns}/pods"), ("services", "/api/v1/namespaces/{ns}/services"),
    ("endpoints", "/api/v1/namespaces/{ns}/endpoints"), ("configmaps", "/api/v1/namespaces/{ns}/configmaps"),
    ("secrets", "/api/v1/namespaces/{ns}/secrets"), ("serviceaccounts", "/api/v1/namespaces/{ns}/serviceaccounts"),
    ("events", "/api/v1/namespaces/{ns}/events"), ("resourcequotas", "/api/v1/namespaces/{ns}/resourcequotas"),
    ("limitranges", "/api/v1/namespaces/{ns}/limitranges"),
    ("persistentvolumeclaims", "/api/v1/namespaces/{ns}/persistentvolumeclaims"),
    ("replicationcontrollers", "/api/v1/namespaces/{ns}/replicationcontrollers"),
    ("deployments", "/apis/apps/v1/namespaces/{ns}/deployments"),
    ("replicasets", "/apis/apps/v1/namespaces/{ns}/replicasets"),
    ("statefulsets", "/apis/apps/v1/namespaces/{ns}/statefulsets"),
    ("daemonsets", "/apis/apps/v1/namespaces/{ns}/daemonsets"), ("jobs", "/apis/batch/v1/namespaces/{ns}/jobs"),
    ("cronjobs", "/apis/batch/v1beta1/namespaces/{ns}/cronjobs"),
    ("ingresses", "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"),
    ("networkpolicies", "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"),
    ("roles", "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
    ("rolebindings", "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"),
    ("horizontalpodautoscalers", "/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers"),
    ("poddisruptionbudgets", "/apis/policy/v1beta1/namespaces/{ns}/poddisruptionbudgets"),
    ("leases", "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"),
]
CLUSTER = [
    ("nodes", "/api/v1/nodes"), ("persistentvolumes", "/api/v1/persistentvolumes"),
    ("storageclasses", "/apis/storage.k8s.io/v1/storageclasses"),
    ("clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterroles"),
    ("clusterrolebindings", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"),
    ("ingressclasses", "/apis/networking.k8s.io/v1/ingressclasses"),
    ("priorityclasses", "/apis/scheduling.k8s.io/v1/priorityclasses"),
]


async def test_rows_equal_the_api_servers_table(admin: ApiSession, cid: int, namespace: str,
                                                control_plane: ControlPlane) -> None:
    prefix = namespace
    nodes = make_nodes(control_plane, prefix)
    held: list[str] = []
    try:
        held = make_pods(control_plane, namespace, nodes[0])
        make_network(control_plane, namespace, prefix)
        make_workloads(control_plane, namespace)
        make_storage(control_plane, namespace, prefix)
        make_access_and_config(control_plane, namespace, prefix)

        async def quota_counted() -> bool:
            _, quota = control_plane.request("GET", f"/api/v1/namespaces/{namespace}/resourcequotas/quota")
            return bool((quota.get("status") or {}).get("used"))
        await wait_until(quota_counted, timeout_s=SETTLE_TIMEOUT_S, what="the quota controller to count usage")
        owned = {*nodes, f"{prefix}-pv", f"{prefix}-pv-free", f"{prefix}-fast", f"{prefix}-slow",
                 f"{prefix}-reader", f"{prefix}-readers", f"{prefix}-class", f"{prefix}-high"}
        compared: dict[str, int] = {}
        failures: list[str] = []  # every kind is compared, then all differences are reported together
        for resource, path, names in [*((r, p.format(ns=namespace), None) for r, p in NAMESPACED),
                                      *((r, p, owned) for r, p in CLUSTER)]:
            try:
                compared[resource] = await compare_kind(admin, cid, control_plane, resource=resource, path=path,
                                                        namespace=None if names else namespace, names=names)
            except AssertionError as exc:
                failures.append(f"{resource}: {exc}")
        assert not failures, "\n".join(failures)
        assert compared["pods"] >= 17 and compared["nodes"] == 3 and compared["services"] == 7, compared
        assert all(count > 0 for count in compared.values()), compared
    finally:
        for path in held:
            control_plane.request("PATCH", path, {"metadata": {"finalizers": None}},
                                  content_type="application/merge-patch+json")
        for path in [*(f"/api/v1/nodes/{n}" for n in nodes), f"/api/v1/persistentvolumes/{prefix}-pv",
                     f"/api/v1/persistentvolumes/{prefix}-pv-free"]:
            control_plane.request("DELETE", path)
        for path in ("storage.k8s.io/v1/storageclasses/{p}-fast", "storage.k8s.io/v1/storageclasses/{p}-slow",
                     "rbac.authorization.k8s.io/v1/clusterroles/{p}-reader",
                     "rbac.authorization.k8s.io/v1/clusterrolebindings/{p}-readers",
                     "networking.k8s.io/v1/ingressclasses/{p}-class", "scheduling.k8s.io/v1/priorityclasses/{p}-high"):
            control_plane.request("DELETE", "/apis/" + path.format(p=prefix))


# -- kinds of cluster administration, and HPAs with every metric type -----------------------------------------
def _csr_and_certificate(common_name: str) -> tuple[str, str]:
    """A PEM certificate signing request and a self-signed PEM certificate for it (base64 for the API)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    request = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return tuple(base64.b64encode(item.public_bytes(serialization.Encoding.PEM)).decode()
                 for item in (request, certificate))


def make_certificate_requests(cp: ControlPlane, prefix: str) -> list[str]:
    """CSRs pending, approved, denied, approved and failed, approved and issued, and a v1beta1 one (its signer
    defaulted); returns their paths."""
    base = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    request, certificate = _csr_and_certificate(prefix)
    paths = []
    for state in ("pending", "approved", "denied", "failed", "issued"):
        name = f"{prefix}-{state}"
        body = _create(cp, base, {"metadata": {"name": name}, "spec": {
            "request": request, "signerName": "example.com/signer", "usages": ["client auth"]}})
        paths.append(f"{base}/{name}")
        if state == "pending":
            continue
        verdict = "Denied" if state == "denied" else "Approved"
        body["status"] = {"conditions": [{"type": verdict, "status": "True", "reason": "Test", "message": "t"}]}
        status, answer = cp.request("PUT", f"{base}/{name}/approval", body)
        assert status == 200, answer
        if state in ("failed", "issued"):
            answer["status"] = ({"certificate": certificate, **answer["status"]} if state == "issued" else {
                "conditions": [*answer["status"]["conditions"], {"type": "Failed", "status": "True",
                                                                 "reason": "SignerError", "message": "t"}]})
            status, answer = cp.request("PUT", f"{base}/{name}/status", answer)
            assert status == 200, answer
    _create(cp, "/apis/certificates.k8s.io/v1beta1/certificatesigningrequests", {
        "metadata": {"name": f"{prefix}-beta"}, "spec": {"request": request, "usages": ["digital signature"]}})
    return [*paths, f"{base}/{prefix}-beta"]


def make_cluster_kinds(cp: ControlPlane, prefix: str) -> list[str]:
    """Webhook configurations, CSI drivers and nodes, volume attachments attached, failed and inline, runtime
    classes, priority levels and flow schemas (one naming a missing level), pod security policies and an
    APIService backed by a missing service; returns their paths."""
    never = {"apiGroups": ["example.com"], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["never"]}
    hook = {"clientConfig": {"url": "https://hooks.example.com/x"}, "rules": [never], "failurePolicy": "Ignore",
            "sideEffects": "None", "admissionReviewVersions": ["v1"]}
    admission = "/apis/admissionregistration.k8s.io/v1"
    storage = "/apis/storage.k8s.io/v1"
    flows = "/apis/flowcontrol.apiserver.k8s.io/v1beta1"
    queued = {"type": "Queue", "queuing": {"queues": 16, "handSize": 4, "queueLengthLimit": 20}}
    subjects = [{"kind": "User", "user": {"name": "nobody"}}]
    rules = [{"subjects": subjects, "resourceRules": [{"verbs": ["get"], "apiGroups": ["example.com"],
                                                       "resources": ["never"], "namespaces": ["*"]}]}]
    rule = {"rule": "RunAsAny"}
    attachment = {"attacher": "csi.example.com", "nodeName": f"{prefix}-node"}
    objects: list[tuple[str, dict[str, Any]]] = [
        (f"{admission}/mutatingwebhookconfigurations", {"metadata": {"name": f"{prefix}-mutating"}, "webhooks": [
            {"name": f"a.{prefix}.example.com", **hook}, {"name": f"b.{prefix}.example.com", **hook}]}),
        (f"{admission}/validatingwebhookconfigurations", {"metadata": {"name": f"{prefix}-validating"}}),
        (f"{storage}/csidrivers", {"metadata": {"name": f"{prefix}.defaults.example.com"}, "spec": {}}),
        (f"{storage}/csidrivers", {"metadata": {"name": f"{prefix}.ephemeral.example.com"}, "spec": {
            "attachRequired": False, "podInfoOnMount": True, "volumeLifecycleModes": ["Persistent", "Ephemeral"]}}),
        (f"{storage}/csinodes", {"metadata": {"name": f"{prefix}-node"}, "spec": {"drivers": [
            {"name": "a.example.com", "nodeID": "n1"}, {"name": "b.example.com", "nodeID": "n1"}]}}),
        (f"{storage}/csinodes", {"metadata": {"name": f"{prefix}-bare"}, "spec": {"drivers": []}}),
        (f"{storage}/volumeattachments", {"metadata": {"name": f"{prefix}-attached"}, "spec": {
            **attachment, "source": {"persistentVolumeName": f"{prefix}-pv"}}}),
        (f"{storage}/volumeattachments", {"metadata": {"name": f"{prefix}-failed"}, "spec": {
            **attachment, "source": {"persistentVolumeName": f"{prefix}-pv2"}}}),
        (f"{storage}/volumeattachments", {"metadata": {"name": f"{prefix}-inline"}, "spec": {
            **attachment, "source": {"inlineVolumeSpec": {"csi": {"driver": "csi.example.com", "volumeHandle": "h"},
                                                          "accessModes": ["ReadWriteOnce"]}}}}),
        ("/apis/node.k8s.io/v1/runtimeclasses", {"metadata": {"name": f"{prefix}-gvisor"}, "handler": "runsc"}),
        (f"{flows}/prioritylevelconfigurations", {"metadata": {"name": f"{prefix}-queued"}, "spec": {
            "type": "Limited", "limited": {"assuredConcurrencyShares": 7, "limitResponse": queued}}}),
        (f"{flows}/prioritylevelconfigurations", {"metadata": {"name": f"{prefix}-reject"}, "spec": {
            "type": "Limited", "limited": {"assuredConcurrencyShares": 1, "limitResponse": {"type": "Reject"}}}}),
        (f"{flows}/flowschemas", {"metadata": {"name": f"{prefix}-by-user"}, "spec": {
            "priorityLevelConfiguration": {"name": f"{prefix}-queued"}, "matchingPrecedence": 5000,
            "distinguisherMethod": {"type": "ByUser"}, "rules": rules}}),
        (f"{flows}/flowschemas", {"metadata": {"name": f"{prefix}-dangling"}, "spec": {
            "priorityLevelConfiguration": {"name": f"{prefix}-missing"}, "rules": rules}}),
        ("/apis/policy/v1beta1/podsecuritypolicies", {"metadata": {"name": f"{prefix}-privileged"}, "spec": {
            "privileged": True, "allowedCapabilities": ["NET_ADMIN", "SYS_TIME"], "volumes": ["configMap", "secret"],
            "seLinux": rule, "runAsUser": {"rule": "MustRunAsNonRoot"}, "supplementalGroups": rule,
            "fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 10}]}, "readOnlyRootFilesystem": True}}),
        ("/apis/policy/v1beta1/podsecuritypolicies", {"metadata": {"name": f"{prefix}-plain"}, "spec": {
            "seLinux": rule, "runAsUser": rule, "supplementalGroups": rule, "fsGroup": rule}}),
        ("/apis/apiregistration.k8s.io/v1/apiservices", {"metadata": {"name": f"v1.{prefix}.example.com"}, "spec": {
            "group": f"{prefix}.example.com", "version": "v1", "groupPriorityMinimum": 1, "versionPriority": 1,
            "insecureSkipTLSVerify": True, "service": {"namespace": "default", "name": f"{prefix}-missing"}}}),
    ]
    paths = []
    for collection, body in objects:
        _create(cp, collection, body)
        paths.append(f"{collection}/{body['metadata']['name']}")
    _patch_status(cp, f"{storage}/volumeattachments/{prefix}-attached", {"attached": True,
                                                                         "attachmentMetadata": {"dev": "/dev/x"}})
    _patch_status(cp, f"{storage}/volumeattachments/{prefix}-failed", {"attached": False, "attachError": {
        "message": "no such volume", "time": "2024-01-01T00:00:00Z"}})
    return paths


def make_namespaced_kinds(cp: ControlPlane, namespace: str) -> None:
    """Pod templates, controller revisions controlled by a ReplicaSet, a ConfigMap and no one, endpoint slices with many
    ports and endpoints, with none and with IPv6 addresses, and HPAs with every metric type (autoscaling/v2beta2,
    the table reads them through autoscaling/v1 and its annotations) with and without current values."""
    core = f"/api/v1/namespaces/{namespace}"
    _create(cp, f"{core}/podtemplates", {"metadata": {"name": "labelled"}, "template": {
        "metadata": {"labels": {"tier": "db", "app": "w"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1"}, {"name": "side", "image": "busybox:1"}]}}})
    _create(cp, f"{core}/podtemplates", {"metadata": {"name": "plain"}, "template": {
        "spec": {"containers": [{"name": "one", "image": "busybox"}]}}})
    revisions = f"/apis/apps/v1/namespaces/{namespace}/controllerrevisions"
    # Real owners (the garbage collector deletes what only missing owners own): a ConfigMap and a ReplicaSet.
    config = _create(cp, f"{core}/configmaps", {"metadata": {"name": "owner"}})
    replicas = _create(cp, f"/apis/apps/v1/namespaces/{namespace}/replicasets", {"metadata": {"name": "rs"}, "spec": {
        "replicas": 0, "selector": {"matchLabels": {"app": "rs"}}, "template": {
            "metadata": {"labels": {"app": "rs"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    by_config = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": config["metadata"]["uid"]}
    by_replicas = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": replicas["metadata"]["uid"]}
    for name, owners, revision in (("apps-owned", [by_config, {**by_replicas, "controller": True}], 3),
                                   ("core-owned", [{**by_config, "controller": True}], 1),
                                   ("not-controlled", [by_config], 12), ("orphan", [], 2)):
        _create(cp, revisions, {"metadata": {"name": name, "ownerReferences": owners}, "data": {"spec": {}},
                                "revision": revision})
    slices = f"/apis/discovery.k8s.io/v1beta1/namespaces/{namespace}/endpointslices"
    _create(cp, slices, {"metadata": {"name": "many"}, "addressType": "IPv4", "ports": [
        {"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "named"}, {}],
        "endpoints": [{"addresses": ["10.3.0.1", "10.3.0.2"]}, {"addresses": ["10.3.0.3"]},
                      {"addresses": ["10.3.0.4"], "conditions": {"ready": False}}]})
    _create(cp, slices, {"metadata": {"name": "three"}, "addressType": "IPv6", "ports": [{"port": 443}],
                         "endpoints": [{"addresses": ["fd00::1"]}, {"addresses": ["fd00::2", "fd00::3"]}]})
    _create(cp, slices, {"metadata": {"name": "empty"}, "addressType": "FQDN", "endpoints": []})
    hpas = f"/apis/autoscaling/v2beta2/namespaces/{namespace}/horizontalpodautoscalers"
    target = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 4}

    def metric(kind: str, **source: Any) -> dict[str, Any]:
        key = kind[0].lower() + kind[1:]
        return {"type": kind, key: source}
    cpu = metric("Resource", name="cpu", target={"type": "Utilization", "averageUtilization": 60})
    memory = metric("Resource", name="memory", target={"type": "AverageValue", "averageValue": "1Gi"})
    pods = metric("Pods", metric={"name": "rps"}, target={"type": "AverageValue", "averageValue": "1k"})
    queue = metric("External", metric={"name": "queue"}, target={"type": "Value", "value": "30"})
    queue_avg = metric("External", metric={"name": "queue"}, target={"type": "AverageValue", "averageValue": "2"})
    hits = metric("Object", describedObject={"apiVersion": "v1", "kind": "Service", "name": "s"},
                  metric={"name": "hits"}, target={"type": "Value", "value": "100"})
    hits_avg = metric("Object", describedObject={"apiVersion": "v1", "kind": "Service", "name": "s"},
                      metric={"name": "hits"}, target={"type": "AverageValue", "averageValue": "500m"})
    memory_share = metric("Resource", name="memory", target={"type": "Utilization", "averageUtilization": 70})
    for name, metrics, current in (
            ("five", [pods, cpu, queue, hits_avg, memory], None),
            ("cpu-first", [cpu, pods], [
                metric("Resource", name="cpu", current={"averageUtilization": 55, "averageValue": "120m"}),
                metric("Pods", metric={"name": "rps"}, current={"averageValue": "900"})]),
            ("matched", [memory_share, pods], [
                metric("Resource", name="memory", current={"averageUtilization": 65, "averageValue": "300Mi"}),
                metric("Pods", metric={"name": "rps"}, current={"averageValue": "900"})]),
            ("values", [memory, queue_avg], [
                metric("Resource", name="memory", current={"averageValue": "800Mi"}),
                metric("External", metric={"name": "queue"}, current={"value": "40", "averageValue": "3"})]),
            ("objects", [hits, memory_share], [
                metric("Object", describedObject={"apiVersion": "v1", "kind": "Service", "name": "s"},
                       metric={"name": "hits"}, current={"value": "90"})]),
            ("partial", [queue, hits_avg], [
                metric("External", metric={"name": "queue"}, current={"value": "12"})])):
        _create(cp, hpas, {"metadata": {"name": name}, "spec": {**target, "metrics": metrics}})
        if current:
            _patch_status(cp, f"{hpas}/{name}", {"currentReplicas": 2, "desiredReplicas": 2,
                                                  "currentMetrics": current, "conditions": []})


async def test_rows_of_cluster_kinds_equal_the_api_servers_table(admin: ApiSession, cid: int, namespace: str,
                                                                 control_plane: ControlPlane) -> None:
    prefix = namespace
    paths: list[str] = []
    try:
        paths = make_certificate_requests(control_plane, prefix)
        paths += make_cluster_kinds(control_plane, prefix)
        make_namespaced_kinds(control_plane, namespace)
        ours = set(p.rsplit("/", 1)[1] for p in paths)
        kinds = [
            ("certificatesigningrequests", "/apis/certificates.k8s.io/v1/certificatesigningrequests", ours),
            ("mutatingwebhookconfigurations", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
             ours),
            ("validatingwebhookconfigurations",
             "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", ours),
            ("csidrivers", "/apis/storage.k8s.io/v1/csidrivers", ours),
            ("csinodes", "/apis/storage.k8s.io/v1/csinodes", ours),
            ("volumeattachments", "/apis/storage.k8s.io/v1/volumeattachments", ours),
            ("runtimeclasses", "/apis/node.k8s.io/v1/runtimeclasses", ours),
            # The API server's own levels and schemas too: exempt (no `limited`) and the built-in ones.
            ("prioritylevelconfigurations", "/apis/flowcontrol.apiserver.k8s.io/v1beta1/prioritylevelconfigurations",
             ours | {"exempt", "global-default", "catch-all"}),
            ("flowschemas", "/apis/flowcontrol.apiserver.k8s.io/v1beta1/flowschemas", ours | {"exempt", "catch-all"}),
            ("podsecuritypolicies", "/apis/policy/v1beta1/podsecuritypolicies", ours),
            # Local built-in groups and ours, backed by a missing service.
            ("apiservices", "/apis/apiregistration.k8s.io/v1/apiservices", ours | {"v1.", "v1.apps"}),
            ("componentstatuses", "/api/v1/componentstatuses", {"scheduler", "controller-manager", "etcd-0"}),
            ("podtemplates", f"/api/v1/namespaces/{namespace}/podtemplates", None),
            ("controllerrevisions", f"/apis/apps/v1/namespaces/{namespace}/controllerrevisions", None),
            ("endpointslices", f"/apis/discovery.k8s.io/v1beta1/namespaces/{namespace}/endpointslices", None),
            ("horizontalpodautoscalers", f"/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers",
             None),
        ]

        async def missing_level_seen() -> bool:  # the API server's config controller marks dangling schemas
            _, schema = control_plane.request(
                "GET", f"/apis/flowcontrol.apiserver.k8s.io/v1beta1/flowschemas/{prefix}-dangling")
            return bool((schema.get("status") or {}).get("conditions"))
        await wait_until(missing_level_seen, timeout_s=SETTLE_TIMEOUT_S, what="the flow schemas' Dangling condition")
        compared: dict[str, int] = {}
        failures: list[str] = []
        for resource, path, names in kinds:
            try:
                compared[resource] = await compare_kind(admin, cid, control_plane, resource=resource, path=path,
                                                        namespace=None if names else namespace, names=names)
            except AssertionError as exc:
                failures.append(f"{resource}: {exc}")
        assert not failures, "\n".join(failures)
        assert compared["certificatesigningrequests"] == 6 and compared["horizontalpodautoscalers"] == 6, compared
        assert all(count > 0 for count in compared.values()), compared
    finally:
        for path in paths:
            control_plane.request("DELETE", path)
