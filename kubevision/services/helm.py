"""`HelmService`: Helm 3 releases — detail, history, diff, rollback and uninstall — in Helm's own storage format.

Releases are the registry kind `releases.helm.sh` (`kube/registry.py: HELM_RELEASES`), listed from the release
cache (`kube/helm_cache.py`) by the generic list and watch like any kind. This service reads a release's records
(Secrets or ConfigMaps, `kube/helm.py`) live, decodes them on demand and never keeps them.

Access, through the access scope:

- reading a release (detail, history, diff) needs `read` on `releases.helm.sh` in its namespace *and* `read` on
  the kind its records are stored in (`secrets` for Helm's default driver, `configmaps`): they are those objects;
- values (user-supplied and computed), and the Secret objects in the manifest and hooks, are masked unless the
  caller asks to reveal them and may `reveal` both releases and Secrets there (audited `helm.reveal`); values are
  masked leaf by leaf (keys kept), Secret documents as `kube/masking.py` masks Secrets;
- a rollback needs `write` on releases, on every kind it applies and on the records' kind, and `delete` on the
  kinds of objects it removes; an uninstall needs `delete` on releases and on every object's kind, and `delete`
  (or, keeping history, `write`) on the records' kind. Every rollback and uninstall is audited once
  (`helm.rollback`, `helm.uninstall`) with its outcome; refusals before anything is sent have their code.

Rollback follows Helm 3: a new record (revision = latest + 1) copies the target revision's chart, config,
manifest, hooks and notes, `first_deployed` of the current one, description `Rollback to N`; it is written as
`pending-rollback`, the target manifest is applied, objects of the current manifest that the target lacks are
deleted, then every `deployed` record becomes `superseded` and the new one `deployed` (on failure: the new one
`failed` with Helm's `Rollback "<name>" failed: ...` description). Objects are applied with server-side apply
(field manager `kubevision`, force): the API server merges each object itself, no last-applied state is needed
and fields other managers own (an HPA's replicas) are kept unless the manifest sets them; each object gets the
ownership metadata Helm adds (`app.kubernetes.io/managed-by: Helm`, `meta.helm.sh/release-name`/`-namespace`).
Hooks are not run. Records are written with the labels Helm's drivers leave: Create adds `createdAt`, Update
replaces the label set with the release's labels plus `modifiedAt` (so the new revision, created then updated,
carries the target's own labels and `modifiedAt`, not `createdAt`, as after `helm rollback`).
Uninstall follows `helm uninstall`: the latest record becomes `uninstalling`, the manifest's objects are deleted
(in reverse manifest order, except those annotated `helm.sh/resource-policy: keep`), then every record is
deleted, or, keeping history, the latest becomes `uninstalled` with `Uninstallation complete`.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import re
import time
from typing import Any

from aiohttp import web

from kubevision.auth.permissions import Verb
from kubevision.errors import ApiError, CodedError, ErrorCode, code_for
from kubevision.kube.clusters import ClusterManager
from kubevision.kube.errors import KubeError, NotFoundError
from kubevision.kube.helm import (
    RECORD_SELECTOR,
    SECRETS_DRIVER,
    decode_record_async,
    helm_info,
    helm_release,
    helm_time,
    info_description,
    parse_record_name,
    record_object,
    summarize_record,
)
from kubevision.kube.helm_cache import ReleaseCache
from kubevision.kube.manifests import dump_yaml, off_loop, parse_manifests
from kubevision.kube.masking import SECRET_MASK, mask_secret
from kubevision.kube.registry import HELM_RELEASES, ResourceKind
from kubevision.services.access import AccessScope
from kubevision.services.audit import AuditLog
from kubevision.services.context import RequestContext
from kubevision.services.resource_writes import FIELD_MANAGER

Obj = dict[str, Any]
# Helm's own limit on release names (they become label values and parts of record names).
MAX_RELEASE_NAME_CHARS = 53
_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# Records read per list page (each may be up to ~1.5 MiB).
RECORD_PAGE_SIZE = 50
# How long a read waits for the release cache's first list.
CACHE_SYNC_TIMEOUT_S = 10.0
KEEP_ANNOTATION = "helm.sh/resource-policy"
# The ownership metadata Helm puts on every object it applies (pkg/action/validate.go).
MANAGED_BY_LABEL, MANAGED_BY_HELM = "app.kubernetes.io/managed-by", "Helm"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"
# Values every chart and subchart shares (Helm's `chartutil.GlobalKey`).
GLOBAL_KEY = "global"
_DOCUMENT_SEPARATOR = re.compile(r"(?m)^---[ \t]*$")
# Labels Helm's drivers set themselves; the rest of a record's labels are the release's own (copied on rollback).
_SYSTEM_LABELS = frozenset({"name", "owner", "status", "version", "createdAt", "modifiedAt"})


@dataclasses.dataclass
class Record:
    """One stored revision: the Secret or ConfigMap, its driver and its summary."""

    driver: str
    obj: Obj
    summary: Obj

    @property
    def revision(self) -> int:
        """The revision number (from the labels, else the name)."""
        return int(self.summary["revision"])


@dataclasses.dataclass
class ManifestObject:
    """One object of a release's manifest, resolved against the cluster's kinds."""

    document: Obj
    kind: ResourceKind | None
    namespace: str | None

    @property
    def name(self) -> str:
        """metadata.name."""
        return str((self.document.get("metadata") or {}).get("name") or "")

    @property
    def identity(self) -> tuple[str, str, str | None, str]:
        """(group, kind, namespace, name): what makes two manifests' objects the same object."""
        api_version = str(self.document.get("apiVersion") or "")
        return api_version.rpartition("/")[0], str(self.document.get("kind") or ""), self.namespace, self.name

    def describe(self, action: str) -> Obj:
        """A line of a plan or result."""
        return {"action": action, "apiVersion": self.document.get("apiVersion"), "kind": self.document.get("kind"),
                "namespace": self.namespace, "name": self.name,
                "resource": self.kind.name if self.kind is not None else None}


