"""No read path shows a Secret value to a user without `reveal` (issue 13, item 1).

The Secret is created by the real kubectl (client-side apply), so it carries kubectl's
`last-applied-configuration` annotation with the plaintext manifest, exactly as in a real cluster. Every
response body (and every watch message) of a readonly user and of a dev is searched for the values in
every form they take: stored (base64), decoded, and as written in `stringData`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest

from tests.envtest.controlplane import kubectl_binary
from tests.helpers import ApiSession, assert_envelope
from tests.kube.conftest import make_user
from tests.kube.test_watch import open_watch

KUBECTL_TIMEOUT_S = 60
RECEIVE_TIMEOUT_S = 15
NAME = "app-credentials"
DATA_PLAIN = "kv-q7Zx91b2e7Lm"  # no words, so that no part of a value is also a key name
STRING_PLAIN = "kv-T9wv7f3a9cRp"
DATA_B64 = base64.b64encode(DATA_PLAIN.encode()).decode()
STRING_B64 = base64.b64encode(STRING_PLAIN.encode()).decode()
VALUE_FORMS = (DATA_PLAIN, DATA_B64, STRING_PLAIN, STRING_B64)
# A response must not hold even a part of a value this long (the API server quotes windows of a request).
PART_CHARS = 8
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LAST_APPLIED_POINTER = "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"


def manifest(namespace: str, **labels: str) -> str:
    """The Secret as a user would write it for `kubectl apply`: one value in data, one in stringData."""
    return json.dumps({"apiVersion": "v1", "kind": "Secret",
                       "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
                       "type": "Opaque", "data": {"password": DATA_B64}, "stringData": {"token": STRING_PLAIN}})


async def kubectl_apply(kubeconfig: str, text: str) -> None:
    """`kubectl apply -f -` against the test control plane as its admin."""
    process = await asyncio.create_subprocess_exec(
        kubectl_binary(), "--kubeconfig", kubeconfig, "apply", "-f", "-", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(text.encode()), KUBECTL_TIMEOUT_S)
    assert process.returncode == 0, (out, err)


def parts_shown(text: str) -> list[str]:
    """The parts (PART_CHARS long) of the Secret's values, in any form, that `text` holds."""
    return [form[start:start + PART_CHARS] for form in VALUE_FORMS for start in range(len(form) - PART_CHARS + 1)
            if form[start:start + PART_CHARS] in text]


def assert_no_value(text: str, where: str) -> None:
    """No part of the Secret's values, in any form, is in `text`."""
    leaked = parts_shown(text)
    assert not leaked, f"{where} shows {leaked}: {text[:2000]}"


async def leak_free(session: ApiSession, method: str, path: str, *, code: int = 0, body: Any = None) -> Any:
    """Call the API; assert the business code and that the raw body holds no value; return `data`."""
    response = await session.client.request(method, f"/api/v1{path}", json=body, headers=session.headers())
    text = await response.text()
    assert response.status == 200, text
    assert_no_value(text, f"{method} {path}")
    return assert_envelope(json.loads(text), code)


@pytest.fixture
async def applied(admin_kubeconfig: str, namespace: str) -> str:
    """The Secret, created with `kubectl apply` (so its annotation holds the plaintext manifest)."""
    await kubectl_apply(admin_kubeconfig, manifest(namespace))
    return namespace


async def revealed(admin: ApiSession, cid: int, namespace: str) -> dict[str, Any]:
    return await admin.ok("GET", f"/clusters/{cid}/resources/secrets/{NAME}?namespace={namespace}&reveal=true")


async def test_admin_with_reveal_sees_the_real_values(admin: ApiSession, cid: int, applied: str) -> None:
    secret = await revealed(admin, cid, applied)
    assert secret["data"] == {"password": DATA_B64, "token": STRING_B64}
    last_applied = json.loads(secret["metadata"]["annotations"][LAST_APPLIED])
    assert last_applied["data"] == {"password": DATA_B64} and last_applied["stringData"] == {"token": STRING_PLAIN}
    # Without asking to reveal, an admin gets the masked object like everyone else.
    masked = await leak_free(admin, "GET", f"/clusters/{cid}/resources/secrets/{NAME}?namespace={applied}")
    shown = json.loads(masked["metadata"]["annotations"][LAST_APPLIED])  # still parseable
    assert shown["data"] == {"password": "********"} and shown["stringData"] == {"token": "********"}
    assert shown["metadata"]["name"] == NAME and masked["data"] == {"password": "********", "token": "********"}


