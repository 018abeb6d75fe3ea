"""The one-file executable on a jump host: a Debian root with no Python, started with an empty environment.

    python -m tests.binary.jumphost ROOT     (as root; ROOT holds the binary at /usr/local/bin/kubevision)

Why: the smoke test (tests/test_binary.py) hides Python from PATH, but the build machine's libraries
are still there. Here the binary runs chrooted in an untouched `debootstrap --variant=minbase` root
(scripts/fresh_machine.sh makes it) that has no interpreter at all, under `env -i`, against a real
control plane on loopback: `/healthz`, the first-run admin password, sign-in, and the cluster's
namespaces and pods. Prints what it saw; exits non-zero (with the console output) when anything fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.binary.launcher import RunningBinary, free_port
from tests.envtest.controlplane import ControlPlane, api_request

BINARY_IN_ROOT = "/usr/local/bin/kubevision"
DATA_DIR_IN_ROOT = "/root/kubevision-data"
KUBECONFIG_IN_ROOT = "/root/kubeconfig"
NAMESPACE = "jumphost"
HEALTH_TIMEOUT_S = 60.0
# The password the check sets in place of the generated first-run one.
CHOSEN_PASSWORD = "jumphost-password-1"


def seed(control_plane: ControlPlane) -> None:
    """A namespace with one pod, for the binary to list."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "jumphost-pod"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    for path, body in (("/api/v1/namespaces", namespace), (f"/api/v1/namespaces/{NAMESPACE}/pods", pod)):
        status, answer = api_request(control_plane.server_url, control_plane.admin_token, "POST", path, body)
        if status != 201:
            raise RuntimeError(f"POST {path}: {status} {answer}")


def check(root: Path, control_plane: ControlPlane, log_path: Path) -> list[str]:
    """Start the binary chrooted in `root` with `env -i`; return what was checked, or raise."""
    if any((root / "usr" / "bin").glob("python*")):
        raise RuntimeError(f"{root} has a Python: not a jump host")
    shutil.copyfile(control_plane.admin_kubeconfig, root / KUBECONFIG_IN_ROOT.lstrip("/"))
    port = free_port()
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"  # found on our PATH: the child's environment is empty
    command = [chroot, str(root), "/usr/bin/env", "-i", BINARY_IN_ROOT, "--no-browser", "--port", str(port),
               "--data-dir", DATA_DIR_IN_ROOT, "--kubeconfig", KUBECONFIG_IN_ROOT]
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={}, text=True, start_new_session=True)
    running = RunningBinary(process, port, log_path, started)
    try:
        healthy_after = running.wait_healthy(HEALTH_TIMEOUT_S)
        password = (root / DATA_DIR_IN_ROOT.lstrip("/") / "initial-admin-password").read_text().strip()
        token = running.api("POST", "/auth/login", {"username": "admin", "password": password})["accessToken"]
        # A generated first-run password must be changed before anything else answers.
        running.api("PUT", "/users/me/password", {"oldPassword": password, "newPassword": CHOSEN_PASSWORD}, token=token)
        token = running.api("POST", "/auth/login", {"username": "admin", "password": CHOSEN_PASSWORD})["accessToken"]
        clusters = running.api("GET", "/clusters", token=token)
        if [cluster["name"] for cluster in clusters] != ["envtest-admin"]:
            raise RuntimeError(f"clusters: {json.dumps(clusters)}")
        cluster_id = clusters[0]["id"]
        namespaces = running.api("GET", f"/clusters/{cluster_id}/resources/namespaces", token=token)
        pods = running.api("GET", f"/clusters/{cluster_id}/resources/pods?namespace={NAMESPACE}", token=token)
        if NAMESPACE not in [item["metadata"]["name"] for item in namespaces]:
            raise RuntimeError(f"namespace {NAMESPACE} not listed")
        if [pod["metadata"]["name"] for pod in pods] != ["jumphost-pod"]:
            raise RuntimeError(f"pods: {json.dumps(pods)[:2000]}")
        exit_code = running.stop(signal.SIGTERM)
        if exit_code != 0:
            raise RuntimeError(f"exit code {exit_code} on SIGTERM")
    finally:
        if process.poll() is None:
            running.stop(signal.SIGKILL)
    return [f"/healthz answered {healthy_after:.2f} s after start",
            "signed in as admin with the first-run password and changed it",
            f"listed cluster {clusters[0]['name']}: {len(namespaces)} namespaces, pod {NAMESPACE}/jumphost-pod",
            "stopped with exit code 0 on SIGTERM"]


def main() -> int:
    """Run the check against a fresh control plane; print the outcome."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the jump host's root directory")
    root = parser.parse_args().root.resolve()
    log_path = root / "root" / "kubevision-console.log"
    with ControlPlane() as control_plane:
        seed(control_plane)
        try:
            checked = check(root, control_plane, log_path)
        except Exception as error:  # report with the console output, then fail
            print(f"[jumphost] FAILED: {error}\n--- console ---\n"
                  f"{log_path.read_text(errors='replace') if log_path.exists() else '(none)'}", file=sys.stderr)
            return 1
    for line in checked:
        print(f"[jumphost] {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
