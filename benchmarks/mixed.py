"""A large mixed cluster: `python -m benchmarks.mixed` (1,000 nodes, 5,000 deployments, 100,000 pods, 10,000
events; `--scale 0.1` for a tenth of each).

Seeds a private control plane directly — its controller-manager and scheduler are stopped first, so each
Deployment's ReplicaSet and pods are written here, with owner references and status, as the controllers would
leave them (at their default request rate the controllers would take hours). Then starts KubeVision and, once its
caches are synced, times what a user opens first: the overview, the kind list behind the sidebar, the topology of
the busiest namespace and a search. Prints a table and writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
from typing import Any

import aiohttp

from benchmarks.common import (
    Server,
    apiserver_session,
    benchmark_main,
    control_plane,
    create_all,
    kubevision_session,
    median,
    percentile,
    pod_status,
    realistic_pod,
    timed,
)

NODES, DEPLOYMENTS, PODS, EVENTS = 1_000, 5_000, 100_000, 10_000
NAMESPACES = 50
BUSY_NAMESPACE = "team-00"  # every namespace holds the same share; the first is timed
RUNS = 20
TARGET_MS = 200
CACHED_KINDS = ("pods", "deployments", "replicasets", "nodes")
SYNC_TIMEOUT_S = 1800


def owner(kind: str, name: str, uid: str) -> dict[str, Any]:
    """An owner reference to an apps/v1 object, as its controller writes it."""
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": True,
            "blockOwnerDeletion": True}


async def seed(api: aiohttp.ClientSession, *, nodes: int, deployments: int, pods: int, events: int) -> float:
    """Nodes, namespaces, Deployments with their ReplicaSets and pods (spread over the nodes), and events."""
    started = time.monotonic()
    await create_all(api, (("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i:04d}"},
                                             "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
                           for i in range(nodes)), with_status=True)
    await create_all(api, (("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": f"team-{i:02d}"}}) for i in range(NAMESPACES)))
    per_deployment = max(1, pods // deployments)
    made: list[tuple[str, str, dict[str, Any]]] = []
    async with asyncio.TaskGroup() as group:
        for index in range(deployments):
            group.create_task(_deployment(api, index, per_deployment, made))
    pod_items = []
    for namespace, replica_set, uid_owner in made:
        for replica in range(per_deployment):
            name = f"{replica_set}-{replica:02d}"
            body = realistic_pod(name, f"node-{len(pod_items) % nodes:04d}", app=replica_set.rsplit("-", 1)[0])
            body["metadata"]["ownerReferences"] = [uid_owner]
            body["status"] = pod_status(len(pod_items))
            pod_items.append((f"/api/v1/namespaces/{namespace}/pods", body))
    await create_all(api, pod_items, with_status=True)
    await create_all(api, ((f"/api/v1/namespaces/team-{i % NAMESPACES:02d}/events",
                            _event(i, deployments, per_deployment)) for i in range(events)))
    return time.monotonic() - started


async def _deployment(api: aiohttp.ClientSession, index: int, replicas: int,
                      made: list[tuple[str, str, dict[str, Any]]]) -> None:
    """A Deployment and its ReplicaSet (with statuses as the controllers write them); records the ReplicaSet."""
    namespace, name = f"team-{index % NAMESPACES:02d}", f"app-{index:04d}"
    labels = {"app": name}
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.local/app:1"}]}}
    async with api.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json={
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}}) as response:
        deployment = await response.json()
    deployment["status"] = {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                            "updatedReplicas": replicas, "observedGeneration": 1}
    async with api.put(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status", json=deployment):
        pass
    replica_set = f"{name}-7d9f8c6b5"
    async with api.post(f"/apis/apps/v1/namespaces/{namespace}/replicasets", json={
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": replica_set, "labels": labels,
                         "ownerReferences": [owner("Deployment", name, deployment["metadata"]["uid"])]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}}) as response:
        created = await response.json()
    made.append((namespace, replica_set, owner("ReplicaSet", replica_set, created["metadata"]["uid"])))


def _event(index: int, deployments: int, per_deployment: int) -> dict[str, Any]:
    """A warning about one of the seeded pods."""
    deployment = index % deployments
    pod = f"app-{deployment:04d}-7d9f8c6b5-{index % per_deployment:02d}"
    stamp = "2026-12-01T10:00:00Z"
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"event-{index:05d}"},
            "type": "Warning", "reason": "BackOff", "message": f"Back-off restarting failed container ({index})",
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": f"team-{index % NAMESPACES:02d}"},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "source": {"component": "kubelet"}}


async def wait_synced(session: aiohttp.ClientSession, headers: dict[str, str]) -> float:
    """Seconds until every cached kind answers a first page from the cache."""
    started = time.monotonic()
    pending = set(CACHED_KINDS)
    while pending and time.monotonic() - started < SYNC_TIMEOUT_S:
        for kind in sorted(pending):
            async with session.get(f"/api/v1/clusters/1/resources/{kind}?view=table&pageSize=1",
                                   headers=headers) as response:
                if (await response.json())["meta"].get("source") == "cache":
                    pending.discard(kind)
        await asyncio.sleep(0.5)
    if pending:
        raise RuntimeError(f"caches of {sorted(pending)} did not sync within {SYNC_TIMEOUT_S} s")
    return time.monotonic() - started


async def run(scale: float) -> dict[str, Any]:
    """Seed at `scale`, start KubeVision, time the first screens."""
    sizes = {"nodes": int(NODES * scale), "deployments": int(DEPLOYMENTS * scale), "pods": int(PODS * scale),
             "events": int(EVENTS * scale)}
    results: dict[str, Any] = {"sizes": sizes, "scale": scale}
    with control_plane() as plane:
        plane.stop_controllers()
        async with apiserver_session(plane) as api:
            results["seed_s"] = await seed(api, **sizes)
        server = Server(plane.admin_kubeconfig)
        server.start()
        try:
            async with kubevision_session(server) as (session, headers):
                results["sync_s"] = await wait_synced(session, headers)
                screens = {
                    "overview": "/api/v1/clusters/1/overview",
                    "kinds (the sidebar)": "/api/v1/clusters/1/kinds",
                    f"topology of {BUSY_NAMESPACE}": f"/api/v1/clusters/1/namespaces/{BUSY_NAMESPACE}/topology",
                    "search `app-0042`": "/api/v1/clusters/1/search?q=app-0042",
                    "events of a namespace (live, never cached)":
                        f"/api/v1/clusters/1/events?namespace={BUSY_NAMESPACE}",
                }
                for label, path in screens.items():
                    await timed(session, path, 1, headers=headers)  # warm: first-use work is not the point here
                    samples = await timed(session, path, RUNS, headers=headers)
                    results[label] = (median(samples), percentile(samples, 0.95))
        finally:
            server.stop()
    return results


def report(r: dict[str, Any]) -> str:
    """Markdown for one run."""
    sizes = r["sizes"]
    flags = "" if r["scale"] == 1.0 else f" --scale {r['scale']:g}"
    rows = [f"| {label} | {values[0]:.0f} / {values[1]:.0f} ms | ≤ {TARGET_MS} ms |"
            for label, values in r.items() if isinstance(values, tuple)]
    return "\n".join([
        f"## A large mixed cluster: {sizes['nodes']:,} nodes, {sizes['deployments']:,} deployments, "
        f"{sizes['pods']:,} pods, {sizes['events']:,} events",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({platform.machine()}, 2 cores), "
        f"`python -m benchmarks.mixed{flags}`; seeded directly in {r['seed_s']:.0f} s (controllers stopped), caches in "
        f"sync {r['sync_s']:.0f} s after the server started. Medians / p95 of {RUNS} requests after one warm-up.",
        "",
        "| screen | KubeVision | target |",
        "|---|---|---|",
        *rows,
    ])


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print, write docs."""
    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes to seed")

    def measure(args: argparse.Namespace) -> tuple[str, str]:
        return ("mixed" if args.scale == 1.0 else f"mixed-{args.scale:g}"), report(asyncio.run(run(args.scale)))

    return benchmark_main(__doc__, configure, measure, argv)


if __name__ == "__main__":
    raise SystemExit(main())
