/**
 * Objects connected to the one shown: its owners up the chain (Pod → ReplicaSet → Deployment) and
 * what it owns or selects (Deployment → ReplicaSets and Pods, Service → Pods, Node → Pods…).
 */
import { html } from "../../lib/ui.js";
import { findKind, kindsInView } from "../../lib/kinds.js";
import { fetchObject, listObjects } from "../../api/resources.js";
import { Link, paths } from "../../router.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Spinner } from "../../components/Spinner.js";
import { Section } from "../../components/Properties.js";
import { usePromise } from "../usePromise.js";

const RELATED_LIMIT = 50;

function labelSelector(object, resource) {
  const labels = resource === "services" ? object.spec?.selector : object.spec?.selector?.matchLabels;
  if (!labels || !Object.keys(labels).length) return null;
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

function ownedBy(object, uid) {
  return (object.metadata?.ownerReferences ?? []).some((ref) => ref.uid === uid);
}

async function loadOwners(clusterId, kinds, object, signal) {
  const chain = [];
  let current = object;
  for (let depth = 0; depth < 3; depth++) {
    const ref = (current.metadata?.ownerReferences ?? []).find((r) => r.controller) ?? current.metadata?.ownerReferences?.[0];
    if (!ref) break;
    const kind = findKind(kinds, ref.apiVersion, ref.kind);
    const entry = { kind: ref.kind, name: ref.name, namespace: object.metadata?.namespace, resource: kind?.name, relation: "Owner" };
    chain.push(entry);
    if (!kind) break;
    try {
      current = await fetchObject(clusterId, kind.name, ref.name, { namespace: kind.namespaced === false ? undefined : entry.namespace, signal });
      entry.status = statusOf(current);
    } catch {
      break; // owner gone or not readable: show what we know
    }
  }
  return chain;
}

async function loadChildren(clusterId, resource, object, selectsPods, signal) {
  const namespace = object.metadata?.namespace;
  const uid = object.metadata?.uid;
  const children = [];
  const add = (list, kind, res, relation) => {
    for (const item of list.slice(0, RELATED_LIMIT)) {
      children.push({ kind, name: item.metadata.name, namespace: item.metadata.namespace, resource: res, relation, status: statusOf(item) });
    }
  };
  const selector = labelSelector(object, resource);
  if (resource === "deployments" && selector) {
    const sets = await listObjects(clusterId, "replicasets", { namespace, labelSelector: selector, signal });
    add(sets.filter((rs) => ownedBy(rs, uid)), "ReplicaSet", "replicasets", "Owns");
  }
  if (resource === "cronjobs") {
    const jobs = await listObjects(clusterId, "jobs", { namespace, signal });
    add(jobs.filter((job) => ownedBy(job, uid)), "Job", "jobs", "Owns");
  }
  if (selectsPods && selector) {
    const pods = await listObjects(clusterId, "pods", { namespace, labelSelector: selector, signal });
    add(pods, "Pod", "pods", resource === "services" ? "Selects" : "Runs");
  }
  if (resource === "nodes") {
    const pods = await listObjects(clusterId, "pods", { fieldSelector: `spec.nodeName=${object.metadata.name}`, signal });
    add(pods, "Pod", "pods", "Runs");
  }
  return children;
}

function statusOf(object) {
  const status = object.status ?? {};
  if (object.kind === "Pod") return object.metadata?.deletionTimestamp ? "Terminating" : status.phase;
  if (status.replicas !== undefined || object.spec?.replicas !== undefined) {
    return `${status.readyReplicas ?? 0}/${object.spec?.replicas ?? status.replicas ?? 0}`;
  }
  if (status.succeeded !== undefined || status.active !== undefined) return status.succeeded ? "Complete" : status.active ? "Running" : "";
  return "";
}

/**
 * @param {{clusterId: string, resource: string, object: object, kinds: object[]}} props
 */
export function RelatedObjects({ clusterId, resource, object, kinds }) {
  // Kinds whose detail page lists the pods their selector picks (GET /kinds `views`); owners are looked up in
  // `kinds`, so the list reloads once GET /kinds has answered.
  const selectsPods = kindsInView(kinds, "related_pods").some((kind) => kind.name === resource);
  const related = usePromise(async (signal) => {
    const [owners, children] = await Promise.all([
      loadOwners(clusterId, kinds, object, signal),
      loadChildren(clusterId, resource, object, selectsPods, signal).catch(() => []),
    ]);
    return [...owners, ...children];
  }, [clusterId, resource, object.metadata?.uid, object.metadata?.resourceVersion, selectsPods, kinds?.length ?? 0], { errorTitle: "Could not load related objects", initial: [] });

  const items = related.data ?? [];
  if (!related.loading && !items.length) return null;
  return html`<${Section} title="Related objects">
    ${related.loading && !items.length ? html`<span class="loading-inline"><${Spinner} size="sm" inline /> Loading…</span>`
      : html`<ul class="related-list" aria-label="Related objects">
        ${items.map((item) => html`<li key=${`${item.relation}/${item.kind}/${item.name}`} class="related-item">
          <span class="related-relation">${item.relation}</span>
          <span class="chip">${item.kind}</span>
          ${item.resource
            ? html`<${Link} class="mono" href=${paths.detail(clusterId, item.namespace, item.resource, item.name)}>${item.name}</${Link}>`
            : html`<span class="mono">${item.name}</span>`}
          ${item.status && html`<${StatusBadge} value=${item.status} />`}
        </li>`)}
      </ul>`}
  </${Section}>`;
}
