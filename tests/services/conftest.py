"""The fixtures of the real-control-plane tests (both kubeconfigs, cluster ids), for the service tests."""

from tests.kube.conftest import cid, nobody_cid, settings_overrides

__all__ = ["cid", "nobody_cid", "settings_overrides"]
