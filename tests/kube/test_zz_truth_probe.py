import asyncio, time
import pytest
from tests.helpers import ApiSession
from tests.kube.test_cache import cached_list

@pytest.mark.parametrize("settings_overrides", [{"cache_ttl_s": 8}], indirect=True)
async def test_probe(admin: ApiSession, cid: int, namespace: str, control_plane) -> None:
    base = f"/clusters/{cid}/resources/pods?namespace={namespace}"
    await cached_list(admin, base)
    t0 = time.monotonic()
    await asyncio.to_thread(control_plane.stop_apiserver)
    print("stopped after", time.monotonic() - t0)
    try:
        for i in range(25):
            body = await admin.call("GET", base)
            print("T", round(time.monotonic() - t0, 1), body["meta"].get("source"), body["meta"].get("stale"), body["code"])
            await asyncio.sleep(1)
    finally:
        await asyncio.to_thread(control_plane.start_apiserver)
    for i in range(10):
        body = await admin.call("GET", base)
        print("A", round(time.monotonic() - t0, 1), body["meta"].get("source"), body["meta"].get("stale"))
        await asyncio.sleep(1)
