/**
 * Cmd/Ctrl+K anywhere in the workspace opens the search palette: kinds to jump to ("nodes", "sts", from GET /kinds)
 * and objects from GET /clusters/{id}/search (debounced, the previous request aborted; the current namespace's
 * matches ranked first by the server). Kinds matched by a whole name or its start come first, then objects, then
 * kinds matched inside a name. With an empty query it lists recently opened items.
 */
import { html, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { findKind, kindLabel, kindName, matchKinds } from "../lib/kinds.js";
import { search } from "../api/views.js";
import { ALL_NAMESPACES, navigate, paths } from "../router.js";
import { recent, rememberRecent } from "../state/recent.js";
import { CommandPalette } from "../components/CommandPalette.js";

const DEBOUNCE_MS = 160;
const MAX_KIND_ITEMS = 5; // kinds offered at most, before the objects

/**
 * @param {{clusterId: string|null, kinds: object[], namespace?: string, open: boolean,
 *          onOpenChange: (open: boolean) => void}} props `namespace`: the current one (ranked first), or ALL_NAMESPACES
 */
export function SearchPalette({ clusterId, kinds, namespace = ALL_NAMESPACES, open, onOpenChange }) {
  const [query, setQuery] = useState("");
  const [state, setState] = useState({ loading: false, results: [], error: null });
  const recentItems = useStore(recent);
  const timerRef = useRef(0);
  const currentNamespace = namespace === ALL_NAMESPACES ? undefined : namespace;

  useEffect(() => {
    const onKey = (event) => {
      if ((event.metaKey || event.ctrlKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        onOpenChange(true);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onOpenChange]);

  useEffect(() => {
    const q = query.trim();
    if (!open || !q || !clusterId) {
      setState({ loading: false, results: [], error: null });
      return undefined;
    }
    const controller = new AbortController();
    setState((prev) => ({ ...prev, loading: true }));
    timerRef.current = setTimeout(() => {
      search(clusterId, q, { limit: 8, namespace: currentNamespace, signal: controller.signal }).then(
        (results) => setState({ loading: false, results: results ?? [], error: null }),
        (error) => !controller.signal.aborted && setState({ loading: false, results: [], error }),
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timerRef.current);
      controller.abort();
    };
  }, [query, open, clusterId, currentNamespace]);

  const items = useMemo(() => {
    if (!query.trim()) {
      return recentItems.filter((r) => !clusterId || r.cluster === String(clusterId))
        .map((r) => ({ key: r.path, title: r.name, kind: r.kind, namespace: r.namespace, path: r.path, raw: r }));
    }
    const objects = state.results.map((r) => {
      const kind = kinds.find((k) => k.name === r.kind) ?? findKind(kinds, "", r.kind);
      const resource = kind?.name ?? r.kind;
      const path = paths.detail(clusterId, kind?.namespaced === false || !r.namespace ? ALL_NAMESPACES : r.namespace, resource, r.name);
      const label = kind ? kindName(kind, kinds) : r.kind;
      return { key: `${resource}/${r.namespace ?? ""}/${r.name}`, title: r.name, kind: label, namespace: r.namespace ?? undefined,
        status: r.status ?? undefined, hint: r.matchedOn && !r.matchedOn.startsWith("name") ? r.matchedOn : undefined, path,
        raw: { path, kind: label, name: r.name, namespace: r.namespace ?? undefined, cluster: String(clusterId) } };
    });
    if (!clusterId) return objects;
    const kindItems = matchKinds(kinds, query).slice(0, MAX_KIND_ITEMS).map(({ kind, match }) => {
      const path = paths.list(clusterId, kind.namespaced === false ? ALL_NAMESPACES : namespace, kind.name);
      const title = kindLabel(kind, kinds);
      return { key: `kind:${kind.name}`, title, kind: "Kind", hint: (kind.shortNames ?? []).join(", ") || undefined, path, match,
        raw: { path, kind: "Kind", name: title, cluster: String(clusterId) } };
    });
    const leading = kindItems.filter((item) => item.match !== "substring");
    return [...leading, ...objects, ...kindItems.filter((item) => item.match === "substring")];
  }, [query, state.results, recentItems, kinds, clusterId, namespace]);

  const close = () => {
    onOpenChange(false);
    setQuery("");
  };
  const pick = (item) => {
    rememberRecent(item.raw);
    close();
    navigate(item.path);
  };

  const q = query.trim();
  return html`<${CommandPalette} open=${open} query=${query} onQuery=${setQuery} items=${items} loading=${state.loading}
    heading=${q ? `Results for “${q}”` : "Recent"} onPick=${pick} onClose=${close}
    emptyText=${!clusterId ? "Pick a cluster first." : q ? (state.loading ? "Searching…" : state.error ? `Search failed: ${state.error.message}` : "No matches.")
      : "Type a kind to jump to (pods, sts…), or search every kind's objects by name, label or namespace."} />`;
}
