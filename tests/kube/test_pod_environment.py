"""A pod's environment resolved by the server on the real control plane: literal values, ConfigMap and Secret
references (Secret values masked unless the caller may reveal and asks to; never in the JSON a readonly user
gets), fields of the pod and of its containers' resources, and sources the caller may not read."""

from __future__ import annotations

import base64
from typing import Any

from kubevision.services.pod_environment import container_type
from tests.helpers import ApiSession
from tests.kube.conftest import configmap, make_user

SECRET_VALUE = "hunter2-very-secret"
SECRET_TOKEN = "token-value-9876"


def env_pod(name: str) -> dict[str, Any]:
    """A pod whose app container takes its environment from every kind of source."""
    return {"metadata": {"name": name, "labels": {"tier": "web"}}, "spec": {
        "initContainers": [{"name": "setup", "image": "busybox", "env": [{"name": "STEP", "value": "migrate"}]}],
        "containers": [{
            "name": "app", "image": "nginx:1.25",
            "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "100m"}},
            "env": [
                {"name": "MODE", "value": "production"},
                {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "credentials", "key": "password"}}},
                {"name": "MISSING", "valueFrom": {"secretKeyRef": {"name": "credentials", "key": "nope",
                                                                   "optional": True}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
                {"name": "MEMORY", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory"}}},
            ],
            "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"},
                        {"secretRef": {"name": "credentials"}}],
        }]}}


async def setup(admin: ApiSession, cid: int, namespace: str) -> str:
    await admin.ok("POST", f"/clusters/{cid}/resources/configmaps?namespace={namespace}",
                   json=configmap("settings", namespace, level="debug"))
    await admin.ok("POST", f"/clusters/{cid}/resources/secrets?namespace={namespace}", json={
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "credentials", "namespace": namespace},
        "stringData": {"password": SECRET_VALUE, "token": SECRET_TOKEN}})
    await admin.ok("POST", f"/clusters/{cid}/resources/pods?namespace={namespace}", json=env_pod("web"))
    return f"/clusters/{cid}/namespaces/{namespace}/pods/web/environment"


def app_env(data: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    app = next(c for c in data["containers"] if c["name"] == "app")
    return {var["name"]: var for var in app["env"]}, app["envFrom"]


def assert_no_secret_in(text: str) -> None:
    for value in (SECRET_VALUE, SECRET_TOKEN):
        assert value not in text and base64.b64encode(value.encode()).decode() not in text


async def test_environment_resolves_every_source(admin: ApiSession, cid: int, namespace: str) -> None:
    path = await setup(admin, cid, namespace)
    data = await admin.ok("GET", path)
    assert [(c["name"], c["type"]) for c in data["containers"]] == [("setup", "init"), ("app", "app")]
    assert data["mayReveal"] and not data["revealed"]
    env, env_from = app_env(data)
    assert env["MODE"]["value"] == "production" and env["MODE"]["source"] == {"type": "value"}
    assert env["LEVEL"]["value"] == "debug"
    assert env["LEVEL"]["source"] == {"type": "configMapKeyRef", "name": "settings", "key": "level",
                                      "optional": False}
    # Masked until revealed, even for a caller who may reveal.
    assert env["PASSWORD"]["value"] == "********" and env["PASSWORD"]["masked"]
    assert env["PASSWORD"]["source"]["name"] == "credentials" and env["PASSWORD"]["source"]["key"] == "password"
    assert env["MISSING"]["value"] is None and env["MISSING"]["note"] == "no key 'nope'"
    assert env["POD_NAME"]["value"] == "web" and env["TIER"]["value"] == "web"
    assert env["MEMORY"]["value"] == "128Mi"
    assert env_from[0]["variables"] == [{"name": "CFG_level", "value": "debug"}]
    assert sorted(v["name"] for v in env_from[1]["variables"]) == ["password", "token"]
    assert {v["value"] for v in env_from[1]["variables"]} == {"********"}

    revealed = await admin.ok("GET", f"{path}?reveal=true")
    env, env_from = app_env(revealed)
    assert revealed["revealed"] and env["PASSWORD"]["value"] == SECRET_VALUE and not env["PASSWORD"]["masked"]
    assert {v["name"]: v["value"] for v in env_from[1]["variables"]} == {"password": SECRET_VALUE,
                                                                         "token": SECRET_TOKEN}
    reveals = await admin.ok("GET", f"/audit-logs?cluster={cid}&action=secret.reveal")
    assert (reveals[0]["name"], reveals[0]["namespace"], reveals[0]["code"]) == ("credentials", namespace, 0)
    assert reveals[0]["detail"]["via"] == "pods/web environment"


async def test_readonly_never_receives_a_secret_value(admin: ApiSession, cid: int, namespace: str) -> None:
    path = await setup(admin, cid, namespace)
    readonly = await make_user(admin, "env-ro", "readonly")
    dev = await make_user(admin, "env-dev", "dev")
    for user in (readonly, dev):
        response = await user.client.get(f"/api/v1{path}", headers=user.headers())
        text = await response.text()
        assert_no_secret_in(text)
        data = (await response.json())["data"]
        assert not data["mayReveal"]
        env, env_from = app_env(data)
        assert env["PASSWORD"]["value"] == "********" and env["LEVEL"]["value"] == "debug"
        refused = await user.client.get(f"/api/v1{path}?reveal=true", headers=user.headers())
        body = await refused.text()
        assert_no_secret_in(body)
        assert (await refused.json())["code"] == 40300
    # A caller who may not read Secrets learns their names and keys from the pod, never what they hold.
    no_secrets = await make_user(admin, "env-pods", "custom", permissions=["pods:read", "configmaps:read"])
    response = await no_secrets.client.get(f"/api/v1{path}", headers=no_secrets.headers())
    assert_no_secret_in(await response.text())
    env, env_from = app_env((await response.json())["data"])
    assert env["PASSWORD"]["value"] is None and "may not read secrets" in env["PASSWORD"]["note"]
    assert env_from[1]["variables"] == [] and "may not read secrets" in env_from[1]["note"]
    assert env["LEVEL"]["value"] == "debug"


def test_sidecars_are_init_containers_that_keep_running() -> None:
    assert container_type({"name": "proxy", "restartPolicy": "Always"}, init=True) == "sidecar"
    assert container_type({"name": "setup"}, init=True) == "init"
    assert container_type({"name": "app", "restartPolicy": "Always"}, init=False) == "app"
