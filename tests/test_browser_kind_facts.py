"""The browser keeps no per-kind lists nor role rules: what a kind is and can do, and what the user may do with it,
come from GET /clusters/{id}/kinds (kubevision/kube/registry.py and the access scope). This scan of static/js fails
when such a copy comes back: an array or Set of two or more built-in plurals, an object mapping built-in plurals to
strings (kubectl names…), or a table of role verbs."""

from __future__ import annotations

import re
from pathlib import Path

from kubevision.kube.registry import BUILTIN_KINDS

STATIC_JS = Path(__file__).resolve().parents[1] / "static" / "js"
PLURALS = "|".join(sorted({plural for _, plural in BUILTIN_KINDS}, key=len, reverse=True))
ROLES = "admin|ops|dev|readonly|custom"
# A built-in plural as an element of an array literal (nested tuples included: `[["pods", "Pods"], …]`), not an
# index (`kinds["pods"]`).
ELEMENT = re.compile(rf"""(?:(?<![\w$)\]])\[|,)\s*["'`]({PLURALS})["'`]\s*(?=[,\]])""")
# `deployments: "deployment"` inside one object literal; `admin: [...]` (role → verbs).
STRING_VALUE_KEY = re.compile(rf"""(?<![\w.])({PLURALS})\s*:\s*["'`]""")
ROLE_KEY = re.compile(rf"(?<![\w.])({ROLES})\s*:\s*\[")
FLAT_OBJECT = re.compile(r"\{[^{}]*\}")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
LINE_COMMENT = re.compile(r"^\s*//.*$", re.M)


def _array_literals(source: str) -> list[tuple[int, str]]:
    """(offset, text) of every `[...]` that is a literal, not an index (`a[0]`, `f()[1]`)."""
    spans, starts = [], []
    for index, char in enumerate(source):
        if char == "[":
            starts.append(index)
        elif char == "]" and starts:
            start = starts.pop()
            before = source[:start].rstrip()[-1:]
            if not (before.isalnum() or before in "_$)]"):
                spans.append((start, source[start:index + 1]))
    return spans


def kind_fact_copies(source: str) -> list[str]:
    """Where a JavaScript source keeps its own per-kind list or role table (empty when it keeps none)."""
    # Comments go (their line breaks stay, so line numbers still match the file).
    source = LINE_COMMENT.sub("", BLOCK_COMMENT.sub(lambda comment: "\n" * comment.group().count("\n"), source))

    def line(offset: int) -> int:
        return source.count("\n", 0, offset) + 1

    found = []
    for offset, text in _array_literals(source):
        plurals = set(ELEMENT.findall(text))
        if len(plurals) >= 2:
            found.append(f"line {line(offset)}: a list of kinds {sorted(plurals)}")
    for match in FLAT_OBJECT.finditer(source):
        keyed = set(STRING_VALUE_KEY.findall(match.group()))
        if len(keyed) >= 2:
            found.append(f"line {line(match.start())}: a table keyed by kinds {sorted(keyed)}")
        roles = set(ROLE_KEY.findall(match.group()))
        if len(roles) >= 2:
            found.append(f"line {line(match.start())}: a table of role verbs {sorted(roles)}")
    found += [f"line {line(m.start())}: ROLE_VERBS" for m in re.finditer(r"\bROLE_VERBS\b", source)]
    return found


def test_static_js_keeps_no_kind_lists_nor_role_rules() -> None:
    sources = [path for path in STATIC_JS.rglob("*.js") if "vendor" not in path.relative_to(STATIC_JS).parts]
    assert len(sources) > 50  # the scan sees the whole frontend
    copies = {str(path.relative_to(STATIC_JS)): found for path in sources
              if (found := kind_fact_copies(path.read_text()))}
    assert copies == {}, "read these from GET /clusters/{id}/kinds (capabilities, views, sensitive, allowed) instead"


def test_the_scan_finds_the_copies_it_forbids() -> None:
    """Each shape the browser used to keep is found; code that names one kind, or tab ids, is not."""
    forbidden = {
        'export const RESTARTABLE = new Set(["deployments", "statefulsets", "daemonsets"]);': "a list of kinds",
        'const SCALABLE = new Set([\n  "deployments",\n  "statefulsets",\n  "replicasets",\n]);': "a list of kinds",
        'const CARDS = [\n  ["deployments", "Deployments"], ["pods", "Pods"],\n];': "a list of kinds",
        'const BUILTINS = [["pods", "Pod", "workloads", true], ["nodes", "Node", "cluster"]];': "a list of kinds",
        'const KUBECTL_TYPES = { deployments: "deployment", statefulsets: "statefulset" };': "a table keyed by kinds",
        'const VERBS = {\n  admin: ALL,\n  dev: ["read", "write"],\n  readonly: ["read", "logs"],\n};': "role verbs",
        "return (ROLE_VERBS[user.role] ?? []).includes(verb);": "ROLE_VERBS",
    }
    for source, finding in forbidden.items():
        assert any(finding in found for found in kind_fact_copies(source)), source
    allowed = [
        'const TABS = [\n  { id: "events", label: "Events" },\n  { id: "terminal", when: (r) => r === "pods" },\n];',
        'const rows = [kinds["pods"], kinds["nodes"]];',
        'listObjects(clusterId, "replicasets", { namespace }); listObjects(clusterId, "pods", { namespace });',
        'const SUMMARIES = { pods: PodSummary, deployments: WorkloadSummary };',
        '// e.g. ["pods", "nodes"]\n/* ["pods", "nodes"] */',
    ]
    for source in allowed:
        assert kind_fact_copies(source) == [], source
