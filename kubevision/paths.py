"""Where bundled files live: next to the package in a checkout, under `sys._MEIPASS` when frozen.

Never the current directory, so a double-clicked binary works from anywhere.
"""

from __future__ import annotations

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
