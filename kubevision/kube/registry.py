"""The resource registry: every kind the cluster serves, found through API discovery.

One frozen `ResourceKind` describes a kind (group, preferred version, plural, scope, verbs,
subresources, sidebar category); built-in kinds and CRDs are the same type, so CRUD, tables, caches,
watches and search treat them alike. Versions always come from discovery (the group's preferred
version), never from a hard-coded list, so old and new clusters both work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from kubevision.errors import CodedError, ErrorCode
from kubevision.kube.connection import KubeConnection
from kubevision.kube.errors import BadRequestError, KubeError

log = logging.getLogger(__name__)

# Where the built-in kinds sit in the sidebar, and which API group wins when a plural is ambiguous.
BUILTIN_KINDS: dict[str, tuple[str, str]] = {
    "pods": ("", "workloads"),
    "deployments": ("apps", "workloads"),
    "statefulsets": ("apps", "workloads"),
    "daemonsets": ("apps", "workloads"),
    "replicasets": ("apps", "workloads"),
    "jobs": ("batch", "workloads"),
    "cronjobs": ("batch", "workloads"),
    "services": ("", "network"),
    "ingresses": ("networking.k8s.io", "network"),
    "endpoints": ("", "network"),
    "networkpolicies": ("networking.k8s.io", "network"),
    "configmaps": ("", "config"),
    "secrets": ("", "config"),
    "horizontalpodautoscalers": ("autoscaling", "config"),
    "resourcequotas": ("", "config"),
    "limitranges": ("", "config"),
    "persistentvolumes": ("", "storage"),
    "persistentvolumeclaims": ("", "storage"),
    "storageclasses": ("storage.k8s.io", "storage"),
    "nodes": ("", "cluster"),
    "namespaces": ("", "cluster"),
    "events": ("", "cluster"),
    "serviceaccounts": ("", "access"),
    "roles": ("rbac.authorization.k8s.io", "access"),
    "rolebindings": ("rbac.authorization.k8s.io", "access"),
    "clusterroles": ("rbac.authorization.k8s.io", "access"),
    "clusterrolebindings": ("rbac.authorization.k8s.io", "access"),
}
CATEGORIES = ("workloads", "network", "config", "storage", "cluster", "access", "custom", "other")
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def path_segment(value: str, what: str) -> str:
    """A name or namespace as one URL path segment. Kubernetes refuses '.', '..' and names with '/' or '%', so
    do we: they would reach another URL (`../secrets/x` as a ConfigMap name reads a Secret, an empty name the
    whole collection). The rest is percent-encoded ('#' and '?' would end the path)."""
    if value in ("", ".", "..") or "/" in value or "%" in value:
        raise BadRequestError(f"{what} {value!r} must not be empty, '.' or '..' nor contain '/' or '%'", status=400)
    return quote(value, safe="")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ResourceKind:
    """One kind served by a cluster (at its preferred version)."""

    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool
    verbs: frozenset[str]
    subresources: frozenset[str] = frozenset()
    short_names: tuple[str, ...] = ()
    category: str = "other"
    custom: bool = False
    name: str = ""  # the id used in URLs: the plural, or plural.group when ambiguous
    served_versions: tuple[str, ...] = ()  # every version of the group that serves it, preferred first

    @property
    def api_version(self) -> str:
        """`v1` or `group/version`, as in manifests."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`plural.group` (just the plural for the core group)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def collection_path(self, namespace: str | None = None) -> str:
        """The URL of the collection, in one namespace or across all."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{base}/namespaces/{path_segment(namespace, 'namespace')}/{self.plural}"
        return f"{base}/{self.plural}"

    def object_path(self, name: str, namespace: str | None = None, subresource: str | None = None) -> str:
        """The URL of one object (or one of its subresources)."""
        path = f"{self.collection_path(namespace)}/{path_segment(name, 'name')}"
        return f"{path}/{subresource}" if subresource else path

    def describe(self, *, cached: bool) -> dict[str, Any]:
        """The JSON shape used by `/clusters/{id}/kinds`."""
        return {
            "name": self.name, "kind": self.kind, "group": self.group, "version": self.version,
            "apiVersion": self.api_version, "namespaced": self.namespaced, "verbs": sorted(self.verbs),
            "subresources": sorted(self.subresources), "shortNames": list(self.short_names),
            "category": self.category, "custom": self.custom, "cached": cached,
        }


class UnknownResourceError(CodedError, LookupError):
    """The name matches no kind, or more than one."""

    error_code = ErrorCode.PARAM_INVALID


class Registry:
    """The kinds of one cluster, looked up by plural, `plural.group`, kind or short name."""

    def __init__(self, kinds: Iterable[ResourceKind]) -> None:
        by_plural: dict[str, list[ResourceKind]] = {}
        for kind in kinds:
            by_plural.setdefault(kind.plural, []).append(kind)
        named: list[ResourceKind] = []
        for plural, candidates in by_plural.items():
            preferred = _preferred(plural, candidates)
            for kind in candidates:
                name = plural if kind is preferred else kind.qualified
                named.append(dataclasses.replace(kind, name=name))
        self.kinds = sorted(named, key=lambda k: (CATEGORIES.index(k.category), k.name))
        self._by_name = {k.name: k for k in self.kinds}
        self._aliases: dict[str, ResourceKind] = {}
        for kind in self.kinds:
            for alias in (kind.qualified, kind.kind.lower(), *kind.short_names):
                self._aliases.setdefault(alias, kind)

    def lookup(self, name: str) -> ResourceKind:
        """The kind called `name`; raises `UnknownResourceError`."""
        key = name.strip().lower()
        kind = self._by_name.get(key) or self._aliases.get(key)
        if kind is None:
            raise UnknownResourceError(f"unknown resource type {name!r}")
        return kind

    def find(self, group: str, kind_name: str, version: str | None = None) -> ResourceKind | None:
        """The kind for a manifest's apiVersion and kind: at that version when the cluster serves it there
        (None when it does not), or at the preferred version when `version` is None."""
        for kind in self.kinds:
            if kind.group == group and kind.kind == kind_name:
                if version is None or version == kind.version:
                    return kind
                return dataclasses.replace(kind, version=version) if version in kind.served_versions else None
        return None

    def __iter__(self):
        return iter(self.kinds)


def _preferred(plural: str, candidates: list[ResourceKind]) -> ResourceKind | None:
    if len(candidates) == 1:
        return candidates[0]
    builtin = BUILTIN_KINDS.get(plural)
    for kind in candidates:
        if builtin and kind.group == builtin[0]:
            return kind
    for kind in candidates:  # the core group wins over aggregated duplicates (events)
        if kind.group == "":
            return kind
    return None


def _kinds_in(resource_list: dict[str, Any], group: str, version: str,
              crd_groups: set[tuple[str, str]]) -> list[ResourceKind]:
    entries = resource_list.get("resources") or []
    subresources: dict[str, set[str]] = {}
    for entry in entries:
        if "/" in entry["name"]:
            parent, sub = entry["name"].split("/", 1)
            subresources.setdefault(parent, set()).add(sub)
    kinds = []
    for entry in entries:
        plural = entry["name"]
        verbs = frozenset(entry.get("verbs") or [])
        if "/" in plural or not verbs & {"get", "list"}:
            continue
        builtin = BUILTIN_KINDS.get(plural)
        custom = (group, plural) in crd_groups
        category = builtin[1] if builtin and builtin[0] == group else ("custom" if custom else "other")
        kinds.append(ResourceKind(
            plural=plural, kind=entry["kind"], group=group, version=version,
            namespaced=bool(entry.get("namespaced")), verbs=verbs,
            subresources=frozenset(subresources.get(plural, ())),
            short_names=tuple(entry.get("shortNames") or ()), category=category, custom=custom,
        ))
    return kinds


async def discover(connection: KubeConnection) -> tuple[Registry, list[dict[str, Any]]]:
    """Ask the API server for every group version and its kinds (preferred version first); list the CRDs."""
    core, groups = await asyncio.gather(
        connection.request("GET", "/api/v1"), connection.request("GET", "/apis")
    )
    try:
        crds = (await connection.request("GET", CRD_PATH)).get("items", [])
    except KubeError as exc:  # the credentials may not list CRDs; they are still browsable
        log.info("cluster %s: cannot list CRDs (%s)", connection.cluster_name, exc)
        crds = []
    crd_groups = {(c["spec"]["group"], c["spec"]["names"]["plural"]) for c in crds}

    async def version_kinds(group: str, version: str) -> list[ResourceKind]:
        try:
            listing = await connection.request("GET", f"/apis/{group}/{version}")
        except KubeError as exc:  # an unavailable aggregated API must not hide the rest
            log.warning("cluster %s: discovery of %s/%s failed: %s",
                        connection.cluster_name, group, version, exc)
            return []
        return _kinds_in(listing, group, version, crd_groups)

    # Every served version is read: a kind may exist only in a non-preferred one (batch/v1beta1
    # CronJobs on 1.20). The preferred version wins, then the order the server lists versions in.
    ordered: list[tuple[str, str]] = []
    for group in groups.get("groups", []):
        preferred = (group.get("preferredVersion") or group["versions"][0])["version"]
        versions = [preferred] + [v["version"] for v in group["versions"] if v["version"] != preferred]
        ordered.extend((group["name"], version) for version in versions)
    per_version = await asyncio.gather(*(version_kinds(g, v) for g, v in ordered))
    served: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], ResourceKind] = {}
    for found in per_version:
        for kind in found:
            served.setdefault((kind.group, kind.plural), []).append(kind.version)
            first.setdefault((kind.group, kind.plural), kind)
    kinds = [dataclasses.replace(kind, served_versions=("v1",)) for kind in _kinds_in(core, "", "v1", crd_groups)]
    kinds.extend(dataclasses.replace(kind, served_versions=tuple(served[key])) for key, kind in first.items())
    return Registry(kinds), crds
