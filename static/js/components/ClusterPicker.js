/** Cluster selector for the top bar; shows each cluster's health as a coloured dot, and "All clusters" (the current
 * kind across every cluster) when there are several. */
import { html } from "../lib/ui.js";
import { Picker } from "./Picker.js";

const TONES = { healthy: "ok", unreachable: "error", unknown: "" };
/** The picker value for "all clusters". */
export const ALL_CLUSTERS = "_all";

/**
 * @param {{clusters: Array<{id: number, name: string, status?: string, version?: string}>,
 *          value: string|null, onSelect: (id: string) => void, disabled?: boolean}} props
 */
export function ClusterPicker({ clusters, value, onSelect, disabled }) {
  const options = clusters.map((c) => ({
    value: String(c.id),
    label: c.name,
    hint: c.version || c.status || "",
    tone: TONES[c.status] ?? "",
  }));
  if (clusters.length > 1) options.unshift({ value: ALL_CLUSTERS, label: "All clusters", hint: "one kind, every cluster", tone: undefined });
  return html`<${Picker} label="Cluster" icon="server" class="cluster-picker" options=${options}
    value=${value ?? ""} onSelect=${onSelect} disabled=${disabled || clusters.length === 0}
    placeholder=${clusters.length ? "Choose a cluster" : "No clusters"} searchPlaceholder="Find cluster…" />`;
}
