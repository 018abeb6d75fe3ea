/**
 * History-API routing for the routes of SPEC §7. `parseRoute` turns a location into a plain route
 * object; `navigate` pushes (or replaces) a history entry; `useRoute` re-renders on any change,
 * including back/forward. Links are real <a href> elements so middle-click and copy-link work.
 *
 *   /login
 *   /c/{cluster}/overview
 *   /c/{cluster}/ns/{ns|_all}/topology
 *   /c/{cluster}/ns/{ns|_all}/{resource}
 *   /c/{cluster}/ns/{ns|_all}/{resource}/{name}     (cluster-scoped objects use ns "_all")
 *   /c/{cluster}/create?resource=&namespace=        (create from YAML)
 *   /settings/{section}, /admin/{section}
 *   /terminal-sessions, /terminal-sessions/{id}      (list and playback of recorded terminals)
 *   /port-forwards                                    (the user's port-forwards)
 *   /approvals                                        (AI agents' change requests)
 *   /all-clusters                                   (every cluster's overview, with totals)
 *   /all-clusters/{resource}?clusters=1,4&namespace=  (one kind across several clusters)
 *   /_dev/table?rows=N                                (synthetic VirtualTable demo, no data)
 */
import { html, useEffect, useState } from "./lib/ui.js";
import { createStore } from "./lib/store.js";

/** The namespace segment meaning "all namespaces" (and cluster-scoped objects). */
export const ALL_NAMESPACES = "_all";

const location$ = createStore(currentLocation());

function currentLocation() {
  return { path: window.location.pathname, search: window.location.search };
}

window.addEventListener("popstate", () => location$.set(currentLocation()));

/**
 * Decode a path into a route.
 * @param {string} path
 * @param {string} [search]
 * @returns {{name: string, params: Record<string, string>, query: URLSearchParams, path: string}}
 */
export function parseRoute(path, search = "") {
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean).map(safeDecode);
  const route = (name, params = {}) => ({ name, params, query, path });
  if (parts.length === 0) return route("home");
  const [first, ...rest] = parts;
  if (first === "login" && rest.length === 0) return route("login");
  if (first === "settings") return route("settings", { section: rest[0] ?? "profile" });
  if (first === "admin") return route("admin", { section: rest[0] ?? "users" });
  if (first === "_dev" && rest[0] === "table" && rest.length === 1) return route("dev-table");
  if (first === "port-forwards" && rest.length === 0) return route("port-forwards");
  if (first === "approvals" && rest.length === 0) return route("approvals");
  if (first === "all-clusters" && rest.length === 0) return route("fleet-overview");
  if (first === "all-clusters" && rest.length === 1) return route("fleet-list", { resource: rest[0] });
  if (first === "terminal-sessions" && rest.length <= 1) {
    return rest.length ? route("terminal-session", { session: rest[0] }) : route("terminal-sessions");
  }
  if (first === "c" && rest.length >= 1) {
    const [cluster, section, ns, resource, name, ...extra] = rest;
    if (section === undefined) return route("cluster-home", { cluster });
    if (section === "overview" && ns === undefined) return route("overview", { cluster });
    if (section === "create" && ns === undefined) return route("create", { cluster });
    if (section === "ns" && ns && resource && extra.length === 0) {
      if (resource === "topology" && name === undefined) return route("topology", { cluster, namespace: ns });
      if (name === undefined) return route("resource-list", { cluster, namespace: ns, resource });
      return route("resource-detail", { cluster, namespace: ns, resource, name });
    }
  }
  return route("not-found");
}

function safeDecode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Build paths without worrying about encoding.
 */
export const paths = {
  login: () => "/login",
  overview: (cluster) => `/c/${enc(cluster)}/overview`,
  list: (cluster, namespace, resource) => `/c/${enc(cluster)}/ns/${encList(namespace || ALL_NAMESPACES)}/${enc(resource)}`,
  detail: (cluster, namespace, resource, name) =>
    `/c/${enc(cluster)}/ns/${enc(namespace || ALL_NAMESPACES)}/${enc(resource)}/${enc(name)}`,
  create: (cluster) => `/c/${enc(cluster)}/create`,
  settings: (section = "profile") => `/settings/${enc(section)}`,
  admin: (section = "users") => `/admin/${enc(section)}`,
  topology: (cluster, namespace) => `/c/${enc(cluster)}/ns/${enc(namespace || ALL_NAMESPACES)}/topology`,
  terminalSessions: () => "/terminal-sessions",
  portForwards: () => "/port-forwards",
  approvals: () => "/approvals",
  fleetOverview: () => "/all-clusters",
  fleet: (resource) => `/all-clusters/${enc(resource)}`,
  terminalSession: (id) => `/terminal-sessions/${enc(id)}`,
};

function enc(value) {
  return encodeURIComponent(String(value));
}

/** A path segment naming one value or several comma-separated (namespaces), commas kept readable. */
function encList(value) {
  return enc(value).replace(/%2C/gi, ",");
}

/**
 * Go to a path inside the app.
 * @param {string} to path plus optional ?query
 * @param {{replace?: boolean}} [options]
 */
export function navigate(to, { replace = false } = {}) {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  window.history[replace ? "replaceState" : "pushState"](null, "", to);
  location$.set(currentLocation());
  if (!replace) window.scrollTo(0, 0);
}

/**
 * Replace only the query string (filters, sort) without adding a history entry.
 * @param {Record<string, string|null|undefined>} changes
 */
export function updateQuery(changes) {
  const query = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") query.delete(key);
    else query.set(key, value);
  }
  const search = query.toString();
  navigate(`${window.location.pathname}${search ? `?${search}` : ""}`, { replace: true });
}

/** The current route; re-renders the caller on navigation and back/forward. */
export function useRoute() {
  const [loc, setLoc] = useState(location$.get());
  useEffect(() => location$.subscribe(setLoc), []);
  return parseRoute(loc.path, loc.search);
}

/**
 * An in-app link: plain clicks navigate without a reload; modified clicks behave natively.
 * @param {{href: string, class?: string, children?: any, onClick?: (event: MouseEvent) => void}} props
 */
export function Link({ href, children, onClick, ...rest }) {
  const handle = (event) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${handle} ...${rest}>${children}</a>`;
}
