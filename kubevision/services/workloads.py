"""`WorkloadService`: the operator actions on workloads and nodes (SPEC §4 "Workload actions").

Scale, restart, rollout history, rollback, pause/resume, trigger a CronJob now, cordon/uncordon. Each
action opens an `AccessScope` (services/access.py: role verbs ∩ cluster grants ∩ namespace grants, `write`
for changes) and is audited through `AuditLog.change` with the scope's audit fields, so the rules and the
audit trail are the same as for CRUD.

Design choices, each the way `kubectl` does it, so that the cluster ends in the state an operator
expects and the Deployment controller keeps its own bookkeeping:

- Scale uses the `scale` subresource (a merge patch of `spec.replicas`), never a patch of the object:
  it works for every kind that has one and does not race with template edits.
- History reads the owned ReplicaSets *from the API server* (not the cache): a rollback right after a
  rollout must see the newest revision, and one namespace's ReplicaSets of one selector are cheap.
- Rollback replaces `spec.template` with the chosen revision's ReplicaSet template minus the
  `pod-template-hash` label (a JSON patch, so no stale map key of the current template survives a
  merge). The controller then adopts that ReplicaSet again and gives it the next revision number.
- A manual CronJob run is the Job `kubectl create job --from=cronjob/...` makes: the CronJob's job
  template, annotation `cronjob.kubernetes.io/instantiate: manual`, and a controller ownerReference to
  the CronJob (so deleting the CronJob cleans it up). API versions come from the registry: on 1.20
  CronJobs are `batch/v1beta1` while Jobs are `batch/v1`.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, ErrorCode, code_for
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.errors import KubeError
from kubevision.kube.registry import Capability
from kubevision.services.access import AccessScope, lookup_kind
from kubevision.services.audit import AuditLog
from kubevision.services.context import ObjectRef, RequestContext
from kubevision.services.drain import DrainOptions, DrainReport, NodeDrain, plan
from kubevision.services.resource_writes import FIELD_MANAGER, PATCH_CONTENT_TYPES, ResourceWriter

Obj = dict[str, Any]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"
MANUAL_SUFFIX = "-manual-"
# Job names become the `job-name` label of their pods, and label values are at most 63 characters.
JOB_NAME_MAX_CHARS = 63
RANDOM_SUFFIX_CHARS = 5
# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alike digits).
RANDOM_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# spec.replicas is an int32.
MAX_REPLICAS = 2**31 - 1
# Drain reports kept for `GET .../drain` (the newest per node; the oldest node's is forgotten past this).
MAX_DRAIN_REPORTS = 256


def revision_of(obj: Obj) -> int | None:
    """The `deployment.kubernetes.io/revision` annotation as a number (None when absent or malformed)."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _images(template: Obj) -> list[str]:
    containers = (template.get("spec") or {}).get("containers") or []
    return [c.get("image", "") for c in containers]


def _owned_by(obj: Obj, uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in (obj.get("metadata") or {}).get("ownerReferences") or [])


def manual_job_name(cronjob_name: str) -> str:
    """`<cronjob>-manual-<random>`, shortened so the whole name fits in a label value."""
    suffix = "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_SUFFIX_CHARS))
    keep = JOB_NAME_MAX_CHARS - len(MANUAL_SUFFIX) - RANDOM_SUFFIX_CHARS
    return f"{cronjob_name[:keep].rstrip('-.')}{MANUAL_SUFFIX}{suffix}"


