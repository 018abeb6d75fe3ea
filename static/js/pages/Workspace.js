/**
 * The signed-in application: loads clusters, the current cluster's kinds and namespaces, wires
 * them into the Layout (top bar pickers, sidebar) and renders the page for the route.
 * Pickers change the URL; the URL is the source of truth for cluster, namespace and resource.
 */
import { html, useEffect, useMemo, useState } from "../lib/ui.js";
import { useStore } from "../lib/store.js";
import { listClusters, listKinds, listNamespaceNames } from "../api/clusters.js";
import { ALL_NAMESPACES, navigate, paths } from "../router.js";
import { preferences, rememberLocation, toggleGroup } from "../state/preferences.js";
import { signOut } from "../state/session.js";
import { cycleTheme, theme } from "../state/theme.js";
import { rememberKinds, rememberedKinds } from "../lib/kinds.js";
import { Layout } from "../components/Layout.js";
import { LoadingBlock } from "../components/Spinner.js";
import { EmptyState } from "../components/EmptyState.js";
import { usePromise } from "./usePromise.js";
import { Redirect } from "./Redirect.js";
import { NotFound } from "./NotFound.js";
import { OverviewPage } from "./OverviewPage.js";
import { ResourceListPage } from "./ResourceListPage.js";
import { ResourceDetailPage } from "./detail/ResourceDetailPage.js";
import { CreatePage } from "./CreatePage.js";
import { SettingsPage } from "./SettingsPage.js";
import { TopologyPage } from "./TopologyPage.js";
import { SearchPalette } from "./SearchPalette.js";
import { AdminPage } from "./admin/AdminPage.js";
import { TerminalSessionsPage } from "./account/TerminalSessionsPage.js";
import { RecordingPage } from "./account/RecordingPage.js";
import { PortForwardsPage } from "./PortForwardsPage.js";
import { FleetListPage } from "./FleetListPage.js";
import { FleetOverviewPage } from "./FleetOverviewPage.js";
import { ALL_CLUSTERS } from "../components/ClusterPicker.js";
import { ApprovalsPage } from "./ApprovalsPage.js";
import { favorites, loadFavorites } from "../state/favorites.js";

const CLUSTER_ROUTES = new Set(["cluster-home", "overview", "resource-list", "resource-detail", "topology", "create"]);

/**
 * @param {{route: {name: string, params: Record<string, string>, query: URLSearchParams, path: string}, user: object}} props
 */
export function Workspace({ route, user }) {
  const prefs = useStore(preferences);
  const themeValue = useStore(theme);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const favoriteList = useStore(favorites, (f) => f.items);
  useEffect(() => {
    loadFavorites();
  }, [user?.id]);

  const clusters = usePromise((signal) => listClusters({ signal }), [], { errorTitle: "Could not load clusters", initial: [] });
  const clusterList = clusters.data ?? [];
  const routeCluster = CLUSTER_ROUTES.has(route.name) ? route.params.cluster : null;
  const fallbackCluster = clusterList.some((c) => String(c.id) === prefs.lastCluster)
    ? prefs.lastCluster
    : clusterList[0] ? String(clusterList[0].id) : null;
  const clusterId = routeCluster ?? fallbackCluster;

  const routeNamespace = route.params.namespace;
  const namespace = routeNamespace ?? prefs.namespaces[clusterId] ?? ALL_NAMESPACES;
  // The user's verbs on each kind (`allowed`) are those in the current namespace.
  const kindsNamespace = namespace === ALL_NAMESPACES ? "" : namespace;
  const kinds = usePromise((signal) => listKinds(clusterId, { namespace: kindsNamespace, signal }), [clusterId, kindsNamespace, user?.id], {
    errorTitle: "Could not load resource kinds", enabled: Boolean(clusterId), initial: null,
  });
  const namespaces = usePromise((signal) => listNamespaceNames(clusterId, { signal }), [clusterId], {
    errorTitle: "Could not load namespaces", enabled: Boolean(clusterId), initial: [],
  });
  // Until the cluster answers (or when it cannot), pages use the kinds it sent last time (without the user's
  // verbs): no page waits for discovery before fetching its objects.
  useEffect(() => {
    if (clusterId && kinds.data?.length) rememberKinds(clusterId, kinds.data);
  }, [clusterId, kinds.data]);
  const remembered = useMemo(() => rememberedKinds(clusterId), [clusterId]);
  const kindList = kinds.data?.length ? kinds.data : remembered ?? [];

  const routeResource = route.name === "create" ? route.query.get("resource") : route.params.resource;
  const currentKind = routeResource ? kindList.find((k) => k.name === routeResource) : null;

  useEffect(() => {
    if (routeCluster) rememberLocation(routeCluster, routeNamespace && currentKind?.namespaced !== false ? routeNamespace : undefined);
  }, [routeCluster, routeNamespace, currentKind?.namespaced]);

  // Close the drawer whenever the page changes (narrow screens).
  useEffect(() => setSidebarOpen(false), [route.path]);

  const onClusterChange = (id) => {
    if (id === ALL_CLUSTERS) {
      navigate(route.params.resource ? paths.fleet(route.params.resource) : paths.fleetOverview());
      return;
    }
    const ns = prefs.namespaces[id] ?? ALL_NAMESPACES;
    if (route.name === "resource-list") navigate(paths.list(id, currentKind?.namespaced === false ? ALL_NAMESPACES : ns, route.params.resource));
    else navigate(paths.overview(id));
  };
  const onNamespaceChange = (ns) => {
    rememberLocation(clusterId, ns);
    if (route.name === "resource-list" || route.name === "resource-detail") {
      navigate(paths.list(clusterId, ns, route.params.resource) + window.location.search);
    } else if (route.name === "topology") {
      navigate(`/c/${encodeURIComponent(clusterId)}/ns/${encodeURIComponent(ns)}/topology`);
    }
  };

  let namespaceMode = "enabled";
  if (!clusterId || route.name === "settings" || route.name === "admin" || route.name.startsWith("terminal-session")
    || route.name === "port-forwards" || route.name === "approvals" || route.name.startsWith("fleet-")) namespaceMode = "hidden";
  else if (currentKind && currentKind.namespaced === false) namespaceMode = "cluster-scoped";

  const page = renderPage({ route, clusterId, clusters, clusterList, namespace, kindList, kindsLoading: kinds.loading,
    kindsPending: kinds.loading && !kinds.data, currentKind, user });

  return html`<${Layout}
    sidebarOpen=${sidebarOpen}
    onCloseSidebar=${() => setSidebarOpen(false)}
    topbar=${{
      clusters: clusterList, clusterId: route.name.startsWith("fleet-") ? ALL_CLUSTERS : clusterId, onClusterChange,
      namespaces: namespaces.data ?? [], namespace, onNamespaceChange, namespaceMode,
      recentNamespaces: prefs.recentNamespaces?.[clusterId] ?? [],
      user, theme: themeValue, onToggleTheme: cycleTheme, onSignOut: signOut,
      onToggleSidebar: () => setSidebarOpen((open) => !open),
      onSearch: () => setPaletteOpen(true),
    }}
    sidebar=${{
      clusterId, namespace, kinds: kindList, loading: Boolean(clusterId) && kinds.loading && !kinds.data,
      activeResource: route.params.resource, activeSection: route.name === "overview" ? "overview" : "",
      collapsed: prefs.collapsedGroups, onToggleGroup: toggleGroup,
      favorites: favoriteList, currentPath: route.path,
      topologyActive: route.name === "topology",
      portForwardsActive: route.name === "port-forwards",
      approvalsActive: route.name === "approvals",
    }}>
    ${page}
    <${SearchPalette} clusterId=${clusterId} kinds=${kindList} namespace=${namespace} open=${paletteOpen} onOpenChange=${setPaletteOpen} />
  </${Layout}>`;
}

