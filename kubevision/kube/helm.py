"""Helm 3 release records, read and written in Helm's own storage format (no Helm binary or library is used).

Helm keeps one record per release revision in the release's namespace: a Secret (the default driver, type
`helm.sh/release.v1`) or a ConfigMap, named `sh.helm.release.v1.<release>.v<revision>` and labelled
`owner=helm`, `name=<release>`, `status=<status>`, `version=<revision>`. Its `data.release` is the release as
JSON (fields of Helm's `pkg/release` types: name, info, chart, config, manifest, hooks, version, namespace),
gzip-compressed and base64-encoded; a Secret's data is base64-encoded once more by Kubernetes. Records
written before Helm compressed them hold the JSON uncompressed, and are read as well.

Decoding is bounded: a payload above `MAX_COMPRESSED_BYTES`, or one that inflates past `MAX_DECODED_BYTES` (a
gzip bomb), is refused with a `ReleaseRecordError` before more memory is used. Full decodes of payloads above
`OFF_LOOP_BYTES` run in a worker thread (`decode_record_async`). A list row needs only a few fields (chart,
app version, status, dates): `summarize_record` reads them from the first `SUMMARY_PREFIX_BYTES` of the
inflated JSON (Go writes struct fields in declaration order: `info` and `chart.metadata` come before values,
manifest and hooks), so listing many large releases costs a bounded amount of work per record, on the loop.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import gzip
import json
import re
import zlib
from typing import Any

import orjson

from kubevision.errors import CodedError, ErrorCode
from kubevision.kube.tables import Column, TableSpec

Obj = dict[str, Any]

OWNER_LABEL_VALUE = "helm"
RECORD_SELECTOR = f"owner={OWNER_LABEL_VALUE}"
RECORD_PREFIX = "sh.helm.release.v1."
SECRET_TYPE = "helm.sh/release.v1"
PAYLOAD_KEY = "release"
SECRETS_DRIVER = "secrets"
CONFIGMAPS_DRIVER = "configmaps"
DRIVERS = (SECRETS_DRIVER, CONFIGMAPS_DRIVER)
GZIP_MAGIC = b"\x1f\x8b\x08"
# Kubernetes objects are at most ~1.5 MiB in etcd; a payload above this is not a record Helm wrote.
MAX_COMPRESSED_BYTES = 4 * 1024 * 1024
# The release JSON may inflate to at most this: beyond, decoding stops (gzip bombs) with a clear error.
MAX_DECODED_BYTES = 64 * 1024 * 1024
# Payloads (as stored, base64 text) above this are fully decoded in a worker thread, off the event loop.
OFF_LOOP_BYTES = 64 * 1024
# List rows read their fields from at most this much of the inflated JSON.
SUMMARY_PREFIX_BYTES = 256 * 1024
# ... inflated from at most this many base64 characters of the payload (64 KiB compressed; a multiple of 4).
_SUMMARY_INPUT_CHARS = 64 * 1024 * 4 // 3 // 4 * 4
# The statuses of Helm's `release.Status`.
STATUSES = ("unknown", "deployed", "uninstalled", "superseded", "failed", "uninstalling", "pending-install",
            "pending-upgrade", "pending-rollback")
_RECORD_NAME = re.compile(r"^sh\.helm\.release\.v1\.(?P<release>.+)\.v(?P<revision>[0-9]+)$")


class ReleaseRecordError(CodedError, ValueError):
    """A release record that cannot be decoded (not base64, not gzip, not JSON, too large, a gzip bomb)."""

    error_code = ErrorCode.MANIFEST_INVALID


def record_name(release: str, revision: int) -> str:
    """`sh.helm.release.v1.<release>.v<revision>`, the name Helm gives a revision's record."""
    return f"{RECORD_PREFIX}{release}.v{revision}"


def parse_record_name(name: str) -> tuple[str, int] | None:
    """(release, revision) from a record's name, or None when it is not a Helm 3 record name."""
    match = _RECORD_NAME.match(name)
    return (match["release"], int(match["revision"])) if match else None