def coalesce_values(defaults: Any, overrides: Any) -> Any:
    """`overrides` merged over `defaults` as Helm coalesces values: maps recursively, a null removes a default."""
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return copy.deepcopy(overrides if overrides is not None else defaults)
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce_values(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _given_globals(subchart: Obj, parent_globals: Obj) -> Obj:
    """A subchart's `global` with the parent's globals given to it (Helm's `coalesceGlobals`): the parent's win,
    maps are merged, and a parent scalar never replaces a subchart map."""
    own = subchart.get(GLOBAL_KEY)
    merged = dict(own) if isinstance(own, dict) else {}
    for key, value in parent_globals.items():
        if isinstance(value, dict):
            known = merged.get(key)
            if known is None or isinstance(known, dict):
                merged[key] = coalesce_values(known or {}, value)
        elif not isinstance(merged.get(key), dict):
            merged[key] = copy.deepcopy(value)
    return merged


def computed_values(chart: Obj, config: Any) -> Any:
    """The values the release's templates were rendered with (Helm's `chartutil.CoalesceValues`): the user's
    values over the chart's defaults, then the parent's `global` values given to every subchart.

    A record holds no subchart itself (`Chart.dependencies` is not serialized), but what Helm needs of them is
    there: at install and upgrade Helm merges each enabled subchart's defaults into the parent chart's values
    under the subchart's name (or alias) before it stores the chart (`processImportValues`), and keeps in
    `chart.metadata.dependencies` only the enabled subcharts, named by their alias."""
    merged = coalesce_values(chart.get("values") or {}, config or {})
    metadata = chart.get("metadata") if isinstance(chart.get("metadata"), dict) else {}
    if not isinstance(merged, dict):
        return merged
    parent_globals = merged.get(GLOBAL_KEY) if isinstance(merged.get(GLOBAL_KEY), dict) else {}
    for dependency in metadata.get("dependencies") or []:
        name = (dependency.get("alias") or dependency.get("name")) if isinstance(dependency, dict) else None
        section = merged.get(name, {}) if name else None
        if isinstance(section, dict):  # Helm refuses a subchart whose values are not a map; shown as stored
            merged[name] = {**section, GLOBAL_KEY: _given_globals(section, parent_globals)}
    return merged


def mask_values(values: Any) -> Any:
    """Values with every leaf replaced by the mask (keys and list lengths kept)."""
    if isinstance(values, dict):
        return {key: mask_values(value) for key, value in values.items()}
    if isinstance(values, list):
        return [mask_values(value) for value in values]
    return SECRET_MASK if values is not None else None


def _documents(manifest: str) -> list[str]:
    return [text for text in _DOCUMENT_SEPARATOR.split(manifest or "") if text.strip()]


def mask_manifest(manifest: str) -> str:
    """A rendered manifest with every Secret document's values masked (blocking; see `off_loop`). A document that
    does not parse is withheld: it could be a Secret."""
    shown = []
    for text in _documents(manifest):
        comments = "".join(line + "\n" for line in text.strip("\n").splitlines() if line.startswith("#"))
        try:
            parsed = parse_manifests(text)
        except (ApiError, CodedError):
            shown.append(f"{comments}# (document not shown: it does not parse)\n")
            continue
        documents = [manifest.document for manifest in parsed]
        if any(isinstance(doc, dict) and doc.get("kind") == "Secret" for doc in documents):
            body = "---\n".join(dump_yaml(mask_secret(doc) if isinstance(doc, dict) and doc.get("kind") == "Secret"
                                          else doc, sort_keys=False) for doc in documents)
            shown.append(comments + body)
        else:
            shown.append(text.strip("\n") + "\n")
    return "".join(f"---\n{text}" for text in shown)


def text_diff(before: str, after: str, *, old: str, new: str) -> str:
    """A unified diff of two texts."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=old, tofile=new))


def _values_yaml(values: Any) -> str:
    return dump_yaml(values or {}, sort_keys=True, default_flow_style=False)


class HelmService:
    """Authorized, audited reads and changes of Helm releases."""

    def __init__(self, clusters: ClusterManager, audit: AuditLog) -> None:
        self.clusters = clusters
        self._audit = audit

    # -- scopes and records ----------------------------------------------------------------------------
    async def _open(self, context: RequestContext, cluster_id: int, namespace: str, name: str,
                    verb: Verb) -> AccessScope:
        if len(name) > MAX_RELEASE_NAME_CHARS or not _RELEASE_NAME.match(name):
            raise ApiError(ErrorCode.PARAM_INVALID, f"{name!r} is not a Helm release name (lower-case letters, "
                                                    f"digits, '-' and '.', at most {MAX_RELEASE_NAME_CHARS})")
        scope = await AccessScope.open(context, self.clusters, cluster_id, HELM_RELEASES.qualified, namespace=namespace,
                                       verb=verb)
        scope.require_namespace()
        return scope

    async def _driver_scope(self, scope: AccessScope, driver: str) -> AccessScope:
        return scope.for_kind((await scope.cluster.registry()).lookup(driver))

    async def _records(self, scope: AccessScope, name: str) -> list[Record]:
        """Every record of the release, oldest revision first (read live; `read` on their kind needed)."""
        cache = await scope.cluster.caches.synced(scope.kind, timeout_s=CACHE_SYNC_TIMEOUT_S)
        drivers = cache.drivers_of(scope.namespace, name) if isinstance(cache, ReleaseCache) else set()
        if not drivers:
            raise ApiError(ErrorCode.NOT_FOUND, f"release {name!r} not found in namespace {scope.namespace!r}")
        records = []
        for driver in sorted(drivers):
            driver_scope = await self._driver_scope(scope, driver)
            driver_scope.require(Verb.READ)
            token = None
            while True:
                page = await scope.cluster.request(
                    "GET", driver_scope.kind.collection_path(scope.namespace),
                    params={"labelSelector": f"{RECORD_SELECTOR},name={name}", "limit": RECORD_PAGE_SIZE,
                            "continue": token})
                for obj in page.get("items") or []:
                    obj.setdefault("kind", driver_scope.kind.kind)
                    obj.setdefault("apiVersion", driver_scope.kind.api_version)
                    if parse_record_name((obj.get("metadata") or {}).get("name") or "") is not None:
                        records.append(Record(driver, obj, summarize_record(obj)))
                token = (page.get("metadata") or {}).get("continue")
                if not token:
                    break
        if not records:
            raise ApiError(ErrorCode.NOT_FOUND, f"release {name!r} not found in namespace {scope.namespace!r}")
        return sorted(records, key=lambda record: record.revision)

    @staticmethod
    def _pick(records: list[Record], revision: int | None, name: str) -> Record:
        if revision is None:
            return records[-1]
        for record in records:
            if record.revision == revision:
                return record
        raise ApiError(ErrorCode.NOT_FOUND, f"release {name!r} has no revision {revision}")

    async def _reveals(self, scope: AccessScope, reveal: bool, name: str) -> bool:
        """Whether values and Secret documents are shown: asked for and allowed (40300 otherwise), audited."""
        if not reveal:
            return False
        scope.require(Verb.REVEAL)
        (await self._driver_scope(scope, SECRETS_DRIVER)).require(Verb.REVEAL)
        self._audit.record("helm.reveal", name=name, **scope.audit_fields())
        return True

    # -- reads -------------------------------------------------------------------------------------------
    async def detail(self, context: RequestContext, cluster_id: int, *, namespace: str, name: str,
                     revision: int | None = None, reveal: bool = False) -> Obj:
        """One revision (default: the latest) with chart, notes, values, manifest, hooks and its objects."""
        scope = await self._open(context, cluster_id, namespace, name, Verb.READ)
        records = await self._records(scope, name)
        record = self._pick(records, revision, name)
        revealing = await self._reveals(scope, reveal, name)
        release = await decode_record_async(record.obj)
        chart = release.get("chart") if isinstance(release.get("chart"), dict) else {}
        info = release.get("info") if isinstance(release.get("info"), dict) else {}
        config = release.get("config") or {}
        computed = computed_values(chart, config)
        manifest = str(release.get("manifest") or "")
        hooks = [hook for hook in release.get("hooks") or [] if isinstance(hook, dict)]
        objects = await self._manifest_objects(scope, manifest)
        if not revealing:
            config, computed = mask_values(config), mask_values(computed)
            manifest = await off_loop(mask_manifest, manifest)
            hooks = [{**hook, "manifest": await off_loop(mask_manifest, str(hook.get("manifest") or ""))}
                     for hook in hooks]
        metadata = chart.get("metadata") or {}
        return {
            "name": name, "namespace": scope.namespace, "revision": record.revision,
            "latestRevision": records[-1].revision, "status": (info.get("status") or record.summary["status"]),
            "description": info_description(info), "firstDeployed": info.get("first_deployed"),
            "lastDeployed": info.get("last_deployed"), "deleted": info.get("deleted"),
            "notes": info.get("notes") or "", "chart": metadata, "appVersion": metadata.get("appVersion") or "",
            "driver": record.driver, "record": record.summary["record"], "values": config,
            "computedValues": computed, "manifest": manifest,
            "hooks": [{key: hook.get(key) for key in ("name", "kind", "path", "events", "weight", "delete_policies",
                                                      "last_run", "manifest")} for hook in hooks],
            "objects": [self._live(scope, obj) for obj in objects], "revealed": revealing,
        }

    @staticmethod
    def _live(scope: AccessScope, obj: ManifestObject) -> Obj:
        """A manifest object with its live state where a cache holds its kind and the caller may read it: `exists`
        and the table row's `status` (both None when not known without asking the API server)."""
        line: Obj = {**obj.describe("listed"), "exists": None, "status": None}
        if obj.kind is None or not scope.for_kind(obj.kind, namespace=obj.namespace).may(Verb.READ):
            return line
        cache = scope.cluster.caches.for_reads(obj.kind)
        if cache is None:
            return line
        entry = cache.get(obj.namespace, obj.name)
        return {**line, "exists": entry is not None, "status": entry.row.get("status") if entry else None}

    async def history(self, context: RequestContext, cluster_id: int, *, namespace: str, name: str) -> list[Obj]:
        """Every revision, newest first: revision, status, chart, app version, description, updated."""
        scope = await self._open(context, cluster_id, namespace, name, Verb.READ)
        records = await self._records(scope, name)
        return [{key: record.summary[key] for key in ("revision", "status", "chart", "chartName", "chartVersion",
                                                      "appVersion", "description", "updated", "driver", "record",
                                                      "error")} for record in reversed(records)]

    async def diff(self, context: RequestContext, cluster_id: int, *, namespace: str, name: str, from_revision: int,
                   to_revision: int, reveal: bool = False) -> Obj:
        """Unified diffs of the user values and the manifests of two revisions."""
        scope = await self._open(context, cluster_id, namespace, name, Verb.READ)
        records = await self._records(scope, name)
        before = await decode_record_async(self._pick(records, from_revision, name).obj)
        after = await decode_record_async(self._pick(records, to_revision, name).obj)
        revealing = await self._reveals(scope, reveal, name)
        return {"from": from_revision, "to": to_revision, "revealed": revealing,
                **await off_loop(self._diffs, before, after, revealing, from_revision, to_revision)}

    @staticmethod
    def _diffs(before: Obj, after: Obj, revealing: bool, from_revision: int, to_revision: int) -> Obj:
        """The values and manifest diffs (blocking)."""
        def shown(release: Obj) -> tuple[str, str]:
            config, manifest = release.get("config") or {}, str(release.get("manifest") or "")
            if not revealing:
                config, manifest = mask_values(config), mask_manifest(manifest)
            return _values_yaml(config), manifest
        (old_values, old_manifest), (new_values, new_manifest) = shown(before), shown(after)
        old, new = f"revision {from_revision}", f"revision {to_revision}"
        return {"values": text_diff(old_values, new_values, old=old, new=new),
                "manifest": text_diff(old_manifest, new_manifest, old=old, new=new)}

    # -- manifests -----------------------------------------------------------------------------------------
    async def _manifest_objects(self, scope: AccessScope, manifest: str) -> list[ManifestObject]:
        """The manifest's objects, each with its kind (None when the cluster does not serve it) and namespace."""
        if not manifest.strip():
            return []
        documents = [m.document for m in await off_loop(parse_manifests, manifest) if isinstance(m.document, dict)]
        registry = await scope.cluster.registry()
        objects = []
        for document in documents:
            group, _, version = str(document.get("apiVersion") or "").rpartition("/")
            kind = registry.find(group, str(document.get("kind") or ""), version)
            namespace = None
            if kind is None or kind.namespaced:
                namespace = (document.get("metadata") or {}).get("namespace") or scope.namespace
            objects.append(ManifestObject(document, kind, namespace))
        return objects

    @staticmethod
    def _require_served(objects: list[ManifestObject]) -> None:
        for obj in objects:
            if obj.kind is None:
                raise ApiError(ErrorCode.PARAM_INVALID, f"the cluster does not serve {obj.document.get('apiVersion')} "
                                                        f"{obj.document.get('kind')} (object {obj.name!r})")

    def _object_scope(self, scope: AccessScope, obj: ManifestObject) -> AccessScope:
        assert obj.kind is not None
        return scope.for_kind(obj.kind, namespace=obj.namespace)

    async def _apply(self, scope: AccessScope, obj: ManifestObject, *, release: str, dry_run: bool) -> Obj:
        """Server-side apply of one manifest object, with the ownership metadata Helm adds to every object it
        applies (`setMetadataVisitor`: managed-by label, release name and namespace annotations)."""
        target = self._object_scope(scope, obj)
        body = dict(obj.document)
        metadata = dict(body.get("metadata") or {})
        metadata["labels"] = {**(metadata.get("labels") or {}), MANAGED_BY_LABEL: MANAGED_BY_HELM}
        metadata["annotations"] = {**(metadata.get("annotations") or {}), RELEASE_NAME_ANNOTATION: release,
                                   RELEASE_NAMESPACE_ANNOTATION: str(scope.namespace)}
        if obj.namespace:
            metadata["namespace"] = obj.namespace
        body["metadata"] = metadata
        return await target.cluster.request(
            "PATCH", target.kind.object_path(obj.name, target.namespace), body=body,
            content_type="application/apply-patch+yaml",
            params={"fieldManager": FIELD_MANAGER, "force": "true", "dryRun": "All" if dry_run else None})

    async def _delete(self, scope: AccessScope, obj: ManifestObject) -> bool:
        """Delete one object (background propagation); False when it was already gone."""
        target = self._object_scope(scope, obj)
        try:
            await target.cluster.request("DELETE", target.kind.object_path(obj.name, target.namespace),
                                         params={"propagationPolicy": "Background"})
        except NotFoundError:
            return False
        return True

    # -- record writes -------------------------------------------------------------------------------------
    async def _write_record(self, scope: AccessScope, release: Obj, *, driver: str, labels: dict[str, str],
                            current: Obj | None) -> Obj:
        """Create a record (`current` None) or replace `current`'s payload and labels, as Helm's drivers do: the
        labels are the release's `labels` (what Helm holds as `Release.Labels`) plus `createdAt` (on Create) or
        `modifiedAt` (on Update, which replaces the whole label set) and the four system labels."""
        driver_scope = await self._driver_scope(scope, driver)
        stamp = str(int(time.time()))
        body = record_object(release, driver=driver,
                             extra_labels={**labels, ("modifiedAt" if current else "createdAt"): stamp})
        if current is None:
            return await scope.cluster.request("POST", driver_scope.kind.collection_path(scope.namespace), body=body)
        body["metadata"] = {**(current.get("metadata") or {}), "labels": body["metadata"]["labels"]}
        body["metadata"].pop("managedFields", None)
        name = body["metadata"]["name"]
        return await scope.cluster.request("PUT", driver_scope.kind.object_path(name, scope.namespace), body=body)

    async def _set_status(self, scope: AccessScope, record: Record, release: Obj, status: str, *,
                          description: str | None = None, deleted: bool = False,
                          labels: dict[str, str] | None = None) -> Obj:
        """Update a record's status (and description, deletion time) as Helm's `Update` does. `labels`: the
        release's labels as Helm holds them; by default the record's own (Helm's `Query`/`List` keep them all)."""
        info = dict(release.get("info") or {})
        info["status"] = status
        if description is not None:
            info = {key: value for key, value in info.items() if key.lower() != "description"}
            info["description"] = description
        if deleted:
            info["deleted"] = helm_time()
        release["info"] = info
        if labels is None:
            labels = dict((record.obj.get("metadata") or {}).get("labels") or {})
        record.obj = await self._write_record(scope, release, driver=record.driver, labels=labels,
                                              current=record.obj)
        return release

    # -- rollback --------------------------------------------------------------------------------------------
    async def rollback(self, context: RequestContext, cluster_id: int, *, namespace: str, name: str, revision: int,
                       dry_run: bool = False) -> Obj:
        """Roll the release back to `revision` (see the module docstring); with `dry_run`, only the plan, the diffs
        and the API server's validation of every object."""
        fields: Obj = {**context.audit_fields(), "cluster_id": cluster_id, "namespace": namespace,
                       "resource": HELM_RELEASES.qualified}
        detail: Obj = {"revision": revision}
        try:
            if revision < 1:
                raise ApiError(ErrorCode.PARAM_INVALID, "revision must be a positive integer")
            scope = await self._open(context, cluster_id, namespace, name, Verb.WRITE)
            records = await self._records(scope, name)
            current, target = records[-1], self._pick(records, revision, name)
            current_release = await decode_record_async(current.obj)
            target_release = await decode_record_async(target.obj)
            target_objects = await self._manifest_objects(scope, str(target_release.get("manifest") or ""))
            current_objects = await self._manifest_objects(scope, str(current_release.get("manifest") or ""))
            self._require_served(target_objects)
            kept = {obj.identity for obj in target_objects}
            removed = [obj for obj in current_objects if obj.identity not in kept and obj.kind is not None]
            for obj in target_objects:
                self._object_scope(scope, obj).require(Verb.WRITE)
            for obj in removed:
                self._object_scope(scope, obj).require(Verb.DELETE)
            (await self._driver_scope(scope, current.driver)).require(Verb.WRITE)
            detail.update(fromRevision=current.revision, newRevision=current.revision + 1)
        except (ApiError, CodedError) as exc:
            if not dry_run:
                self._audit.record("helm.rollback", code=int(code_for(exc)), name=name, detail=detail, **fields)
            raise
        result: Obj = {"name": name, "namespace": namespace, "revision": revision, "fromRevision": current.revision,
                       "newRevision": current.revision + 1, "dryRun": dry_run, "hooksRun": False}
        if dry_run:
            revealing = scope.may(Verb.REVEAL) and (await self._driver_scope(scope, SECRETS_DRIVER)).may(Verb.REVEAL)
            result["diff"] = await off_loop(self._diffs, current_release, target_release, revealing, current.revision,
                                            revision)
            result["objects"] = [await self._checked(scope, obj, release=name) for obj in target_objects] + [
                obj.describe("delete") for obj in removed]
            return result
        operation = self._roll_back(scope, current, target, current_release, target_release,
                                    target_objects=target_objects, removed=removed, records=records)
        result["objects"] = await self._audit.change("helm.rollback", operation, name=name, detail=detail,
                                                     **scope.audit_fields())
        return result

    async def _checked(self, scope: AccessScope, obj: ManifestObject, *, release: str) -> Obj:
        """The plan line of applying an object, with the API server's dry-run verdict."""
        line = obj.describe("apply")
        try:
            await self._apply(scope, obj, release=release, dry_run=True)
        except KubeError as exc:
            return {**line, "code": int(code_for(exc)), "message": exc.message}
        return {**line, "code": 0, "message": "dry-run ok"}

    async def _roll_back(self, scope: AccessScope, current: Record, target: Record, current_release: Obj,
                         target_release: Obj, *, target_objects: list[ManifestObject], removed: list[ManifestObject],
                         records: list[Record]) -> list[Obj]:
        name = current.summary["release"]
        current_info, target_info = current_release.get("info") or {}, target_release.get("info") or {}
        new_release = helm_release(
            name=name, namespace=str(scope.namespace), version=current.revision + 1,
            info=helm_info(first_deployed=current_info.get("first_deployed"), last_deployed=helm_time(),
                           status="pending-rollback", description=f"Rollback to {target.revision}",
                           notes=str(target_info.get("notes") or "")),
            chart=target_release.get("chart"), config=target_release.get("config"),
            manifest=str(target_release.get("manifest") or ""), hooks=target_release.get("hooks") or [])
        # Helm reads the target with `Get`, which keeps only its own labels; they go on the new record.
        own_labels = {key: value for key, value in ((target.obj.get("metadata") or {}).get("labels") or {}).items()
                      if key not in _SYSTEM_LABELS}
        created = Record(current.driver, await self._write_record(scope, new_release, driver=current.driver,
                                                                  labels=own_labels, current=None), {})
        results = []
        try:
            for obj in target_objects:
                await self._apply(scope, obj, release=name, dry_run=False)
                results.append(obj.describe("applied"))
            for obj in removed:
                results.append(obj.describe("deleted" if await self._delete(scope, obj) else "already gone"))
        except (KubeError, ApiError) as exc:
            message = exc.message if isinstance(exc, KubeError) else str(exc)
            await self._set_status(scope, current, current_release, "superseded")
            await self._set_status(scope, created, new_release, "failed",
                                   description=f'Rollback "{name}" failed: {message}', labels=own_labels)
            raise
        for record in records:
            if record.summary["status"] == "deployed":
                await self._set_status(scope, record, await decode_record_async(record.obj), "superseded")
        await self._set_status(scope, created, new_release, "deployed", labels=own_labels)
        return results

    # -- uninstall -------------------------------------------------------------------------------------------
    async def uninstall(self, context: RequestContext, cluster_id: int, *, namespace: str, name: str,
                        keep_history: bool = False, dry_run: bool = False) -> Obj:
        """`helm uninstall` (see the module docstring); with `dry_run`, what would be deleted."""
        fields: Obj = {**context.audit_fields(), "cluster_id": cluster_id, "namespace": namespace,
                       "resource": HELM_RELEASES.qualified}
        detail: Obj = {"keepHistory": keep_history}
        try:
            scope = await self._open(context, cluster_id, namespace, name, Verb.DELETE)
            records = await self._records(scope, name)
            latest = records[-1]
            release = await decode_record_async(latest.obj)
            objects = await self._manifest_objects(scope, str(release.get("manifest") or ""))
            deleted = [obj for obj in reversed(objects) if obj.kind is not None and not self._kept(obj)]
            for obj in deleted:
                self._object_scope(scope, obj).require(Verb.DELETE)
            for driver in {record.driver for record in records}:
                (await self._driver_scope(scope, driver)).require(Verb.WRITE if keep_history else Verb.DELETE)
            detail["revision"] = latest.revision
        except (ApiError, CodedError) as exc:
            if not dry_run:
                self._audit.record("helm.uninstall", code=int(code_for(exc)), name=name, detail=detail, **fields)
            raise
        kept = [obj.describe("kept") for obj in objects if obj.kind is None or self._kept(obj)]
        record_names = [record.summary["record"] for record in records]
        result: Obj = {"name": name, "namespace": namespace, "revision": latest.revision, "dryRun": dry_run,
                       "keepHistory": keep_history, "hooksRun": False,
                       "records": {"updated": record_names[-1:] if keep_history else [],
                                   "deleted": [] if keep_history else record_names}}
        if dry_run:
            result["objects"] = [obj.describe("delete") for obj in deleted] + kept
            return result
        operation = self._uninstall(scope, records, release, deleted, keep_history=keep_history)
        result["objects"] = await self._audit.change("helm.uninstall", operation, name=name, detail=detail,
                                                     **scope.audit_fields()) + kept
        return result

    @staticmethod
    def _kept(obj: ManifestObject) -> bool:
        annotations = (obj.document.get("metadata") or {}).get("annotations") or {}
        return annotations.get(KEEP_ANNOTATION) == "keep"

    async def _uninstall(self, scope: AccessScope, records: list[Record], release: Obj,
                         deleted: list[ManifestObject], *, keep_history: bool) -> list[Obj]:
        latest = records[-1]
        await self._set_status(scope, latest, release, "uninstalling")
        results: list[Obj] = []
        failures: list[tuple[KubeError, str]] = []
        for obj in deleted:
            try:
                results.append(obj.describe("deleted" if await self._delete(scope, obj) else "already gone"))
            except KubeError as exc:
                failures.append((exc, f"{obj.document.get('kind')} {obj.name!r}: {exc.message}"))
        if failures:
            raise ApiError(code_for(failures[0][0]), f"uninstall of {latest.summary['release']!r} stopped: "
                                                     f"{len(failures)} object(s) could not be deleted, so the release "
                                                     "stays 'uninstalling' with its records: "
                                                     + "; ".join(text for _, text in failures))
        if keep_history:
            await self._set_status(scope, latest, release, "uninstalled", description="Uninstallation complete",
                                   deleted=True)
            return results
        for record in records:
            driver_scope = await self._driver_scope(scope, record.driver)
            with contextlib.suppress(NotFoundError):
                await scope.cluster.request("DELETE", driver_scope.kind.object_path(record.summary["record"],
                                                                                    scope.namespace))
        return results

HELM = web.AppKey("helm", HelmService)
