#!/usr/bin/env python3
"""Project tasks, runnable with the system Python 3 on a fresh Debian machine (stdlib only).

    python3 build.py run [serve flags]   install what is needed, then serve the dashboard
    python3 build.py test [pytest args]  install, prepare the real control plane, lint, run every test
    python3 build.py dist                build the one-file executable dist/kubevision
    python3 build.py vendor              copy pinned npm browser libraries into static/vendor

Installs go into ./.venv (Debian's system Python refuses pip outside a virtual environment). Each
install step is skipped when its inputs did not change since the last successful run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
VENDOR_DIR = ROOT / "static" / "vendor"
VENDOR_MANIFEST = ROOT / "vendor.json"
CACHE_DIR = Path(os.environ.get("KUBEVISION_TEST_CACHE", "/var/cache/kubevision-test"))
DIST_BINARY = ROOT / "dist" / ("kubevision.exe" if os.name == "nt" else "kubevision")
# Test-only Debian packages: the browser for the UI tests, and the PostgreSQL server the store and
# serve tests start privately (tests/postgres.py).
TEST_APT_PACKAGES = ["chromium", "postgresql"]


def say(message: str) -> None:
    """Progress line on stderr."""
    print(f"[build] {message}", file=sys.stderr, flush=True)


def run(*command: str | Path, **kwargs: object) -> None:
    """Run a command, echoing it, and stop the build when it fails."""
    say(" ".join(str(part) for part in command))
    subprocess.run([str(part) for part in command], check=True, **kwargs)  # type: ignore[arg-type]


def is_root() -> bool:
    """True when apt-get may be used."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_install(*packages: str) -> None:
    """Install Debian packages (as root) unless they are installed already."""
    missing = [p for p in packages
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    if not is_root() or not shutil.which("apt-get"):
        sys.exit(f"[build] please install these packages: {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", *missing, env=env)


def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp_matches(stamp: Path, value: str) -> bool:
    return stamp.exists() and stamp.read_text() == value


def ensure_venv(*requirement_files: str) -> None:
    """Create .venv (installing python3-venv if Debian lacks it) and install the requirements."""
    if not VENV_PYTHON.exists() and subprocess.run(
        [sys.executable, "-m", "venv", str(VENV)], capture_output=True
    ).returncode:
        shutil.rmtree(VENV, ignore_errors=True)
        apt_install("python3-venv", f"python3.{sys.version_info.minor}-venv")
        run(sys.executable, "-m", "venv", VENV)
    files = [ROOT / name for name in ("requirements.txt", *requirement_files)]
    stamp = VENV / ".kubevision-installed"
    wanted = _digest(*files)
    if _stamp_matches(stamp, wanted):
        return
    run(VENV_PYTHON, "-m", "pip", "install", "-q", "--upgrade", "pip")
    for path in files:
        run(VENV_PYTHON, "-m", "pip", "install", "-q", "-r", path)
    stamp.write_text(wanted)


def vendor() -> None:
    """npm ci the pinned browser libraries and copy the files named in vendor.json to static/vendor.

    vendor.json maps files (or, with a trailing "/", whole folders such as a package's multi-file ESM
    build) inside node_modules to paths under static/vendor, and import names to those paths; an
    import map is written beside them.
    """
    if not VENDOR_MANIFEST.exists():
        return
    manifest = json.loads(VENDOR_MANIFEST.read_text())
    stamp = VENDOR_DIR / ".stamp"
    wanted = _digest(ROOT / "package.json", ROOT / "package-lock.json", VENDOR_MANIFEST)
    if _stamp_matches(stamp, wanted):
        return
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    run("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", cwd=ROOT)
    shutil.rmtree(VENDOR_DIR, ignore_errors=True)
    import_map = {}
    for target, source in manifest["files"].items():
        destination = VENDOR_DIR / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.endswith("/"):
            shutil.copytree(ROOT / "node_modules" / source, destination, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.d.ts", "*.map", "package.json"))
        else:
            shutil.copyfile(ROOT / "node_modules" / source, destination)
    for name, target in manifest["imports"].items():
        import_map[name] = f"vendor/{target}"
    (VENDOR_DIR / "importmap.json").write_text(json.dumps(import_map, indent=2))
    stamp.write_text(wanted)


def _dist_inputs_digest() -> str:
    """Hash of everything that goes into the executable: the app, the frontend (static/vendor
    included), the spec, and the pinned requirements (PyInstaller's version is in the dev file)."""
    inputs = sorted(
        [p for folder in ("kubevision", "static") for p in (ROOT / folder).rglob("*")
         if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        + [ROOT / "kubevision.spec", ROOT / "requirements.txt", ROOT / "requirements-dev.txt"]
    )
    digest = hashlib.sha256(f"{sys.platform} {platform.machine()}".encode())
    for path in inputs:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dist() -> Path:
    """Build dist/kubevision with PyInstaller (about a minute); reuse it when none of its inputs changed.

    The digest is taken before building, so a file edited during the build causes a rebuild next time.
    """
    ensure_venv("requirements-dev.txt")
    vendor()
    stamp = ROOT / "dist" / ".kubevision-inputs"
    wanted = _dist_inputs_digest()
    if DIST_BINARY.exists() and _stamp_matches(stamp, wanted):
        say(f"{DIST_BINARY.relative_to(ROOT)} is up to date")
        return DIST_BINARY
    stamp.unlink(missing_ok=True)
    run(VENV_PYTHON, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "kubevision.spec", cwd=ROOT)
    stamp.write_text(wanted)
    say(f"{DIST_BINARY.relative_to(ROOT)}: {DIST_BINARY.stat().st_size / 2**20:.1f} MiB")
    return DIST_BINARY


def prepare_control_plane() -> None:
    """Build (once per machine, cached) the Kubernetes binaries the tests run."""
    run("bash", ROOT / "scripts" / "build_control_plane.sh")


def test(pytest_args: list[str]) -> int:
    """Everything CI runs: installs, control plane, browser, binary, lint, pytest."""
    ensure_venv("requirements-dev.txt")
    apt_install(*TEST_APT_PACKAGES)
    prepare_control_plane()
    vendor()
    if (ROOT / "kubevision.spec").exists():
        dist()
    run(VENV_PYTHON, "-m", "ruff", "check", ".", cwd=ROOT)
    result = subprocess.run([str(VENV_PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT)
    return result.returncode


def serve(args: list[str]) -> int:
    """Install runtime requirements and the frontend, then serve (Ctrl+C stops)."""
    ensure_venv()
    vendor()
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), "-m", "kubevision", "serve", *args])
    return 0  # not reached


def main() -> int:
    """Dispatch the task named on the command line."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "dist", "vendor"):
        print(__doc__)
        return 2
    task, rest = sys.argv[1], sys.argv[2:]
    if task == "run":
        return serve(rest)
    if task == "test":
        return test(rest)
    if task == "dist":
        say(f"built {dist()}")
        return 0
    vendor()
    return 0


if __name__ == "__main__":
    sys.exit(main())
