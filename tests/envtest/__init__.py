"""Real-Kubernetes test environment: control plane processes, a kubelet stand-in, fixtures.

See ``scripts/build_control_plane.sh`` for building the binaries and ``fixtures.py`` for use.
"""

from .controlplane import BinariesMissingError, ControlPlane, ControlPlaneError, api_request, find_binaries
from .kubelet import KubeletStandIn, KubeletThread
from .namespaces import create_namespace, create_namespace_sync, delete_namespace, delete_namespace_sync

__all__ = [
    "BinariesMissingError",
    "ControlPlane",
    "ControlPlaneError",
    "KubeletStandIn",
    "KubeletThread",
    "api_request",
    "create_namespace",
    "create_namespace_sync",
    "delete_namespace",
    "delete_namespace_sync",
    "find_binaries",
]
