"""Helm 3 release records built and read the way Helm does, independently of `kubevision.kube.helm`.

Written from Helm's own types and storage drivers (helm/helm `pkg/release/release.go`, `info.go`,
`pkg/storage/driver/util.go`, `secrets.go`, `cfgmaps.go`): the release is `json.Marshal`ed (field names from
the struct tags: `name`, `info` — `first_deployed`, `last_deployed`, `deleted` (always: no omitempty, `""` when
zero), `description`, `status`, `notes` —, `chart` — `metadata`, `lock`, `templates`, `values`, `schema`,
`files` —, `config`, `manifest`, `hooks`, `version`, `namespace`), gzip-compressed at best compression,
base64-encoded with the standard alphabet, and stored under `data.release` of a Secret of type
`helm.sh/release.v1` or of a ConfigMap named `sh.helm.release.v1.<name>.v<version>` with labels `name`,
`owner=helm`, `status`, `version` and `createdAt` (set by the driver's Create; its Update sets `modifiedAt`).
`tests/fixtures/helm/` holds a record written by a real Helm binary, which these match field for field.
Nothing here imports the product.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from tests.envtest.controlplane import api_request

Obj = dict[str, Any]


def go_time(second: int) -> str:
    """A fixed RFC 3339 time as Go marshals `time.Time` (nanoseconds, UTC)."""
    return f"2024-05-01T10:{second // 60:02d}:{second % 60:02d}.123456789Z"


def configmap_doc(name: str, **data: str) -> str:
    """A rendered ConfigMap template as Helm puts it in a manifest (with its `# Source:` line)."""
    lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in data.items())
    return (f"---\n# Source: demo/templates/{name}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
            f"  name: {name}\ndata:\n{lines}")


def secret_doc(name: str, password: str) -> str:
    """A rendered Secret template (stringData) in a manifest."""
    return (f"---\n# Source: demo/templates/{name}.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n"
            f"type: Opaque\nstringData:\n  password: {json.dumps(password)}\n")


def release(name: str, namespace: str, version: int, *, status: str = "deployed", chart_version: str = "1.0.0",
            app_version: str = "1.0", manifest: str = "", config: Obj | None = None,
            defaults: Obj | None = None, description: str = "Install complete", notes: str = "",
            hooks: list[Obj] | None = None, dependencies: list[Obj] | None = None) -> Obj:
    """A release as Helm's `release.Release` marshals it (fields in the struct's order, empty ones omitted).
    `dependencies`: the chart's enabled subcharts as Helm stores them in `chart.metadata.dependencies` (their
    defaults are then expected in `defaults`, under their names, as Helm merges them before storing)."""
    info: Obj = {"first_deployed": go_time(0), "last_deployed": go_time(version), "deleted": "",
                 "description": description, "status": status}
    if notes:
        info["notes"] = notes
    chart = {"metadata": {"name": "demo", "version": chart_version, "description": "A demo chart",
                          "apiVersion": "v2", "appVersion": app_version,
                          **({"dependencies": dependencies} if dependencies else {}), "type": "application"},
             "lock": None, "templates": [{"name": "templates/cm.yaml", "data": base64.b64encode(b"x").decode()}],
             "values": defaults if defaults is not None else {"replicas": 1, "image": {"tag": "stable"}},
             "schema": None, "files": []}
    out: Obj = {"name": name, "info": info, "chart": chart}
    if config:
        out["config"] = config
    if manifest:
        out["manifest"] = manifest
    if hooks:
        out["hooks"] = hooks
    out["version"] = version
    out["namespace"] = namespace
    return out


def encode(rel: Obj) -> str:
    """`encodeRelease`: json.Marshal, gzip (BestCompression), base64 StdEncoding."""
    return base64.b64encode(gzip.compress(json.dumps(rel, separators=(",", ":")).encode(), compresslevel=9)).decode()


def decode_payload(text: str) -> Obj:
    """`decodeRelease`: base64, then gunzip when the gzip magic is there."""
    data = base64.b64decode(text)
    if data[:3] == b"\x1f\x8b\x08":
        data = gzip.decompress(data)
    return json.loads(data)


def record(rel: Obj, *, driver: str = "secrets", payload: str | None = None) -> Obj:
    """The Secret (`secrets` driver) or ConfigMap (`configmaps`) that stores a release revision."""
    labels = {"name": rel["name"], "owner": "helm", "status": rel["info"]["status"], "version": str(rel["version"]),
              "createdAt": "1714557600"}
    metadata = {"name": f"sh.helm.release.v1.{rel['name']}.v{rel['version']}", "namespace": rel["namespace"],
                "labels": labels}
    text = payload if payload is not None else encode(rel)
    if driver == "secrets":  # the Secret's data is base64 once more (Kubernetes' encoding of []byte)
        return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "helm.sh/release.v1",
                "data": {"release": base64.b64encode(text.encode()).decode()}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"release": text}}


def decode_record(obj: Obj) -> Obj:
    """The release stored in a Secret or ConfigMap record."""
    text = obj["data"]["release"]
    if obj.get("kind") == "Secret" or obj.get("type") == "helm.sh/release.v1":
        text = base64.b64decode(text).decode()
    return decode_payload(text)


class Cluster:
    """Direct calls to the API server as its admin (the tests' independent view of what is stored)."""

    def __init__(self, control_plane: Any) -> None:
        self.url, self.token = control_plane.server_url, control_plane.admin_token

    def call(self, method: str, path: str, body: Any = None, *, expect: int | tuple[int, ...] = (200, 201)) -> Any:
        status, answer = api_request(self.url, self.token, method, path, body)
        assert status in ((expect,) if isinstance(expect, int) else expect), (method, path, status, answer)
        return answer

    def store(self, rel: Obj, *, driver: str = "secrets", payload: str | None = None) -> Obj:
        """Write a record as Helm's driver does (Create)."""
        return self.call("POST", f"/api/v1/namespaces/{rel['namespace']}/{driver}",
                         record(rel, driver=driver, payload=payload))

    def records(self, namespace: str, name: str, *, driver: str = "secrets") -> dict[int, Obj]:
        """The release's records by revision, listed as Helm's driver queries them (by label)."""
        selector = f"owner%3Dhelm%2Cname%3D{name}"
        listing = self.call("GET", f"/api/v1/namespaces/{namespace}/{driver}?labelSelector={selector}")
        return {int(item["metadata"]["labels"]["version"]): item for item in listing["items"]}

    def releases(self, namespace: str, name: str, *, driver: str = "secrets") -> dict[int, Obj]:
        """The decoded releases by revision."""
        return {revision: decode_record({"kind": "Secret" if driver == "secrets" else "ConfigMap", **obj})
                for revision, obj in self.records(namespace, name, driver=driver).items()}

    def exists(self, path: str) -> bool:
        status, _ = api_request(self.url, self.token, "GET", path)
        assert status in (200, 404), (path, status)
        return status == 200
