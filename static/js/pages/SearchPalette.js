/**
 * Cmd/Ctrl+K anywhere in the workspace opens the search palette over GET /clusters/{id}/search
 * (debounced, the previous request aborted). With an empty query it lists recently opened items.
 */
import { html, useEffect, useMemo, useRef, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { findKind } from "../lib/kinds.js";
import { search } from "../api/views.js";
import { ALL_NAMESPACES, navigate, paths } from "../router.js";
import { recent, rememberRecent } from "../state/recent.js";
import { CommandPalette } from "../components/CommandPalette.js";

const DEBOUNCE_MS = 160;

/**
 * @param {{clusterId: string|null, kinds: object[], open: boolean, onOpenChange: (open: boolean) => void}} props
 */
export function SearchPalette({ clusterId, kinds, open, onOpenChange }) {
  const [query, setQuery] = useState("");
  const [state, setState] = useState({ loading: false, results: [], error: null });
  const recentItems = useStore(recent);
  const timerRef = useRef(0);

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
      search(clusterId, q, { limit: 8, signal: controller.signal }).then(
        (results) => setState({ loading: false, results: results ?? [], error: null }),
        (error) => !controller.signal.aborted && setState({ loading: false, results: [], error }),
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timerRef.current);
      controller.abort();
    };
  }, [query, open, clusterId]);

  const items = useMemo(() => {
    if (!query.trim()) {
      return recentItems.filter((r) => !clusterId || r.cluster === String(clusterId))
        .map((r) => ({ key: r.path, title: r.name, kind: r.kind, namespace: r.namespace, path: r.path, raw: r }));
    }
    return state.results.map((r) => {
      const kind = kinds.find((k) => k.name === r.kind) ?? findKind(kinds, "", r.kind);
      const resource = kind?.name ?? r.kind;
      const path = paths.detail(clusterId, kind?.namespaced === false || !r.namespace ? ALL_NAMESPACES : r.namespace, resource, r.name);
      return { key: `${resource}/${r.namespace ?? ""}/${r.name}`, title: r.name, kind: kind?.kind ?? r.kind, namespace: r.namespace ?? undefined,
        status: r.status ?? undefined, hint: r.matchedOn && !r.matchedOn.startsWith("name") ? r.matchedOn : undefined, path,
        raw: { path, kind: kind?.kind ?? r.kind, name: r.name, namespace: r.namespace ?? undefined, cluster: String(clusterId) } };
    });
  }, [query, state.results, recentItems, kinds, clusterId]);

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
      : "Type to search every kind by name, label or namespace."} />`;
}
