/**
 * Per-browser UI preferences kept in localStorage: last cluster, last namespace per cluster,
 * collapsed sidebar groups, each kind's table columns (Wide and the column chooser). Nothing secret belongs here.
 */
import { createStore } from "../lib/store.js";

const STORAGE_KEY = "kubevision.prefs";
/**
 * A kind's column choice: `wide` shows the priority-1 columns (`kubectl get -o wide`); `shown` holds the columns
 * the user switched on or off in the column chooser, by server column id, over what `wide` implies.
 * @typedef {{wide?: boolean, shown?: Record<string, boolean>}} ColumnChoice
 */
/** @type {{lastCluster: string|null, namespaces: Record<string, string>, recentNamespaces: Record<string, string[]>,
 *          collapsedGroups: Record<string, boolean>, tableColumns: Record<string, ColumnChoice>}} */
const DEFAULTS = { lastCluster: null, namespaces: {}, recentNamespaces: {}, collapsedGroups: {}, tableColumns: {} };
/** How many recently visited namespaces each cluster remembers for the namespace picker. */
const RECENT_NAMESPACES = 5;

function load() {
  try {
    return { ...DEFAULTS, ...JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") };
  } catch {
    return { ...DEFAULTS };
  }
}

export const preferences = createStore(load());

/**
 * Merge a change into the preferences and persist it.
 * @param {Partial<typeof DEFAULTS> | ((prev: typeof DEFAULTS) => Partial<typeof DEFAULTS>)} change
 */
export function updatePreferences(change) {
  preferences.set((prev) => ({ ...prev, ...(typeof change === "function" ? change(prev) : change) }));
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(preferences.get()));
  } catch {
    // storage disabled
  }
}

/** Remember the cluster and namespace the user last looked at. */
export function rememberLocation(clusterId, namespace) {
  updatePreferences((prev) => {
    if (namespace === undefined) return { lastCluster: String(clusterId) };
    const recent = (prev.recentNamespaces?.[clusterId] ?? []).filter((ns) => ns !== namespace);
    return {
      lastCluster: String(clusterId),
      namespaces: { ...prev.namespaces, [clusterId]: namespace },
      recentNamespaces: namespace === "_all" || namespace.includes(",") ? prev.recentNamespaces
        : { ...prev.recentNamespaces, [clusterId]: [namespace, ...recent].slice(0, RECENT_NAMESPACES) },
    };
  });
}

/** Collapse or expand a sidebar group. */
export function toggleGroup(group) {
  updatePreferences((prev) => ({ collapsedGroups: { ...prev.collapsedGroups, [group]: !prev.collapsedGroups[group] } }));
}

/**
 * Change the column choice of one kind (`resource` as in the list's URL); `null` forgets it (the defaults again).
 * @param {string} resource
 * @param {ColumnChoice | null} choice
 */
export function setColumnChoice(resource, choice) {
  updatePreferences((prev) => {
    const tableColumns = { ...prev.tableColumns };
    if (choice) tableColumns[resource] = choice;
    else delete tableColumns[resource];
    return { tableColumns };
  });
}
