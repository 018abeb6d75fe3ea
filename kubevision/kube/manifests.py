"""User manifests within fixed limits: multi-document YAML for apply, JSON bodies for create/replace/dry-run.

Why it is shaped this way:

- **Off the event loop.** Parsing a 2 MiB manifest costs about a second of CPU even with libyaml, so
  every parse, limit check and YAML dump (and the dry-run diff) runs in a worker thread (`off_loop`); the
  server keeps answering other requests and sockets meanwhile.
- **Limits before construction.** A first pass over libyaml's events (no recursion, no Python objects
  but the events) counts documents, nodes and nesting depth and stops at the first limit; only input
  within the limits is composed and constructed. Deep input therefore never reaches the recursive
  composer (a C stack) or constructor, and answers 42200 instead of a RecursionError.
- **No garbage-collector pauses meanwhile.** A 2 MiB manifest is ~10^6 live objects while it is composed
  (nodes and their marks); every full collection then walks all of them holding the GIL — up to half a
  second in which the event loop cannot run. These objects form no cycles (reference counting frees
  them), so automatic collection is paused while any manifest work runs and resumed when the last ends
  (`kubevision/heap.py`, shared with cache syncs).
- **Aliases count as what they expand to.** `*ref` adds the size of the anchored node, so a "billion
  laughs" document is refused by the node limit; an alias to a node that is still open (a recursive
  structure) is refused outright.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from kubevision.errors import ApiError, ErrorCode
from kubevision.heap import collector_paused

# Documents in one apply: a large Helm chart renders a few hundred (kube-prometheus-stack: ~150).
MAX_DOCUMENTS = 500
# Nodes (every mapping, sequence, key and scalar; an alias counts as the nodes it stands for) in one
# request. The 2 MiB body limit allows ~180,000 in realistic manifests (10+ bytes per node).
MAX_NODES = 250_000
# Nested mappings/sequences. CRDs with embedded pod templates reach ~60; nothing real comes near 100.
MAX_DEPTH = 100

# libyaml: 30x faster than the pure-Python loader. The wheel ships it; the fallback keeps a build
# without libyaml working (slower, still off the event loop).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
T = TypeVar("T")
_COLLECTION_STARTS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_COLLECTION_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


async def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking manifest work in a worker thread, with garbage collection paused meanwhile."""
    def run() -> T:
        with collector_paused():
            return work(*args, **kwargs)
    return await asyncio.to_thread(run)


@dataclasses.dataclass(frozen=True)
class Manifest:
    """One non-empty YAML document and the line (1-based) it starts on."""

    line: int
    document: Any


def _limit_error(what: str, limit: int, mark: Any = None) -> ApiError:
    """42200 naming the limit, its number and (for YAML) where it was exceeded."""
    line = mark.line + 1 if mark is not None else None
    where = f" (exceeded at line {line})" if line is not None else ""
    return ApiError(ErrorCode.MANIFEST_INVALID, f"the manifest exceeds the limit of {limit:,} {what}{where}",
                    data={"limit": what, "maximum": limit, "line": line})