def driver_of(record: Obj) -> str:
    """`secrets` or `configmaps`: which storage driver wrote the record."""
    return SECRETS_DRIVER if record.get("kind") == "Secret" or "type" in record else CONFIGMAPS_DRIVER


def _stored_text(record: Obj) -> str:
    """Helm's base64 text of the payload: a ConfigMap holds it as is, a Secret base64-encoded once more."""
    value = (record.get("data") or {}).get(PAYLOAD_KEY)
    if not isinstance(value, str) or not value:
        raise ReleaseRecordError(f"record {_name(record)!r} has no data.{PAYLOAD_KEY}")
    if driver_of(record) == CONFIGMAPS_DRIVER:
        return value
    if len(value) > MAX_COMPRESSED_BYTES * 2:
        raise ReleaseRecordError(f"record {_name(record)!r} is larger than {MAX_COMPRESSED_BYTES} bytes compressed")
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ReleaseRecordError(f"record {_name(record)!r}: data.{PAYLOAD_KEY} is not base64") from None


def _name(record: Obj) -> str:
    return str((record.get("metadata") or {}).get("name") or "")


def _compressed(text: str, *, what: str) -> bytes:
    if len(text) > MAX_COMPRESSED_BYTES * 4 // 3 + 4:
        raise ReleaseRecordError(f"{what} is larger than {MAX_COMPRESSED_BYTES} bytes compressed")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ReleaseRecordError(f"{what}: the payload is not base64") from None


def _inflate(payload: bytes, *, limit: int, what: str) -> bytes:
    """The JSON bytes of a payload (gzip, or uncompressed as older Helm 3 wrote), at most `limit` bytes: beyond
    it a `ReleaseRecordError`."""
    if not payload.startswith(GZIP_MAGIC):
        return _within(payload, limit, what)
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(payload, limit + 1)
    except zlib.error as exc:
        raise ReleaseRecordError(f"{what}: the payload is not valid gzip ({exc})") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise ReleaseRecordError(f"{what} inflates to more than {limit} bytes; refused (a gzip bomb?)")
    if not inflater.eof:
        raise ReleaseRecordError(f"{what}: the gzip payload is truncated")
    return data


def _inflate_prefix(payload: bytes, *, what: str) -> tuple[bytes, bool]:
    """At most `SUMMARY_PREFIX_BYTES` of a payload's JSON (of a prefix of the payload), and whether that is all
    of it."""
    if not payload.startswith(GZIP_MAGIC):
        return payload[:SUMMARY_PREFIX_BYTES], len(payload) <= SUMMARY_PREFIX_BYTES
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(payload, SUMMARY_PREFIX_BYTES)
    except zlib.error as exc:
        raise ReleaseRecordError(f"{what}: the payload is not valid gzip ({exc})") from None
    return data, inflater.eof


def _within(data: bytes, limit: int, what: str) -> bytes:
    if len(data) > limit:
        raise ReleaseRecordError(f"{what} is larger than {limit} bytes")
    return data


def decode_payload(text: str, *, what: str = "release") -> Obj:
    """The release (a dict with Helm's JSON field names) from Helm's base64 text; `ReleaseRecordError` if bad."""
    data = _inflate(_compressed(text, what=what), limit=MAX_DECODED_BYTES, what=what)
    try:
        release = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ReleaseRecordError(f"{what}: the payload is not JSON ({exc})") from None
    if not isinstance(release, dict):
        raise ReleaseRecordError(f"{what}: the payload is not a JSON object")
    return release


def decode_record(record: Obj) -> Obj:
    """The release a record holds (see `decode_payload`)."""
    return decode_payload(_stored_text(record), what=f"record {_name(record)!r}")


async def decode_record_async(record: Obj) -> Obj:
    """`decode_record`, in a worker thread when the payload is larger than `OFF_LOOP_BYTES`."""
    value = (record.get("data") or {}).get(PAYLOAD_KEY)
    if isinstance(value, str) and len(value) > OFF_LOOP_BYTES:
        return await asyncio.to_thread(decode_record, record)
    return decode_record(record)