class WorkloadService:
    """Authorized, audited workload and node actions."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog, writer: ResourceWriter) -> None:
        self.clusters = clusters
        self._audit = audit
        self._writer = writer  # the restart shared with the batch restart
        self._drains: dict[tuple[int, str], DrainReport] = {}  # the newest drain of each (cluster, node)

    async def _target(self, context: RequestContext, cluster_id: int, resource: str, namespace: str | None,
                      verb: Verb) -> AccessScope:
        target = await AccessScope.open(context, self.clusters, cluster_id, resource, namespace=namespace, verb=verb)
        if target.kind.namespaced and not target.namespace:
            raise ApiError(ErrorCode.PARAM_MISSING, "namespace is required")
        return target

    @staticmethod
    async def _patch(target: AccessScope, name: str, patch: Any, *, kind: str = "merge",
                     subresource: str | None = None, dry_run: bool = False) -> Obj:
        return await target.cluster.request(
            "PATCH", target.kind.object_path(name, target.namespace, subresource), body=patch,
            content_type=PATCH_CONTENT_TYPES[kind],
            params={"dryRun": "All" if dry_run else None, "fieldManager": FIELD_MANAGER})

    # -- scale / restart ---------------------------------------------------------------------------
    async def scale(self, context: RequestContext, cluster_id: int, resource: str, name: str, *, namespace: str,
                    replicas: int) -> Obj:
        """Set `spec.replicas` through the scale subresource; returns the resulting Scale summary."""
        if replicas < 0 or replicas > MAX_REPLICAS:
            raise ApiError(ErrorCode.PARAM_INVALID, f"replicas must be between 0 and {MAX_REPLICAS}")
        target = await self._target(context, cluster_id, resource, namespace, Verb.WRITE)
        if "scale" not in target.kind.subresources:
            raise ApiError(ErrorCode.PARAM_INVALID, f"{target.kind.name} cannot be scaled "
                                                    "(no scale subresource); use deployments, statefulsets "
                                                    "or replicasets")
        path = target.kind.object_path(name, target.namespace, "scale")
        before = await target.cluster.request("GET", path)
        previous = (before.get("spec") or {}).get("replicas", 0)
        scale = await self._audit.change(
            "workload.scale", self._patch(target, name, {"spec": {"replicas": replicas}}, subresource="scale"),
            name=name, detail={"replicas": replicas, "previous": previous}, **target.audit_fields())
        return {"kind": target.kind.name, "namespace": target.namespace, "name": name,
                "replicas": (scale.get("spec") or {}).get("replicas", 0), "previousReplicas": previous,
                "currentReplicas": (scale.get("status") or {}).get("replicas", 0),
                "selector": (scale.get("status") or {}).get("selector")}

    async def restart(self, context: RequestContext, cluster_id: int, resource: str, name: str, *,
                      namespace: str) -> Obj:
        """`kubectl rollout restart`: stamp the pod template (shared with the batch restart)."""
        return await self._writer.restart_workload(
            context, ObjectRef(cluster_id=cluster_id, resource=resource, name=name, namespace=namespace))

    # -- deployments -------------------------------------------------------------------------------
    @staticmethod
    async def _replicasets_of(target: AccessScope, deployment: Obj) -> list[Obj]:
        """The ReplicaSets a Deployment owns, oldest revision first (live read, see module docstring)."""
        rs_kind = await lookup_kind(target.cluster, "replicasets")
        target.for_kind(rs_kind).require(Verb.READ)
        match_labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = ",".join(f"{k}={v}" for k, v in match_labels.items()) or None
        listing = await target.cluster.request("GET", rs_kind.collection_path(target.namespace),
                                               params={"labelSelector": selector})
        uid = (deployment.get("metadata") or {}).get("uid", "")
        owned = [rs for rs in listing.get("items") or [] if _owned_by(rs, uid)]
        owned.sort(key=lambda rs: (revision_of(rs) or 0, (rs.get("metadata") or {}).get("creationTimestamp", "")))
        return owned

    async def history(self, context: RequestContext, cluster_id: int, name: str, *, namespace: str) -> list[Obj]:
        """Rollout history, newest revision first: `{revision, changeCause, images, createdAt, current, ...}`."""
        target = await self._target(context, cluster_id, "deployments", namespace, Verb.READ)
        deployment = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
        current = revision_of(deployment)
        entries = []
        for rs in reversed(await self._replicasets_of(target, deployment)):
            metadata = rs.get("metadata") or {}
            template = (rs.get("spec") or {}).get("template") or {}
            revision = revision_of(rs)
            entries.append({
                "revision": revision,
                "changeCause": (metadata.get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION),
                "images": _images(template),
                "createdAt": metadata.get("creationTimestamp"),
                "current": revision is not None and revision == current,
                "replicaSet": metadata.get("name"),
                "replicas": (rs.get("spec") or {}).get("replicas", 0),
                "readyReplicas": (rs.get("status") or {}).get("readyReplicas", 0),
            })
        return entries

    async def rollback(self, context: RequestContext, cluster_id: int, name: str, *, namespace: str,
                       revision: int | None = None, dry_run: bool = False) -> Obj:
        """Put back the pod template of `revision` (default: the one before the current); 40400 if unknown.

        `dry_run`: nothing changes and nothing is audited; the result then carries `current` and `proposed`, the
        deployment now and as the API server would make it (masked as for the caller)."""
        if revision is not None and revision < 1:
            raise ApiError(ErrorCode.PARAM_INVALID, "revision must be a positive integer")
        target = await self._target(context, cluster_id, "deployments", namespace, Verb.WRITE)
        deployment = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
        if (deployment.get("spec") or {}).get("paused"):
            raise ApiError(ErrorCode.PARAM_INVALID, f"deployment {name!r} is paused; resume it before a rollback")
        current = revision_of(deployment)
        by_revision = {revision_of(rs): rs for rs in await self._replicasets_of(target, deployment)}
        by_revision.pop(None, None)
        if revision is None:
            older = [r for r in by_revision if current is None or r < current]
            if not older:
                raise ApiError(ErrorCode.NOT_FOUND, f"deployment {name!r} has no previous revision")
            revision = max(older)
        chosen = by_revision.get(revision)
        if chosen is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"deployment {name!r} has no revision {revision}")
        result = {"name": name, "namespace": target.namespace, "revision": revision, "fromRevision": current,
                  "skipped": revision == current}
        if revision == current:  # kubectl: "skipped rollback (current template already matches revision N)"
            return {**result, "current": target.present(deployment), "proposed": target.present(deployment)} \
                if dry_run else result
        template = copy.deepcopy((chosen.get("spec") or {}).get("template") or {})
        (template.get("metadata") or {}).get("labels", {}).pop(POD_TEMPLATE_HASH_LABEL, None)
        patch: list[Obj] = [{"op": "replace", "path": "/spec/template", "value": template}]
        cause = ((chosen.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
        annotations = (deployment.get("metadata") or {}).get("annotations") or {}
        cause_path = "/metadata/annotations/" + CHANGE_CAUSE_ANNOTATION.replace("~", "~0").replace("/", "~1")
        if cause is not None:
            if not annotations:
                patch.append({"op": "add", "path": "/metadata/annotations", "value": {}})
            patch.append({"op": "add", "path": cause_path, "value": cause})
        elif CHANGE_CAUSE_ANNOTATION in annotations:
            patch.append({"op": "remove", "path": cause_path})
        if dry_run:
            proposed = await self._patch(target, name, patch, kind="json", dry_run=True)
            return {**result, "current": target.present(deployment), "proposed": target.present(proposed)}
        await self._audit.change("deployment.rollback", self._patch(target, name, patch, kind="json"), name=name,
                                 detail={"revision": revision, "fromRevision": current}, **target.audit_fields())
        return result

    async def set_paused(self, context: RequestContext, cluster_id: int, name: str, *, namespace: str,
                         paused: bool) -> Obj:
        """Pause or resume a Deployment's rollouts (`spec.paused`)."""
        target = await self._target(context, cluster_id, "deployments", namespace, Verb.WRITE)
        patched = await self._audit.change(
            "deployment.pause" if paused else "deployment.resume",
            self._patch(target, name, {"spec": {"paused": paused}}), name=name, **target.audit_fields())
        return target.present(patched)

    # -- cronjobs ----------------------------------------------------------------------------------
    async def trigger_cronjob(self, context: RequestContext, cluster_id: int, name: str, *, namespace: str) -> Obj:
        """Create a Job from a CronJob's template now (needs `write` on jobs); returns the Job."""
        target = await self._target(context, cluster_id, "cronjobs", namespace, Verb.READ)
        job_kind = await lookup_kind(target.cluster, "jobs")
        jobs = target.for_kind(job_kind)
        jobs.require(Verb.WRITE)
        cronjob = await target.cluster.request("GET", target.kind.object_path(name, target.namespace))
        job_template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
        template_meta = job_template.get("metadata") or {}
        job_name = manual_job_name(name)
        job = {
            "apiVersion": job_kind.api_version, "kind": job_kind.kind,
            "metadata": {
                "name": job_name, "namespace": target.namespace,
                "labels": dict(template_meta.get("labels") or {}),
                "annotations": {**(template_meta.get("annotations") or {}), INSTANTIATE_ANNOTATION: "manual"},
                "ownerReferences": [{
                    "apiVersion": target.kind.api_version, "kind": target.kind.kind, "name": name,
                    "uid": (cronjob.get("metadata") or {}).get("uid"), "controller": True,
                    "blockOwnerDeletion": True,
                }],
            },
            "spec": job_template.get("spec") or {},
        }
        created = await self._audit.change(
            "cronjob.trigger",
            target.cluster.request("POST", job_kind.collection_path(target.namespace), body=job,
                                   params={"fieldManager": FIELD_MANAGER}),
            name=name, detail={"job": job_name}, **target.audit_fields())
        return jobs.present(created)

    # -- nodes -------------------------------------------------------------------------------------
    async def set_cordoned(self, context: RequestContext, cluster_id: int, name: str, *, cordoned: bool,
                           dry_run: bool = False) -> Obj:
        """Cordon (`spec.unschedulable: true`) or uncordon (field removed, as kubectl does) a node (`dry_run`: the
        node as the API server would make it; nothing changes and nothing is audited)."""
        target = await self._target(context, cluster_id, "nodes", None, Verb.WRITE)
        patch = self._patch(target, name, {"spec": {"unschedulable": True if cordoned else None}}, dry_run=dry_run)
        if dry_run:
            return target.present(await patch)
        patched = await self._audit.change("node.cordon" if cordoned else "node.uncordon", patch, name=name,
                                           **target.audit_fields())
        return target.present(patched)

    # -- drain -------------------------------------------------------------------------------------
    async def drain(self, context: RequestContext, cluster_id: int, name: str, *, options: DrainOptions) -> Obj:
        """`kubectl drain` (see `services/drain.py`): needs `write` on nodes and `delete` on pods everywhere.

        A dry run answers the plan. A drain with blocking pods is refused (40002, the plan in `data`) before
        anything changes; one that leaves pods behind when its time is up answers 40901 with the report in
        `data`; otherwise the report. Audited as `node.drain` (refusals included)."""
        nodes = await self._target(context, cluster_id, "nodes", None, Verb.WRITE)
        if Capability.DRAIN not in nodes.kind.capabilities:
            raise ApiError(ErrorCode.PARAM_INVALID, "this cluster serves no pods/eviction subresource to drain with")
        pods = nodes.for_kind(await lookup_kind(nodes.cluster, "pods"))
        pods.require(Verb.DELETE)
        key = (cluster_id, name)
        previous = self._drains.get(key)
        if not options.dry_run and previous is not None and previous.state == "running":
            raise ApiError(ErrorCode.CONFLICT, f"node {name!r} is being drained already")
        report = await self._plan(nodes, pods, name, options)
        if options.dry_run:
            return report.to_json()
        audit_fields = {**nodes.audit_fields(), "name": name}
        if report.blocking:
            reasons = "; ".join(f"{pod.namespace}/{pod.name}: {pod.reason}" for pod in report.blocking)
            error = ApiError(ErrorCode.PARAM_INVALID, f"cannot drain node {name!r}: {reasons}", data=report.to_json())
            self._audit.record("node.drain", code=int(error.code), detail=options.to_json(), **audit_fields)
            raise error
        self._drains.pop(key, None)
        self._drains[key] = report
        while len(self._drains) > MAX_DRAIN_REPORTS:
            self._drains.pop(next(iter(self._drains)))
        entry = await self._audit.begin("node.drain", detail=options.to_json(), **audit_fields)
        try:
            await NodeDrain(nodes.cluster, pods.kind, report).run(
                lambda: self._patch(nodes, name, {"spec": {"unschedulable": True}}))
        except Exception as exc:
            report.state, report.finished_at = "incomplete", time.time()
            await self._audit.finish(entry, int(code_for(exc)))
            raise
        left = [f"{pod.namespace}/{pod.name}" for pod in report.left]
        await self._audit.finish(entry, int(ErrorCode.CONFLICT if left else ErrorCode.SUCCESS),
                                 evicted=report.to_json()["counts"]["evicted"], left=left)
        if left:
            why = "; ".join(f"{pod.namespace}/{pod.name}: {pod.message}" for pod in report.left)
            raise ApiError(ErrorCode.CONFLICT, f"node {name!r} is cordoned but {len(left)} pod"
                                               f"{'' if len(left) == 1 else 's'} could not be evicted: {why}",
                           data=report.to_json())
        return report.to_json()

    async def drain_progress(self, context: RequestContext, cluster_id: int, name: str) -> Obj:
        """The newest drain of a node started through this server, as it stands (40400 when there is none)."""
        await self._target(context, cluster_id, "nodes", None, Verb.READ)
        report = self._drains.get((cluster_id, name))
        if report is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"node {name!r} has not been drained through KubeVision")
        return report.to_json()

    @staticmethod
    async def _plan(nodes: AccessScope, pods: AccessScope, name: str, options: DrainOptions) -> DrainReport:
        """Read the node (40400), its pods and the budgets of their namespaces; decide for each pod."""
        await nodes.cluster.request("GET", nodes.kind.object_path(name))
        listing = await nodes.cluster.request("GET", pods.kind.collection_path(),
                                              params={"fieldSelector": f"spec.nodeName={name}"})
        on_node = listing.get("items") or []
        budget_kind = await lookup_kind(nodes.cluster, "poddisruptionbudgets")
        budgets: list[Obj] = []
        for namespace in sorted({(pod.get("metadata") or {}).get("namespace", "") for pod in on_node}):
            try:
                listed = await nodes.cluster.request("GET", budget_kind.collection_path(namespace))
            except KubeError as exc:
                raise ApiError(ErrorCode.FORBIDDEN, "cannot read the PodDisruptionBudgets of namespace "
                                                    f"{namespace!r}: {exc.message}") from exc
            budgets += listed.get("items") or []
        return plan(name, on_node, budgets, options, budget_version=budget_kind.version)


WORKLOADS = web.AppKey("workloads", WorkloadService)
