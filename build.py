#!/usr/bin/env python3
"""Project tasks, runnable with the system Python 3 on a fresh Debian machine (stdlib only).

    python3 build.py run [serve flags]   install what is needed, then serve the dashboard
    python3 build.py test [pytest args]  install, prepare the control plane, lint (ruff, ESLint, tsc), run every test
    python3 build.py dist                build the one-file executable dist/kubevision
    python3 build.py vendor              copy pinned npm browser libraries into static/vendor

npm packages: `run` (and `dist`, `vendor`) install only package.json's dependencies (`npm ci --omit=dev`);
`test` also installs its devDependencies (ESLint and TypeScript, which lint and type-check static/js).

Installs go into virtual environments (Debian's system Python refuses pip outside one): ./.venv for
running and testing, and ./.venv-dist, holding only requirements.txt and PyInstaller, for the executable,
so a package that only the tests bring in can never hide a missing runtime one. Each install step is
skipped when its inputs did not change since the last successful run.

A fresh Debian 12 machine needs python3 and root; every other package (python3-venv, nodejs and npm,
libpython3 for PyInstaller, the browser and PostgreSQL for the tests) is installed here with apt-get.
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
DIST_VENV = ROOT / ".venv-dist"
VENDOR_DIR = ROOT / "static" / "vendor"
VENDOR_MANIFEST = ROOT / "vendor.json"
NODE_MODULES = ROOT / "node_modules"
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


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path, *requirement_files: str) -> Path:
    """Create `venv` (installing python3-venv if Debian lacks it) with requirements.txt and the given
    files installed, and return its interpreter. A venv whose files changed is rebuilt from scratch, so
    a package dropped from a requirements file does not linger."""
    python = venv_python(venv)
    files = [ROOT / name for name in ("requirements.txt", *requirement_files)]
    stamp = venv / ".kubevision-installed"
    wanted = _digest(*files)
    if python.exists() and _stamp_matches(stamp, wanted):
        return python
    shutil.rmtree(venv, ignore_errors=True)
    if subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True).returncode:
        shutil.rmtree(venv, ignore_errors=True)
        apt_install("python3-venv", f"python3.{sys.version_info.minor}-venv")
        run(sys.executable, "-m", "venv", venv)
    run(python, "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(python, "-m", "pip", "install", "-q", *(arg for path in files for arg in ("-r", path)))
    stamp.write_text(wanted)
    return python


def npm_install(*, dev: bool) -> None:
    """`npm ci` the locked packages: with `dev`, devDependencies too (the test tools); without, only
    what the browser is served. Skipped when node_modules already holds that set (or, for a production
    install, the full dev set) from the same package.json and lockfile."""
    lock = _digest(ROOT / "package.json", ROOT / "package-lock.json")
    stamp = NODE_MODULES / ".kubevision-installed"
    if _stamp_matches(stamp, f"{lock} dev") or (not dev and _stamp_matches(stamp, f"{lock} prod")):
        return
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    run("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", *(() if dev else ("--omit=dev",)), cwd=ROOT)
    stamp.write_text(f"{lock} {'dev' if dev else 'prod'}")


def lint_browser_code() -> None:
    """ESLint (eslint.config.js) and the TypeScript checker (tsconfig.json: checkJs, no emit) over static/js;
    either one's findings stop the build."""
    npm_install(dev=True)
    run(NODE_MODULES / ".bin" / "eslint", "--max-warnings", "0", ".", cwd=ROOT)
    run(NODE_MODULES / ".bin" / "tsc", "--project", "tsconfig.json", cwd=ROOT)


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
    npm_install(dev=False)
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
    included), the spec, and the pinned requirements (PyInstaller's version is in requirements-dist.txt)."""
    inputs = sorted(
        [p for folder in ("kubevision", "static") for p in (ROOT / folder).rglob("*")
         if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        + [ROOT / "kubevision.spec", ROOT / "requirements.txt", ROOT / "requirements-dist.txt"]
    )
    digest = hashlib.sha256(f"{sys.platform} {platform.machine()}".encode())
    for path in inputs:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def dist() -> Path:
    """Build dist/kubevision with PyInstaller (about a minute); reuse it when none of its inputs changed.

    Built in .venv-dist (requirements.txt and PyInstaller only), never in the test environment. The
    digest is taken before building, so a file edited during the build causes a rebuild next time.
    """
    if sys.platform.startswith("linux") and Path(sys.base_prefix) == Path("/usr"):
        # PyInstaller bundles the shared libpython, which Debian ships apart from python3.
        apt_install(f"libpython3.{sys.version_info.minor}")
    python = ensure_venv(DIST_VENV, "requirements-dist.txt")
    vendor()
    stamp = ROOT / "dist" / ".kubevision-inputs"
    wanted = _dist_inputs_digest()
    if DIST_BINARY.exists() and _stamp_matches(stamp, wanted):
        say(f"{DIST_BINARY.relative_to(ROOT)} is up to date")
        return DIST_BINARY
    stamp.unlink(missing_ok=True)
    run(python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "kubevision.spec", cwd=ROOT)
    stamp.write_text(wanted)
    say(f"{DIST_BINARY.relative_to(ROOT)}: {DIST_BINARY.stat().st_size / 2**20:.1f} MiB")
    return DIST_BINARY


def prepare_control_plane() -> None:
    """Build (once per machine, cached) the Kubernetes binaries the tests run."""
    run("bash", ROOT / "scripts" / "build_control_plane.sh")


def test(pytest_args: list[str]) -> int:
    """Everything CI runs: installs, control plane, browser, binary, lint, pytest."""
    python = ensure_venv(VENV, "requirements-dev.txt")
    apt_install(*TEST_APT_PACKAGES)
    if not shutil.which("kubectl"):
        # The outside reference for tests that act like an operator; Debian's client is the control plane's version.
        apt_install("kubernetes-client")
    prepare_control_plane()
    npm_install(dev=True)
    vendor()
    if (ROOT / "kubevision.spec").exists():
        dist()
    run(python, "-m", "ruff", "check", ".", cwd=ROOT)
    lint_browser_code()
    result = subprocess.run([str(python), "-m", "pytest", *pytest_args], cwd=ROOT)
    return result.returncode


def serve(args: list[str]) -> int:
    """Install runtime requirements and the frontend, then serve (Ctrl+C stops)."""
    python = ensure_venv(VENV)
    vendor()
    os.execv(str(python), [str(python), "-m", "kubevision", "serve", *args])
    return 0  # not reached


def main() -> int:
    """Dispatch the task named on the command line."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "dist", "vendor"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help", "help") else 2
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