def _yaml_error(exc: yaml.YAMLError) -> ApiError:
    """42200 with the line and column of a YAML syntax or construction error."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc)
    return ApiError(ErrorCode.MANIFEST_INVALID, f"YAML cannot be parsed{where}: {problem}",
                    data={"line": mark.line + 1 if mark else None, "column": mark.column + 1 if mark else None})


def check_yaml_limits(text: str) -> None:
    """42200 when the YAML stream has too many documents, nodes or nesting levels (a pass over events)."""
    documents = nodes = 0
    # Per open collection: (its anchor or None, the node count when it opened).
    open_collections: list[tuple[str | None, int]] = []
    anchor_sizes: dict[str, int] = {}
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > MAX_DOCUMENTS:
                raise _limit_error("documents", MAX_DOCUMENTS, event.start_mark)
            anchor_sizes.clear()  # anchors are per document
            continue
        if isinstance(event, _COLLECTION_ENDS):
            anchor, opened_at = open_collections.pop()
            if anchor is not None:
                anchor_sizes[anchor] = nodes - opened_at
            continue
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in anchor_sizes:
                nodes += anchor_sizes[event.anchor]
            elif any(anchor == event.anchor for anchor, _ in open_collections):
                raise ApiError(ErrorCode.MANIFEST_INVALID,
                               f"recursive alias *{event.anchor} at line {event.start_mark.line + 1}",
                               data={"line": event.start_mark.line + 1})
            else:
                nodes += 1  # an unknown anchor: the composer reports it with its position
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                anchor_sizes[event.anchor] = 1
        elif isinstance(event, _COLLECTION_STARTS):
            nodes += 1
            open_collections.append((event.anchor, nodes - 1))
            if len(open_collections) > MAX_DEPTH:
                raise _limit_error("nesting levels", MAX_DEPTH, event.start_mark)
        else:
            continue
        if nodes > MAX_NODES:
            raise _limit_error("nodes", MAX_NODES, event.start_mark)


def parse_manifests(text: str) -> list[Manifest]:
    """Every non-empty document of a YAML stream, within the limits (blocking; see `load_manifests`).

    40001 when there is no text; 42200 with line/column on a parse error or with the limit exceeded.
    """
    if not isinstance(text, str) or not text.strip():
        raise ApiError(ErrorCode.PARAM_MISSING, "yaml is required")
    manifests = []
    try:
        check_yaml_limits(text)
        loader = _LOADER(text)
        try:
            while loader.check_node():
                node = loader.get_node()
                document = loader.construct_document(node)
                if document is not None:
                    manifests.append(Manifest(node.start_mark.line + 1, document))
                _release(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc) from None
    except ValueError as exc:  # a scalar that resolves to a type but is out of range: `2024-13-45`, huge ints
        raise ApiError(ErrorCode.MANIFEST_INVALID, f"YAML cannot be parsed: {exc}") from None
    return manifests


def _release(root: yaml.Node) -> None:
    """Free a composed tree node by node: dropping it at once deallocates ~10^6 objects in one C call that
    holds the GIL (~0.1 s) — the event loop would wait for it."""
    pending: list[yaml.Node] = [root]
    while pending:
        node = pending.pop()
        children, node.value = node.value, None
        if isinstance(children, list):
            for child in children:
                if isinstance(child, tuple):
                    pending.extend(child)
                else:
                    pending.append(child)


async def load_manifests(text: str) -> list[Manifest]:
    """`parse_manifests` in a worker thread, so a big apply never holds the event loop."""
    return await off_loop(parse_manifests, text)


def check_object_limits(body: Any) -> None:
    """42200 when a decoded JSON manifest has more nodes or nesting levels than a YAML one may."""
    nodes = 1
    # Collections with their level (the root is level 1).
    pending: list[tuple[Any, int]] = [(body, 1)] if isinstance(body, dict | list) else []
    while pending:
        value, level = pending.pop()
        if level > MAX_DEPTH:
            raise _limit_error("nesting levels", MAX_DEPTH)
        children = list(value.values()) if isinstance(value, dict) else value
        nodes += len(children) * (2 if isinstance(value, dict) else 1)  # keys are nodes too
        if nodes > MAX_NODES:
            raise _limit_error("nodes", MAX_NODES)
        pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))


async def check_manifest_body(body: Any) -> None:
    """`check_object_limits` in a worker thread (a 2 MiB body has ~10^5 nodes to walk)."""
    await off_loop(check_object_limits, body)


def dump_yaml(document: Any, **options: Any) -> str:
    """YAML text of a document with libyaml's emitter (blocking; a document may be 2 MiB)."""
    return yaml.dump(document, Dumper=_DUMPER, **options)


async def dump_yaml_off_loop(document: Any) -> str:
    """`dump_yaml` in a worker thread."""
    return await off_loop(dump_yaml, document)


__all__ = ["MAX_DEPTH", "MAX_DOCUMENTS", "MAX_NODES", "Manifest", "check_manifest_body", "check_object_limits",
           "dump_yaml", "dump_yaml_off_loop", "load_manifests", "off_loop", "parse_manifests"]
