"""Start and stop a real Kubernetes control plane (etcd + kube-apiserver + controllers) for tests.

Design notes:

- The binaries come from ``scripts/build_control_plane.sh`` (built once per machine from Debian's
  ``kubernetes`` source package and cached under ``$KUBEVISION_TEST_CACHE/bin``); etcd is Debian's
  ``etcd-server`` on PATH. Nothing is mocked: tests see real admission, RBAC, watches and controllers.
- Every process binds to 127.0.0.1 on ports picked free at start, so parallel sessions and other
  software on the machine never collide.
- Authentication is a static token file: an ``admin`` user in ``system:masters`` and a ``nobody``
  user with no RBAC bindings (for Forbidden paths). Two kubeconfigs point at them with
  ``insecure-skip-tls-verify`` because the serving certificate is self-signed.
- Each process writes to its own log file in the work dir; when something fails to come up the
  raised error carries the tail of every log, which is usually all one needs to debug CI.
- The API is synchronous (subprocess + urllib) so it works from any pytest fixture scope without
  event-loop coupling.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

DEFAULT_CACHE_DIR = "/var/cache/kubevision-test"
BUILD_SCRIPT = "scripts/build_control_plane.sh"
BINARY_NAMES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")

ETCD_READY_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# kube-apiserver stops listening at once on SIGTERM but then waits (>10 s) for open watch
# connections of the controllers; nothing in etcd is at risk, so SIGKILL it after a short grace.
APISERVER_STOP_GRACE_S = 2.0
HTTP_PROBE_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.1
LOG_TAIL_LINES = 40

CONTROLLERS = (
    "*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-ttl,-bootstrapsigner,-tokencleaner,"
    "-serviceaccount-token"
)

_PR_SET_PDEATHSIG = 1


class ControlPlaneError(RuntimeError):
    """The control plane could not be started or stopped."""


class BinariesMissingError(ControlPlaneError):
    """kube-apiserver & co. (or etcd) are not installed on this machine."""


def cache_dir() -> Path:
    """Return the binary cache dir (``$KUBEVISION_TEST_CACHE`` or the default)."""
    return Path(os.environ.get("KUBEVISION_TEST_CACHE") or DEFAULT_CACHE_DIR)


def find_binaries() -> dict[str, str]:
    """Locate etcd and the three Kubernetes binaries, or raise ``BinariesMissingError``."""
    found: dict[str, str] = {}
    missing: list[str] = []
    bin_dir = cache_dir() / "bin"
    for name in BINARY_NAMES:
        path = bin_dir / name
        if path.is_file() and path.stat().st_size > 0 and os.access(path, os.X_OK):
            found[name] = str(path)
        else:
            missing.append(str(path))
    etcd = shutil.which("etcd") or ("/usr/bin/etcd" if os.access("/usr/bin/etcd", os.X_OK) else None)
    if etcd:
        found["etcd"] = etcd
    else:
        missing.append("etcd (on PATH)")
    if missing:
        raise BinariesMissingError(
            f"Kubernetes control-plane binaries missing: {', '.join(missing)}. "
            f"Run `sudo {BUILD_SCRIPT}` once on this machine (builds them from Debian's kubernetes "
            f"source package, ~7 min; set KUBEVISION_TEST_CACHE to use another cache dir)."
        )
    return found


def kubectl_binary() -> str:
    """The kubectl client on PATH, the outside reference some tests compare with (`build.py test` installs
    Debian's kubernetes-client, the test control plane's own version, where none is installed)."""
    found = shutil.which("kubectl")
    if found is None:
        raise BinariesMissingError("kubectl is not on PATH: `python3 build.py test` installs kubernetes-client")
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    """Child pre-exec hook: SIGTERM the child when the parent dies (no orphaned etcd after kill -9)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _insecure_ssl_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def api_request(
    server_url: str,
    token: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    content_type: str = "application/json",
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> tuple[int, Any]:
    """Call the API server synchronously; return ``(status, decoded JSON or text)``.

    Stdlib only (no event loop), so fixtures of any scope can use it.
    """
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{server_url}{path}", data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s, context=_insecure_ssl_context()) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


class _Process:
    """One managed child process with its log file."""

    def __init__(
        self, name: str, argv: list[str], log_path: Path, *, stop_grace_s: float = STOP_TIMEOUT_S
    ) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.stop_grace_s = stop_grace_s
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {time.strftime('%H:%M:%S')} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            # PDEATHSIG fires when the *thread* that forked exits, so only use it from the main thread.
            preexec = _die_with_parent if threading.current_thread() is threading.main_thread() else None
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
            )

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        proc, self.popen = self.popen, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(self.stop_grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler on 127.0.0.1.

    Use ``start()``/``stop()`` or ``with ControlPlane() as cp:``. After start the attributes
    ``server_url``, ``admin_token``, ``nobody_token``, ``admin_kubeconfig`` and
    ``nobody_kubeconfig`` (paths as str) are set. ``workdir`` holds certificates, etcd data and
    one ``<process>.log`` per process; it is deleted on ``stop()`` unless ``keep_workdir`` (or env
    ``KUBEVISION_TEST_KEEP=1``) or a start failure left it for inspection.
    """

    def __init__(self, *, base_dir: str | None = None, keep_workdir: bool | None = None) -> None:
        self._base_dir = base_dir or os.environ.get("KUBEVISION_TEST_TMPDIR") or None
        self.keep_workdir = (
            keep_workdir if keep_workdir is not None else os.environ.get("KUBEVISION_TEST_KEEP") == "1"
        )
        self.workdir: Path | None = None
        self.etcd_url = ""
        self.server_url = ""
        self.apiserver_port = 0
        self.admin_token = secrets.token_hex(16)
        self.nobody_token = secrets.token_hex(16)
        self.admin_kubeconfig = ""
        self.nobody_kubeconfig = ""
        self._procs: dict[str, _Process] = {}
        self._atexit_registered = False

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start all four processes and wait until the API server is ready."""
        if self._procs:
            raise ControlPlaneError("control plane already started")
        binaries = find_binaries()
        self.workdir = Path(tempfile.mkdtemp(prefix="kubevision-envtest-", dir=self._base_dir))
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._prepare_files()
            self._start_etcd(binaries["etcd"])
            self._define_apiserver(binaries["kube-apiserver"])
            self._procs["kube-apiserver"].start()
            self._wait_ready("kube-apiserver", f"{self.server_url}/readyz", READY_TIMEOUT_S)
            self._write_kubeconfigs()
            self._start_controllers(binaries)
        except BaseException:
            self.keep_workdir = True  # leave logs for post-mortem
            self._stop_processes()
            raise

    def stop(self) -> None:
        """Stop every process (reverse start order) and remove the work dir."""
        self._stop_processes()
        if self.workdir is not None and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def stop_controllers(self) -> None:
        """Stop the controller-manager and the scheduler (for seeding objects directly, e.g. a Deployment's
        ReplicaSet and pods written by the caller, which no controller then rewrites)."""
        for name in ("kube-controller-manager", "kube-scheduler"):
            proc = self._procs.get(name)
            if proc is not None:
                proc.stop()

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again on the same port (etcd state is kept)."""
        proc = self._procs.get("kube-apiserver")
        if proc is None:
            raise ControlPlaneError("control plane not started")
        proc.stop()
        proc.start()
        self._wait_ready("kube-apiserver", f"{self.server_url}/readyz", READY_TIMEOUT_S)

    def stop_apiserver(self) -> None:
        """Stop only kube-apiserver (e.g. to test an unreachable cluster); see ``start_apiserver``."""
        proc = self._procs.get("kube-apiserver")
        if proc is None:
            raise ControlPlaneError("control plane not started")
        proc.stop()

    def start_apiserver(self) -> None:
        """Start kube-apiserver again after ``stop_apiserver`` and wait until it is ready."""
        proc = self._procs.get("kube-apiserver")
        if proc is None:
            raise ControlPlaneError("control plane not started")
        if not proc.running():
            proc.start()
        self._wait_ready("kube-apiserver", f"{self.server_url}/readyz", READY_TIMEOUT_S)

    def start_second_apiserver(self, name: str, *, etcd_prefix: str, extra_flags: Sequence[str] = ()) -> str:
        """Start another kube-apiserver (``name``, also its log's name) on this etcd under its own ``etcd_prefix``
        (so a cluster of its own, sharing nothing with the first), with ``extra_flags``; wait until it is ready and
        return its URL. The same tokens work; no controllers run for it. ``stop_second_apiserver`` (or ``stop``)
        ends it."""
        if "kube-apiserver" not in self._procs:
            raise ControlPlaneError("control plane not started")
        if name in self._procs:
            raise ControlPlaneError(f"{name} already started")
        port = free_port()
        cert_dir = self._path(f"certs-{name}")
        cert_dir.mkdir(exist_ok=True)
        self._procs[name] = self._apiserver_process(
            name, find_binaries()["kube-apiserver"], port, cert_dir=cert_dir,
            extra_flags=[f"--etcd-prefix={etcd_prefix}", *extra_flags])
        self._procs[name].start()
        url = f"https://127.0.0.1:{port}"
        try:
            self._wait_ready(name, f"{url}/readyz", READY_TIMEOUT_S)
        except BaseException:
            self.stop_second_apiserver(name)
            raise
        return url

    def stop_second_apiserver(self, name: str) -> None:
        """Stop an API server of ``start_second_apiserver`` (its data stays in etcd under its prefix)."""
        proc = self._procs.pop(name, None)
        if proc is not None:
            proc.stop()

    # -- small synchronous REST client (for fixtures) ----------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> tuple[int, Any]:
        """Call the API server synchronously as admin (or ``token``); see ``api_request``."""
        return api_request(
            self.server_url,
            token or self.admin_token,
            method,
            path,
            body,
            content_type=content_type,
            timeout_s=timeout_s,
        )

    def logs(self) -> dict[str, str]:
        """Return the tail of every process log (for error messages)."""
        return {name: _tail(proc.log_path) for name, proc in self._procs.items()}

    # -- internals -------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        assert self.workdir is not None
        return self.workdir / name

    def _prepare_files(self) -> None:
        self._path("tokens.csv").write_text(
            f'{self.admin_token},admin,uid-admin,"system:masters"\n{self.nobody_token},nobody,uid-nobody\n'
        )
        self._path("certs").mkdir()
        for argv in (
            ["openssl", "genrsa", "-out", str(self._path("sa.key")), "2048"],
            [
                "openssl",
                "rsa",
                "-in",
                str(self._path("sa.key")),
                "-pubout",
                "-out",
                str(self._path("sa.pub")),
            ],
        ):
            res = subprocess.run(argv, capture_output=True, check=False)
            if res.returncode != 0:
                raise ControlPlaneError(f"{' '.join(argv)} failed: {res.stderr.decode(errors='replace')}")

    def _start_etcd(self, etcd: str) -> None:
        client_port, peer_port = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client_port}"
        proc = _Process(
            "etcd",
            [
                etcd,
                f"--data-dir={self._path('etcd-data')}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            ],
            self._path("etcd.log"),
        )
        self._procs["etcd"] = proc
        proc.start()
        self._wait_ready("etcd", f"{self.etcd_url}/health", ETCD_READY_TIMEOUT_S)

    def _define_apiserver(self, binary: str) -> None:
        self.apiserver_port = free_port()
        self.server_url = f"https://127.0.0.1:{self.apiserver_port}"
        self._procs["kube-apiserver"] = self._apiserver_process(
            "kube-apiserver", binary, self.apiserver_port, cert_dir=self._path("certs"))

    def _apiserver_process(
        self, name: str, binary: str, port: int, *, cert_dir: Path, extra_flags: Sequence[str] = ()
    ) -> _Process:
        """A kube-apiserver on this etcd, the tokens and service-account keys, on ``port``."""
        return _Process(
            name,
            [
                binary,
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={cert_dir}",
                f"--token-auth-file={self._path('tokens.csv')}",
                "--authorization-mode=RBAC",
                f"--service-account-key-file={self._path('sa.pub')}",
                f"--service-account-signing-key-file={self._path('sa.key')}",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--advertise-address=127.0.0.1",
                "--endpoint-reconciler-type=none",
                "--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
                "--kubelet-preferred-address-types=InternalIP",
                *extra_flags,
            ],
            self._path(f"{name}.log"),
            stop_grace_s=APISERVER_STOP_GRACE_S,
        )

    def _write_kubeconfigs(self) -> None:
        for user, token in (("admin", self.admin_token), ("nobody", self.nobody_token)):
            config = {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "envtest",
                        "cluster": {"server": self.server_url, "insecure-skip-tls-verify": True},
                    }
                ],
                "users": [{"name": user, "user": {"token": token}}],
                "contexts": [
                    {
                        "name": f"envtest-{user}",
                        "context": {"cluster": "envtest", "user": user, "namespace": "default"},
                    }
                ],
                "current-context": f"envtest-{user}",
                "preferences": {},
            }
            path = self._path(f"{user}.kubeconfig")
            path.write_text(yaml.safe_dump(config, sort_keys=False))
            path.chmod(0o600)
        self.admin_kubeconfig = str(self._path("admin.kubeconfig"))
        self.nobody_kubeconfig = str(self._path("nobody.kubeconfig"))

    def _start_controllers(self, binaries: dict[str, str]) -> None:
        common = [
            f"--kubeconfig={self.admin_kubeconfig}",
            "--bind-address=127.0.0.1",
            "--secure-port=0",
            "--port=0",
            "--leader-elect=false",
        ]
        self._procs["kube-controller-manager"] = _Process(
            "kube-controller-manager",
            [
                binaries["kube-controller-manager"],
                *common,
                f"--service-account-private-key-file={self._path('sa.key')}",
                f"--controllers={CONTROLLERS}",
            ],
            self._path("kube-controller-manager.log"),
        )
        self._procs["kube-scheduler"] = _Process(
            "kube-scheduler", [binaries["kube-scheduler"], *common], self._path("kube-scheduler.log")
        )
        self._procs["kube-controller-manager"].start()
        self._procs["kube-scheduler"].start()
        time.sleep(0.5)  # catch immediate crashes (bad flags) here rather than in a test
        for name in ("kube-controller-manager", "kube-scheduler"):
            if not self._procs[name].running():
                raise self._error(f"{name} exited right after start")

    def _wait_ready(self, name: str, url: str, timeout_s: float) -> None:
        """Poll ``url`` until it answers 200 ``ok``; fail fast if the process dies."""
        deadline = time.monotonic() + timeout_s
        last = "no answer yet"
        ctx = _insecure_ssl_context()
        while time.monotonic() < deadline:
            if not self._procs[name].running():
                raise self._error(f"{name} exited while starting")
            req = urllib.request.Request(url)
            req.add_header("Authorization", f"Bearer {self.admin_token}")
            try:
                with urllib.request.urlopen(
                    req, timeout=HTTP_PROBE_TIMEOUT_S, context=ctx if url.startswith("https") else None
                ) as resp:
                    body = resp.read().decode(errors="replace")
                    if resp.status == 200:
                        return
                    last = f"HTTP {resp.status}: {body[:200]}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}: {exc.read().decode(errors='replace')[:500]}"
            except (OSError, ValueError) as exc:
                last = repr(exc)
            time.sleep(POLL_INTERVAL_S)
        raise self._error(f"{name} not ready at {url} after {timeout_s:.0f} s (last: {last})")

    def _error(self, message: str) -> ControlPlaneError:
        parts = [f"{message}; work dir {self.workdir}"]
        for name, tail in self.logs().items():
            parts.append(f"--- {name}.log (last {LOG_TAIL_LINES} lines) ---\n{tail}")
        return ControlPlaneError("\n".join(parts))

    def _stop_processes(self) -> None:
        for name in reversed(list(self._procs)):
            with contextlib.suppress(Exception):
                self._procs[name].stop()
        self._procs.clear()
