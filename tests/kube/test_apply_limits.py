"""Manifests within limits: apply parses off the event loop, documents/nodes/depth answer 42200 naming the limit,
deep input never becomes a 50000 with a traceback, and who may not write is refused before anything is parsed."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from kubevision.kube import manifests
from kubevision.kube.manifests import MAX_DEPTH, MAX_DOCUMENTS, MAX_NODES
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user

# How long the instrumented parse waits to be released: far longer than a /healthz answer takes.
RELEASE_TIMEOUT_S = 30.0

OVER_LIMIT = {
    "documents": "---\na: 1\n" * (MAX_DOCUMENTS + 1),
    "nodes": "[" + ",".join(["1"] * MAX_NODES) + "]\n",
    "nesting levels": "{a: " * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1) + "\n",
}
LIMIT_NUMBERS = {"documents": MAX_DOCUMENTS, "nodes": MAX_NODES, "nesting levels": MAX_DEPTH}
# Deeper than anything the parser's own stack or Python's recursion limit could take, in both YAML styles.
DEEP_BLOCK = "".join("  " * level + "k:\n" for level in range(1200)) + "  " * 1200 + "v\n"
DEEP_FLOW = "[" * 200_000 + "]" * 200_000


def nested(name: str, namespace: str, depth: int) -> dict[str, Any]:
    """A ConfigMap with an extra field `x` whose objects nest down to level `depth` (the root is level 1);
    the API server drops the unknown field."""
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = {"k": value}
    return {**configmap(name, namespace), "x": value}


async def test_other_requests_are_served_while_an_apply_is_parsed(admin: ApiSession, cid: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The parse is held (in whatever thread it runs) until /healthz has answered: were it on the event loop,
    /healthz could not answer and the held parse would time out first."""
    started, released = threading.Event(), threading.Event()
    real_parse = manifests.parse_manifests

    def held_parse(text: str) -> list[manifests.Manifest]:
        started.set()
        released.wait(RELEASE_TIMEOUT_S)
        return real_parse(text)

    monkeypatch.setattr(manifests, "parse_manifests", held_parse)
    big = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\ndata: {{k: v}}\n"
                  for i in range(MAX_DOCUMENTS - 1)) + "---\n[unclosed\n"
    apply = asyncio.create_task(admin.fails("POST", f"/clusters/{cid}/apply", 42200, json={"yaml": big}))
    assert await asyncio.to_thread(started.wait, RELEASE_TIMEOUT_S)
    health = await admin.client.get("/healthz")
    assert health.status == 200
    listed = await admin.ok("GET", f"/clusters/{cid}/resources/namespaces")
    assert listed and not apply.done() and not released.is_set()
    released.set()
    body = await apply
    assert "YAML cannot be parsed" in body["message"] and body["data"]["line"] > 5 * (MAX_DOCUMENTS - 1)


@pytest.mark.parametrize("limit", list(OVER_LIMIT))
async def test_limits_answer_42200_naming_the_limit(admin: ApiSession, cid: int, limit: str) -> None:
    body = await admin.fails("POST", f"/clusters/{cid}/apply", 42200, json={"yaml": OVER_LIMIT[limit]})
    assert f"limit of {LIMIT_NUMBERS[limit]:,} {limit}" in body["message"], body
    assert body["data"]["limit"] == limit and body["data"]["maximum"] == LIMIT_NUMBERS[limit]


async def test_within_the_limits_is_applied(admin: ApiSession, cid: int, namespace: str) -> None:
    """The deepest and the most documents accepted still apply (here: dry-run, every document answered)."""
    deep = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: at-limit}\ndata: {k: v}\nx: " + \
        "{a: " * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1) + "\n"
    results = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": deep, "namespace": namespace,
                                                                     "dryRun": True})
    assert len(results) == 1 and results[0]["name"] == "at-limit"
    many = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: many-{i}}}\n" for i in range(40))
    results = await admin.ok("POST", f"/clusters/{cid}/apply", json={"yaml": many, "namespace": namespace})
    assert [r["code"] for r in results] == [0] * 40


@pytest.mark.parametrize("text", [DEEP_BLOCK, DEEP_FLOW], ids=["block", "flow"])
async def test_deep_yaml_is_42200_without_a_traceback(admin: ApiSession, cid: int, text: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = await admin.fails("POST", f"/clusters/{cid}/apply", 42200, json={"yaml": text})
    assert "nesting" in body["message"], body
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_deep_json_manifests_are_42200(admin: ApiSession, cid: int, namespace: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Create, replace and both dry-runs take JSON manifests: the same depth limit holds for them."""
    base = f"/clusters/{cid}/resources/configmaps"
    query = f"?namespace={namespace}"
    await admin.ok("POST", f"{base}{query}", json=configmap("deep", namespace))
    too_deep = nested("deep", namespace, MAX_DEPTH + 1)
    for method, path in (("POST", base), ("POST", f"{base}/dry-run"), ("PUT", f"{base}/deep"),
                         ("PUT", f"{base}/deep/dry-run")):
        body = await admin.fails(method, f"{path}{query}", 42200, json=too_deep)
        assert f"limit of {MAX_DEPTH} nesting levels" in body["message"]
    # At the limit the API server is asked.
    assert (await admin.ok("POST", f"{base}/dry-run{query}", json=nested("new", namespace, MAX_DEPTH)))["valid"]
    assert (await admin.ok("PUT", f"{base}/deep/dry-run{query}", json=nested("deep", namespace, MAX_DEPTH)))["valid"]
    await admin.ok("PUT", f"{base}/deep{query}", json=nested("deep", namespace, MAX_DEPTH))
    await admin.ok("POST", f"{base}{query}", json=nested("new", namespace, MAX_DEPTH))
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("limit", list(OVER_LIMIT))
async def test_who_may_not_write_is_refused_before_parsing(admin: ApiSession, cid: int, limit: str) -> None:
    """An over-limit body would answer 42200 if it were parsed: the refusal comes first."""
    readonly = await make_user(admin, "apply-readonly", "readonly")
    body = await readonly.fails("POST", f"/clusters/{cid}/apply", 40300, json={"yaml": OVER_LIMIT[limit]})
    assert "may not write" in body["message"]
    viewer = await make_user(admin, "apply-custom", "custom", permissions=["*:read", "pods:logs"])
    await viewer.fails("POST", f"/clusters/{cid}/apply", 40300, json={"yaml": OVER_LIMIT[limit]})
    outsider = await make_user(admin, "apply-outsider", "ops", clusters=[cid + 1000])
    await outsider.fails("POST", f"/clusters/{cid}/apply", 40301, json={"yaml": OVER_LIMIT[limit]})


@pytest.mark.parametrize("settings_overrides", [{"read_only": True}], indirect=True)
async def test_read_only_mode_refuses_before_parsing(admin: ApiSession, cid: int) -> None:
    body = await admin.fails("POST", f"/clusters/{cid}/apply", 40300, json={"yaml": OVER_LIMIT["nodes"]})
    assert "read-only" in body["message"]