function renderPage({ route, clusterId, clusters, clusterList, namespace, kindList, kindsLoading, kindsPending, currentKind, user }) {
  switch (route.name) {
    case "home":
    case "cluster-home":
      if (clusterId) return html`<${Redirect} to=${paths.overview(clusterId)} />`;
      if (clusters.loading) return html`<${LoadingBlock} label="Loading clusters…" />`;
      return html`<div class="page"><${EmptyState} icon=${clusters.error ? "alert" : "server"}
          tone=${clusters.error ? "error" : ""}
          title=${clusters.error ? "Clusters are unavailable" : "No clusters yet"}
          action=${html`<button type="button" class="button" onClick=${clusters.reload}>Retry</button>`}>
        ${clusters.error
          ? html`The server could not list clusters: ${clusters.error.message}`
          : "Add a context to your kubeconfig, or upload a kubeconfig in Administration → Clusters."}
      </${EmptyState}></div>`;
    case "overview":
      return html`<${OverviewPage} clusterId=${clusterId} cluster=${clusterList.find((c) => String(c.id) === clusterId)}
        kinds=${kindList} namespace=${namespace} />`;
    case "resource-list":
      if (!currentKind && !kindsLoading) return html`<${NotFound} />`;
      return html`<${ResourceListPage} key=${`${clusterId}/${route.params.resource}`} clusterId=${clusterId}
        namespace=${route.params.namespace} resource=${route.params.resource}
        kind=${currentKind ?? { name: route.params.resource, kind: route.params.resource, namespaced: true }}
        kinds=${kindList} query=${route.query} />`;
    case "resource-detail":
      return html`<${ResourceDetailPage} key=${route.path} clusterId=${clusterId} namespace=${route.params.namespace}
        resource=${route.params.resource} name=${route.params.name} kind=${currentKind} kinds=${kindList}
        tab=${route.query.get("tab")} edit=${route.query.get("edit") === "1"} />`;
    case "create":
      // What the user may create is known once GET /kinds answers (remembered kinds carry no verbs).
      if (kindsPending) return html`<${LoadingBlock} label="Loading resource kinds…" />`;
      return html`<${CreatePage} key=${route.query.toString()} clusterId=${clusterId} kind=${currentKind} kinds=${kindList}
        namespace=${route.query.get("namespace") || (namespace !== ALL_NAMESPACES ? namespace : "")} />`;
    case "topology":
      return html`<${TopologyPage} key=${`${clusterId}/${route.params.namespace}`} clusterId=${clusterId} namespace=${route.params.namespace} kinds=${kindList} />`;
    case "settings":
      return html`<${SettingsPage} section=${route.params.section} user=${user} />`;
    case "admin":
      return html`<${AdminPage} section=${route.params.section} user=${user} clusters=${clusterList} />`;
    case "terminal-sessions":
      return html`<${TerminalSessionsPage} user=${user} />`;
    case "port-forwards":
      return html`<${PortForwardsPage} user=${user} />`;
    case "approvals":
      return html`<${ApprovalsPage} user=${user} />`;
    case "fleet-overview":
      return html`<${FleetOverviewPage} clusters=${clusterList} kinds=${kindList} />`;
    case "fleet-list":
      return html`<${FleetListPage} key=${route.params.resource} resource=${route.params.resource} kinds=${kindList}
        clusters=${clusterList} query=${route.query} />`;
    case "terminal-session":
      return html`<${RecordingPage} key=${route.params.session} sessionId=${route.params.session} />`;
    default:
      return html`<${NotFound} />`;
  }
}