@pytest.mark.parametrize("role", ["readonly", "dev"])
async def test_reads_show_no_value(admin: ApiSession, cid: int, applied: str, role: str) -> None:
    namespace = applied
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "uses-secret"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}],
                    "volumes": [{"name": "creds", "secret": {"secretName": NAME}}]}}
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}", json=pod)
    user = await make_user(admin, f"reader-{role}", role)
    base = f"/clusters/{cid}/resources/secrets"

    one = await leak_free(user, "GET", f"{base}/{NAME}?namespace={namespace}")
    assert one["data"] == {"password": "********", "token": "********"} and LAST_APPLIED in one["metadata"][
        "annotations"]
    await leak_free(user, "GET", f"{base}/{NAME}?namespace={namespace}&reveal=true", code=40300)
    for query in (f"namespace={namespace}", "", "limit=100", f"namespace={namespace}&view=table", "view=table",
                  f"namespace={namespace}&q=app-cred&sort=-name"):
        listed = await leak_free(user, "GET", f"{base}?{query}")
        if "view=table" in query:
            assert any(row["name"] == NAME for row in listed["rows"])
        else:
            assert any(item["metadata"]["name"] == NAME for item in listed)

    found = await leak_free(user, "GET", f"/clusters/{cid}/search?q={NAME}")
    assert any(hit["kind"] == "secrets" and hit["name"] == NAME for hit in found)
    topology = await leak_free(user, "GET", f"/clusters/{cid}/namespaces/{namespace}/topology")
    assert any(node.get("name") == NAME for node in topology["nodes"])
    await leak_free(user, "GET", f"/clusters/{cid}/events?namespace={namespace}&kind=secrets&name={NAME}")
    await leak_free(user, "GET", f"/clusters/{cid}/overview")


async def watch_text(ws: aiohttp.ClientWebSocketResponse, *, until: str) -> list[str]:
    """Raw messages up to the first event message that mentions `until`."""
    async def read() -> list[str]:
        messages = []
        while True:
            text = await ws.receive_str()
            messages.append(text)
            if json.loads(text)["type"] == "event" and until in text:
                return messages
    return await asyncio.wait_for(read(), RECEIVE_TIMEOUT_S)


@pytest.mark.parametrize("role", ["readonly", "dev"])
async def test_watch_shows_no_value(admin: ApiSession, cid: int, admin_kubeconfig: str, applied: str,
                                    role: str) -> None:
    user = await make_user(admin, f"watcher-{role}", role)
    ws = await open_watch(user)
    try:
        subscriptions = {"one-ns": {"namespace": applied}, "all-ns": {}, "table": {"namespace": applied,
                                                                                   "view": "table"}}
        for sub, fields in subscriptions.items():
            await ws.send_json({"op": "subscribe", "id": sub, "cluster": cid, "resource": "secrets", **fields})
        for _ in subscriptions:  # everything after the acknowledgements reaches the socket
            text = await asyncio.wait_for(ws.receive_str(), RECEIVE_TIMEOUT_S)
            assert json.loads(text)["type"] == "subscribed", text
        await kubectl_apply(admin_kubeconfig, manifest(applied, edited="yes"))  # MODIFIED, annotation rewritten
        seen: dict[str, dict[str, Any]] = {}
        while len(seen) < len(subscriptions):
            for text in await watch_text(ws, until=NAME):
                assert_no_value(text, f"watch message as {role}")
                message = json.loads(text)
                for event in message.get("events", []):  # the watch may replay the creation first
                    labels = event["row"]["labels"] if "row" in event else event["object"]["metadata"].get("labels")
                    if event["name"] == NAME and labels == {"edited": "yes"}:
                        seen[message["sub"]] = event
        for sub in ("one-ns", "all-ns"):
            shown = seen[sub]["object"]
            assert shown["data"] == {"password": "********", "token": "********"}
            assert json.loads(shown["metadata"]["annotations"][LAST_APPLIED])["stringData"] == {"token": "********"}
        assert seen["table"]["row"]["name"] == NAME
    finally:
        await ws.close()


