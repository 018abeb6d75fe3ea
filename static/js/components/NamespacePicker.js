/** Namespace selector: "All namespaces", the recently visited ones, then every namespace the user may see; one or
 * several (the URL and the API name several comma-separated: `team-a,team-b`). */
import { html } from "../lib/ui.js";
import { Picker } from "./Picker.js";

/** The picker value for "all namespaces" (matches the URL segment). */
export const ALL = "_all";

/**
 * The namespaces a picker value names (none for all).
 * @param {string} value
 * @returns {string[]}
 */
export function selectedNamespaces(value) {
  return !value || value === ALL ? [] : value.split(",").filter(Boolean);
}

/**
 * @param {{namespaces: string[], value: string, onSelect: (ns: string) => void, disabled?: boolean,
 *          clusterScoped?: boolean, recent?: string[]}} props
 *   `value` is one namespace, several comma-separated, or ALL; `onSelect` gets the same.
 *   `clusterScoped` shows the picker disabled with "Cluster-scoped" for kinds like nodes.
 */
export function NamespacePicker({ namespaces, value, onSelect, disabled, clusterScoped = false, recent = [] }) {
  const chosen = selectedNamespaces(value);
  const recentShown = recent.filter((ns) => namespaces.includes(ns));
  const options = [
    { value: ALL, label: "All namespaces", exclusive: true },
    ...recentShown.map((ns) => ({ value: ns, label: ns, hint: "recent" })),
    ...namespaces.filter((ns) => !recentShown.includes(ns)).map((ns) => ({ value: ns, label: ns })),
  ];
  // A namespace from a deep link may not be in the list (yet, or not visible): still show it.
  for (const ns of chosen) if (!namespaces.includes(ns)) options.push({ value: ns, label: ns });
  const toggle = (ns) => {
    const next = chosen.includes(ns) ? chosen.filter((each) => each !== ns) : [...chosen, ns].sort();
    onSelect(next.length ? next.join(",") : ALL);
  };
  const display = clusterScoped ? "Cluster-scoped" : chosen.length > 1 ? `${chosen.length} namespaces` : undefined;
  return html`<${Picker} label="Namespace" icon="layers" class="namespace-picker" options=${options}
    value=${clusterScoped ? ALL : value || ALL} onSelect=${onSelect} disabled=${disabled || clusterScoped}
    selected=${chosen.length ? chosen : [ALL]} onToggle=${toggle}
    display=${display} searchPlaceholder="Find namespace…" />`;
}
