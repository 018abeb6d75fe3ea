/** Cluster selector for the top bar; shows each cluster's health as a coloured dot. */
import { html } from "../lib/ui.js";
import { Picker } from "./Picker.js";

const TONES = { healthy: "ok", unreachable: "error", unknown: "" };

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
  return html`<${Picker} label="Cluster" icon="server" class="cluster-picker" options=${options}
    value=${value ?? ""} onSelect=${onSelect} disabled=${disabled || clusters.length === 0}
    placeholder=${clusters.length ? "Choose a cluster" : "No clusters"} searchPlaceholder="Find cluster…" />`;
}