async def test_dev_writes_and_dry_runs_show_no_value(admin: ApiSession, cid: int, applied: str) -> None:
    namespace = applied
    dev = await make_user(admin, "writer", "dev")
    base = f"/clusters/{cid}/resources/secrets"
    masked = await leak_free(dev, "GET", f"{base}/{NAME}?namespace={namespace}")

    masked["metadata"]["labels"] = {"edited": "dry-run"}
    dry = await leak_free(dev, "PUT", f"{base}/{NAME}/dry-run?namespace={namespace}", body=masked)
    assert dry["valid"] is True and "+    edited: dry-run" in dry["diff"]
    assert dry["current"]["data"]["password"] == "********" and dry["proposed"]["data"]["password"] == "********"
    assert LAST_APPLIED in dry["current"]["metadata"]["annotations"]
    invalid = dict(masked, type="kubernetes.io/tls")  # the type is immutable: valid=false, current still shown
    assert (await leak_free(dev, "PUT", f"{base}/{NAME}/dry-run?namespace={namespace}", body=invalid))[
        "valid"] is False

    masked["metadata"]["labels"] = {"edited": "put"}
    replaced = await leak_free(dev, "PUT", f"{base}/{NAME}?namespace={namespace}", body=masked)
    assert replaced["metadata"]["labels"] == {"edited": "put"}
    patched = await leak_free(dev, "PATCH", f"{base}/{NAME}?namespace={namespace}",
                              body={"type": "merge", "patch": {"metadata": {"labels": {"edited": "merge"}}}})
    assert patched["data"]["password"] == "********"
    patched = await leak_free(dev, "PATCH", f"{base}/{NAME}?namespace={namespace}", body={
        "type": "json", "patch": [{"op": "test", "path": "/metadata/labels/edited", "value": "merge"},
                                  {"op": "replace", "path": "/metadata/labels/edited", "value": "json"}]})
    assert patched["metadata"]["labels"] == {"edited": "json"}

    document = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\n  labels:\n    applied: 'yes'\n"
    for dry_run in (True, False):
        results = await leak_free(dev, "POST", f"/clusters/{cid}/apply",
                                  body={"yaml": document, "namespace": namespace, "dryRun": dry_run})
        assert results[0]["code"] == 0, results
    deleted = await leak_free(dev, "POST", f"/clusters/{cid}/resources/batch-delete",
                              body={"items": [{"resource": "secrets", "namespace": namespace, "name": "absent"}]})
    assert deleted[0]["code"] == 40400

    # The masked save kept every real value, and kubectl's annotation as kubectl wrote it.
    secret = await revealed(admin, cid, namespace)
    assert secret["data"] == {"password": DATA_B64, "token": STRING_B64}
    assert json.loads(secret["metadata"]["annotations"][LAST_APPLIED])["stringData"] == {"token": STRING_PLAIN}

    audit = await admin.call("GET", "/audit-logs?pageSize=100")
    assert_no_value(json.dumps(audit), "the audit log")
    assert {"resource.update", "resource.patch", "resource.apply"} <= {entry["action"] for entry in audit["data"]}


