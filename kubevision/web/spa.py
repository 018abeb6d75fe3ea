"""Serving the frontend: content-hashed static URLs, the Jinja2 shell for every non-API GET path.

Unknown `/api/*` paths never get the shell: they raise 404, which the envelope middleware answers
with code 40400. Every other GET path gets `index.html`, so deep links survive a reload.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from kubevision import __version__
from kubevision.api.context import CSP_NONCE
from kubevision.api.middleware import is_api_path
from kubevision.paths import static_dir, templates_dir

STATIC_PREFIX = "/static/"
# Third-party ES modules copied from npm by build.py; the app's own modules import them by name.
IMPORT_MAP_FILE = "vendor/importmap.json"
# Files the browser loads as ES modules (mapped to their hashed URLs by the import map).
MODULE_SUFFIXES = (".js", ".mjs")


class StaticFiles:
    """Content hashes of the static files and the import map, computed once at start, for cache-busting URLs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._hashes: dict[str, str] = {}
        self._import_map = json.dumps({"imports": {}})

    def scan(self) -> None:
        """Hash every file under the static root; make the import map."""
        self._hashes = {
            path.relative_to(self.root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in self.root.rglob("*") if path.is_file()
        }
        path = self.root / IMPORT_MAP_FILE
        vendor = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        imports = {name: self.url(target) for name, target in vendor.items()}
        imports.update({f"{STATIC_PREFIX}{relative}": self.url(relative) for relative in sorted(self._hashes)
                        if relative.endswith(MODULE_SUFFIXES)})
        self._import_map = json.dumps({"imports": imports}, separators=(",", ":"))

    def url(self, relative: str) -> str:
        """`/static/<relative>?v=<hash>` (the hash makes the URL cacheable forever)."""
        digest = self._hashes.get(relative, __version__)
        return f"{STATIC_PREFIX}{relative}?v={digest}"

    def import_map(self) -> str:
        """The import map JSON: the vendor bundle's bare names, and every ES module by its own URL, both to hashed
        URLs. So the relative imports between modules are cached forever like the entry point (not revalidated,
        one request each, on every page load), and a module has one URL, so one instance, however it is imported
        (`import("/static/js/...")` included)."""
        return self._import_map


STATIC_FILES = web.AppKey("static_files", StaticFiles)


async def index(request: web.Request) -> web.Response:
    """The shell for every non-API path."""
    if is_api_path(request.path):
        raise web.HTTPNotFound()
    files = request.app[STATIC_FILES]
    return aiohttp_jinja2.render_template(
        "index.html", request,
        {"static_url": files.url, "import_map": files.import_map(), "nonce": request[CSP_NONCE],
         "version": __version__},
    )


async def set_static_cache_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Hashed static URLs are immutable; the shell is always revalidated."""
    if request.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if "v" in request.query else "no-cache"
        )
    elif not is_api_path(request.path):
        response.headers.setdefault("Cache-Control", "no-cache")


def setup_frontend(app: web.Application) -> None:
    """Templates, `/static/` and the catch-all shell route (registered last)."""
    files = StaticFiles(static_dir())
    app[STATIC_FILES] = files
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True)
    app.router.add_static(STATIC_PREFIX.rstrip("/"), files.root, follow_symlinks=False)
    app.router.add_get("/{tail:.*}", index)
    app.on_response_prepare.append(set_static_cache_headers)

    async def scan_static(_app: web.Application) -> None:
        files.scan()

    app.on_startup.append(scan_static)
