"""Where bundled files live: next to the package in a checkout, under `sys._MEIPASS` when frozen.

Never the current directory, so a double-clicked binary works from anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def bundle_root() -> Path:
    """The directory that holds `static/` and `kubevision/web/templates/`."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def static_dir() -> Path:
    """The frontend files."""
    return bundle_root() / "static"


def templates_dir() -> Path:
    """The Jinja2 templates."""
    return bundle_root() / "kubevision" / "web" / "templates"


def restore_child_environment() -> None:
    """Undo the one-file bootloader's library path for the programs we start.

    PyInstaller prepends its unpack directory to LD_LIBRARY_PATH (LIBPATH on AIX) so the bundled Python
    finds its libraries. Children would inherit it and load our bundled libssl/libz instead of their own:
    the browser launcher (xdg-open) and kubeconfig `exec` credential plugins then crash. The running
    process is unaffected (the loader read the variable at start). No-op outside a frozen build.
    """
    if not getattr(sys, "frozen", False):
        return
    for name in ("LD_LIBRARY_PATH", "LIBPATH"):
        original = os.environ.pop(f"{name}_ORIG", None)
        if original is not None:
            os.environ[name] = original
        else:
            os.environ.pop(name, None)