@pytest.mark.parametrize("operation", [
    {"op": "copy", "from": "/data/password", "path": "/metadata/annotations/x"},
    {"op": "move", "from": "/data/password", "path": "/data/moved"},
    {"op": "copy", "from": "/data", "path": "/metadata/labels"},
    {"op": "copy", "from": LAST_APPLIED_POINTER, "path": "/metadata/annotations/x"},
    {"op": "copy", "from": "/metadata", "path": "/metadata/annotations/x"},
    {"op": "copy", "from": "", "path": "/metadata/annotations/x"},
    {"op": "test", "path": "/data/password", "value": DATA_B64},
    {"op": "test", "path": "/stringData", "value": {}},
    {"op": "test", "path": LAST_APPLIED_POINTER, "value": ""},
])
async def test_json_patches_that_read_values_are_refused(admin: ApiSession, cid: int, applied: str,
                                                         operation: dict[str, Any]) -> None:
    dev = await make_user(admin, "patcher", "dev")
    path = f"/clusters/{cid}/resources/secrets/{NAME}?namespace={applied}"
    body = await dev.fails("PATCH", path, 40300, json={"type": "json", "patch": [
        {"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}, operation]})
    assert "patch[1]" in body["message"] and "need the reveal permission" in body["message"]
    secret = await revealed(admin, cid, applied)
    assert secret["metadata"].get("labels") in (None, {}) and "x" not in secret["metadata"]["annotations"]
    assert secret["data"] == {"password": DATA_B64, "token": STRING_B64}


async def test_json_patch_writes_stay_allowed_and_reveal_may_copy(admin: ApiSession, cid: int,
                                                                  applied: str) -> None:
    path = f"/clusters/{cid}/resources/secrets/{NAME}?namespace={applied}"
    dev = await make_user(admin, "patcher", "dev")
    await dev.fails("PATCH", path, 40002, json={"type": "json", "patch": [
        {"op": "copy", "from": "x/data/password", "path": "/metadata/annotations/x"}]})  # not a JSON pointer
    new_value = base64.b64encode(b"rotated").decode()
    written = await leak_free(dev, "PATCH", path, body={"type": "json", "patch": [
        {"op": "replace", "path": "/data/password", "value": new_value},
        {"op": "add", "path": "/data/extra", "value": new_value}, {"op": "remove", "path": "/data/token"}]})
    assert written["data"] == {"password": "********", "extra": "********"}
    await admin.ok("PATCH", path, json={"type": "json", "patch": [
        {"op": "test", "path": "/data/password", "value": new_value},
        {"op": "copy", "from": "/data/password", "path": "/data/copied"}]})
    assert (await revealed(admin, cid, applied))["data"] == {"password": new_value, "extra": new_value,
                                                             "copied": new_value}


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("PATCH", "", {"type": "merge", "patch": {"immutable": "not-a-bool"}}),
    ("PATCH", "", {"type": "json", "patch": [{"op": "add", "path": "/immutable", "value": "not-a-bool"}]}),
    ("PATCH", "", {"type": "merge", "patch": {"data": {"extra": "not base64"}}}),
    ("PUT", "", {"type": 5}),
    ("PUT", "/dry-run", {"immutable": "not-a-bool"}),
    ("PUT", "", {"data": {"password": "********", "token": "********", "extra": "not base64"}}),
])
async def test_refused_writes_quote_no_value(admin: ApiSession, cid: int, applied: str, method: str, suffix: str,
                                             body: dict[str, Any]) -> None:
    """Kubernetes answers a malformed write with the object it could not decode (values and all)."""
    dev = await make_user(admin, "clumsy", "dev")
    path = f"/clusters/{cid}/resources/secrets/{NAME}{suffix}?namespace={applied}"
    if method == "PUT":  # the masked object as the editor has it, with the bad change
        body = {**await leak_free(dev, "GET", f"/clusters/{cid}/resources/secrets/{NAME}?namespace={applied}"),
                **body}
    response = await dev.client.request(method, f"/api/v1{path}", json=body, headers=dev.headers())
    text = await response.text()
    assert_no_value(text, f"{method} {path}")
    envelope = json.loads(text)
    assert envelope["code"] in (40002, 42201) or envelope["data"]["valid"] is False, envelope
    # The same write from an admin (who may reveal) gets the API server's whole answer, which quotes values.
    admin_view = await admin.call(method, path, json=body)
    assert admin_view["code"] == envelope["code"] and parts_shown(json.dumps(admin_view))


async def test_apply_refusals_quote_no_value(admin: ApiSession, cid: int, applied: str) -> None:
    dev = await make_user(admin, "applier", "dev")
    document = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {NAME}\nimmutable: not-a-bool\n"
    for dry_run in (True, False):
        results = await leak_free(dev, "POST", f"/clusters/{cid}/apply",
                                  body={"yaml": document, "namespace": applied, "dryRun": dry_run})
        assert results[0]["code"] != 0


async def test_saving_masks_cannot_copy_values(admin: ApiSession, cid: int, applied: str) -> None:
    dev = await make_user(admin, "saver", "dev")
    base = f"/clusters/{cid}/resources/secrets"
    masked = await leak_free(dev, "GET", f"{base}/{NAME}?namespace={applied}")
    shown_last_applied = masked["metadata"]["annotations"][LAST_APPLIED]
    # The masked annotation under another key, and the mask under a key that has no value yet.
    masked["metadata"]["annotations"]["copy"] = shown_last_applied
    await leak_free(dev, "PUT", f"{base}/{NAME}?namespace={applied}", body=masked)
    masked = await leak_free(dev, "GET", f"{base}/{NAME}?namespace={applied}")
    masked["data"]["stolen"] = "********"
    await leak_free(dev, "PUT", f"{base}/{NAME}?namespace={applied}", body=masked, code=40002)

    secret = await revealed(admin, cid, applied)
    assert secret["metadata"]["annotations"]["copy"] == shown_last_applied  # stored as shown: masked
    assert_no_value(secret["metadata"]["annotations"]["copy"], "the copied annotation")
    assert json.loads(secret["metadata"]["annotations"][LAST_APPLIED])["stringData"] == {"token": STRING_PLAIN}
    assert secret["data"] == {"password": DATA_B64, "token": STRING_B64}