def encode_payload(release: Obj) -> str:
    """Helm's encoding of a release: compact JSON, gzip (best compression), base64 (standard alphabet)."""
    data = json.dumps(release, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")


def record_labels(release: Obj) -> dict[str, str]:
    """The labels Helm puts on a record: owner, name, status and version."""
    return {"name": release["name"], "owner": OWNER_LABEL_VALUE, "status": (release.get("info") or {})["status"],
            "version": str(release["version"])}


def record_object(release: Obj, *, driver: str, extra_labels: dict[str, str] | None = None) -> Obj:
    """The Secret or ConfigMap that stores a release revision, as Helm writes it."""
    text = encode_payload(release)
    metadata = {"name": record_name(release["name"], release["version"]), "namespace": release["namespace"],
                "labels": {**(extra_labels or {}), **record_labels(release)}}
    if driver == SECRETS_DRIVER:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": SECRET_TYPE,
                "data": {PAYLOAD_KEY: base64.b64encode(text.encode("ascii")).decode("ascii")}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {PAYLOAD_KEY: text}}


def helm_time(moment: dt.datetime | None = None) -> str:
    """A time as Go's `time.Time` marshals it: RFC 3339 with the fraction's trailing zeros trimmed
    (`time.RFC3339Nano`), here in UTC."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def info_description(info: Obj) -> str:
    """`info.description`. Go's JSON decoder matches field names case-insensitively, so Helm also reads a
    record whose key is spelled otherwise (`Description`); so does this."""
    if isinstance(info.get("description"), str):
        return info["description"]
    return next((str(value) for key, value in info.items() if key.lower() == "description" and value), "")


def helm_info(*, first_deployed: str | None, last_deployed: str | None, status: str, description: str,
              notes: str = "", deleted: str = "") -> Obj:
    """A release's `info` as Helm's `release.Info` marshals it: fields in the struct's order, `deleted` always
    (its tag has no omitempty; a zero time is `""`), `notes` only when set."""
    info: Obj = {"first_deployed": first_deployed or "", "last_deployed": last_deployed or "", "deleted": deleted,
                 "description": description, "status": status}
    if notes:
        info["notes"] = notes
    return info


def helm_release(*, name: str, namespace: str, version: int, info: Obj, chart: Any, config: Any, manifest: str,
                 hooks: list[Any]) -> Obj:
    """A release as Helm's `release.Release` marshals it: fields in the struct's order, the empty `config`,
    `manifest` and `hooks` left out (omitempty)."""
    release: Obj = {"name": name, "info": info, "chart": chart}
    if config:
        release["config"] = config
    if manifest:
        release["manifest"] = manifest
    if hooks:
        release["hooks"] = hooks
    release.update(version=version, namespace=namespace)
    return release


# -- list rows -----------------------------------------------------------------------------------------
def _prefix_text(record: Obj) -> tuple[str, bool]:
    """The first `SUMMARY_PREFIX_BYTES` of a record's inflated JSON (all of a short release's), decoding only the
    stored bytes needed for that, and whether it is the whole JSON."""
    value = (record.get("data") or {}).get(PAYLOAD_KEY)
    if not isinstance(value, str) or not value:
        raise ReleaseRecordError(f"record {_name(record)!r} has no data.{PAYLOAD_KEY}")
    what = f"record {_name(record)!r}"
    if driver_of(record) == SECRETS_DRIVER:
        try:
            text = base64.b64decode(value[:(_SUMMARY_INPUT_CHARS // 3 + 1) * 4], validate=True).decode("ascii")
        except (binascii.Error, UnicodeDecodeError):
            raise ReleaseRecordError(f"{what}: data.{PAYLOAD_KEY} is not base64") from None
    else:
        text = value
    try:
        payload = base64.b64decode(text[:_SUMMARY_INPUT_CHARS], validate=True)
    except binascii.Error:
        raise ReleaseRecordError(f"{what}: the payload is not base64") from None
    data, complete = _inflate_prefix(payload, what=what)
    return data.decode("utf-8", errors="ignore"), complete and len(text) <= _SUMMARY_INPUT_CHARS


def _object_after(text: str, key: str) -> Obj:
    """The JSON object that follows the first `"key":` in a prefix of a release's JSON ({} when cut off)."""
    start = text.find(f'"{key}":{{')
    if start < 0:
        return {}
    try:
        found, _ = json.JSONDecoder().raw_decode(text, start + len(key) + 3)
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def summarize_record(record: Obj) -> Obj:
    """A record's few list fields, never its payload: release, namespace, revision, status, chart, chart and
    app version, updated, description, driver and, for a record that cannot be read, `error`."""
    metadata = record.get("metadata") or {}
    labels = metadata.get("labels") or {}
    parsed = parse_record_name(metadata.get("name") or "")
    revision_label = labels.get("version") or ""
    summary: Obj = {
        "release": labels.get("name") or (parsed[0] if parsed else metadata.get("name")),
        "namespace": metadata.get("namespace"),
        "revision": int(revision_label) if revision_label.isdigit() else (parsed[1] if parsed else 0),
        "status": labels.get("status") or "unknown", "chart": "", "chartName": "", "chartVersion": "",
        "appVersion": "", "updated": None, "description": "", "driver": driver_of(record),
        "record": metadata.get("name"), "recordVersion": metadata.get("resourceVersion"),
        "createdAt": metadata.get("creationTimestamp"), "uid": metadata.get("uid"), "error": None,
    }
    try:
        text, complete = _prefix_text(record)
    except ReleaseRecordError as exc:
        return {**summary, "error": str(exc)}
    if complete:
        try:
            release = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            return {**summary, "error": f"record {_name(record)!r}: the payload is not JSON ({exc})"}
        if not isinstance(release, dict):
            return {**summary, "error": f"record {_name(record)!r}: the payload is not a JSON object"}
        info = release.get("info") if isinstance(release.get("info"), dict) else {}
        chart_metadata = (release.get("chart") or {}).get("metadata") if isinstance(release.get("chart"), dict) else {}
        chart_metadata = chart_metadata if isinstance(chart_metadata, dict) else {}
    elif not text.startswith("{"):
        return {**summary, "error": f"record {_name(record)!r}: the payload is not JSON"}
    else:  # Helm's field order: info and chart.metadata come first
        info, chart_metadata = _object_after(text, "info"), _object_after(text, "metadata")
    name, version = str(chart_metadata.get("name") or ""), str(chart_metadata.get("version") or "")
    return {**summary, "status": str(info.get("status") or summary["status"]), "chartName": name,
            "chartVersion": version, "chart": f"{name}-{version}" if name else "",
            "appVersion": str(chart_metadata.get("appVersion") or ""), "updated": info.get("last_deployed"),
            "description": info_description(info)}


