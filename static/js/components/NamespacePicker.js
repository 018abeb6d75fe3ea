/** Namespace selector: "All namespaces", the recently visited ones, then every namespace the user may see. */
import { html } from "../lib/ui.js";
import { Picker } from "./Picker.js";

/** The picker value for "all namespaces" (matches the URL segment). */
export const ALL = "_all";

/**
 * @param {{namespaces: string[], value: string, onSelect: (ns: string) => void, disabled?: boolean,
 *          clusterScoped?: boolean, recent?: string[]}} props
 *   `clusterScoped` shows the picker disabled with "Cluster-scoped" for kinds like nodes.
 */
export function NamespacePicker({ namespaces, value, onSelect, disabled, clusterScoped = false, recent = [] }) {
  const recentShown = recent.filter((ns) => namespaces.includes(ns));
  const options = [
    { value: ALL, label: "All namespaces" },
    ...recentShown.map((ns) => ({ value: ns, label: ns, hint: "recent" })),
    ...namespaces.filter((ns) => !recentShown.includes(ns)).map((ns) => ({ value: ns, label: ns })),
  ];
  // A namespace from a deep link may not be in the list (yet, or not visible): still show it.
  if (value && value !== ALL && !namespaces.includes(value)) options.push({ value, label: value });
  return html`<${Picker} label="Namespace" icon="layers" class="namespace-picker" options=${options}
    value=${clusterScoped ? ALL : value || ALL} onSelect=${onSelect} disabled=${disabled || clusterScoped}
    display=${clusterScoped ? "Cluster-scoped" : undefined} searchPlaceholder="Find namespace…" />`;
}
