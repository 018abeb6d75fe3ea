"""Imports go one way: api → services (`services/`, `auth/`) → kube and store, with the error catalogue
(`kubevision.errors`) below them all. Read from the source with `ast`, so imports inside
functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kubevision"
# The HTTP side: routes, middleware, the page shell, and the modules that wire them up or run them.
HTTP_SIDE = ("api", "web", "app.py", "server.py", "cli.py", "logging_setup.py", "__main__.py")


def imports_of(path: Path, *, package_root: Path = PACKAGE) -> set[str]:
    """Every module name a file imports (absolute names; relative imports resolved against the package)."""
    names: set[str] = set()
    package = ".".join(path.relative_to(package_root.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
    return names


def modules(*, http_side: bool) -> dict[str, set[str]]:
    """Imports per source file, of the HTTP side or of everything below it."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in HTTP_SIDE or str(relative) in HTTP_SIDE:
            if http_side:
                found[str(relative)] = imports_of(path)
        elif not http_side:
            found[str(relative)] = imports_of(path)
    return found


def starts_with(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_lower_layers_never_import_the_http_layer() -> None:
    below = modules(http_side=False)
    assert {"services/resource_writes.py", "auth/service.py", "store/db.py", "services/audit.py",
            "errors.py"} <= below.keys()
    wrong = {module: sorted(name for name in names
                            if starts_with(name, "kubevision.api") or starts_with(name, "kubevision.web"))
             for module, names in below.items()}
    assert {module: names for module, names in wrong.items() if names} == {}


def test_kubernetes_and_the_store_never_import_the_services() -> None:
    below = modules(http_side=False)
    wrong = {module: sorted(name for name in names
                            if starts_with(name, "kubevision.services"))
             for module, names in below.items() if module.startswith(("kube/", "store/"))}
    assert {"kube/cache.py", "store/users.py"} <= below.keys()
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_http_layer_never_talks_to_kubernetes_or_the_database_directly() -> None:
    http = modules(http_side=True)
    assert {"api/resources.py", "api/middleware.py", "web/spa.py"} <= http.keys()
    wrong = {module: sorted(name for name in names if starts_with(name, "kubernetes_asyncio")
                            or starts_with(name, "sqlalchemy"))
             for module, names in http.items() if module.startswith("api/")}
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_error_catalogue_imports_nothing_of_the_project() -> None:
    names = imports_of(PACKAGE / "errors.py")
    assert not [name for name in names if starts_with(name, "kubevision")]


def test_the_scan_sees_a_wrong_way_import(tmp_path: Path) -> None:
    """The scan itself: relative and absolute imports into the API layer are resolved and recognised."""
    source = tmp_path / "kubevision" / "kube" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("from ..api import envelope\nimport kubevision.api.routing\n\n\ndef f():\n    from . import y\n")
    assert imports_of(source, package_root=tmp_path / "kubevision") == {
        "kubevision.api", "kubevision.api.routing", "kubevision.kube"}