def release_row_object(summary: Obj, *, api_version: str, kind: str) -> Obj:
    """The metadata-only object that stands for a release in lists and watches: its latest record's summary."""
    return {"apiVersion": api_version, "kind": kind,
            "metadata": {"name": summary["release"], "namespace": summary["namespace"], "uid": summary["uid"],
                         "resourceVersion": summary["recordVersion"], "creationTimestamp": summary["createdAt"],
                         "labels": {"name": summary["release"], "owner": OWNER_LABEL_VALUE,
                                    "status": summary["status"], "version": str(summary["revision"])}},
            "status": {key: summary[key] for key in ("revision", "status", "chart", "chartName", "chartVersion",
                                                     "appVersion", "updated", "description", "driver", "record",
                                                     "error")}}


def _status_of(obj: Obj) -> Obj:
    return obj.get("status") or {}


# `helm list`'s columns: NAME NAMESPACE REVISION UPDATED STATUS CHART APP VERSION.
RELEASE_TABLE = TableSpec(
    columns=(Column("Revision", "number"), Column("Updated", "age"), Column("Status", "status"),
             Column("Chart"), Column("App Version"), Column("Driver", priority=1)),
    cells=lambda obj: [_status_of(obj).get("revision"), _status_of(obj).get("updated"),
                       _status_of(obj).get("status"), _status_of(obj).get("chart") or "<unknown>",
                       _status_of(obj).get("appVersion"), _status_of(obj).get("driver")],
    status=lambda obj: str(_status_of(obj).get("status") or "unknown"),
)
