/** Port-forwards: `/api/v1/port-forwards` (a local port of the KubeVision machine to a pod, service or workload port). */
import { del, get, post, request } from "./client.js";

const enc = encodeURIComponent;

/** The user's forwards (an admin's: everyone's), oldest first. */
export function listPortForwards(options) {
  return get("/port-forwards", options);
}

/**
 * Start a forward.
 * @param {{cluster: number, namespace: string, kind: string, name: string, port: number|string, localPort?: number,
 *          bindAddress?: string, saved?: boolean}} body
 */
export function createPortForward(body) {
  return post("/port-forwards", body);
}

/** Save a forward (it starts again with the server) or stop saving it. */
export function savePortForward(id, saved) {
  return request("PATCH", `/port-forwards/${enc(id)}`, { body: { saved } });
}

/** Stop a forward (and forget it if saved). */
export function stopPortForward(id) {
  return del(`/port-forwards/${enc(id)}`);
}

/**
 * A link that opens the forward's HTTP port through KubeVision (for a browser that is not on the KubeVision machine).
 * @param {string} id
 * @returns {Promise<{token: string, path: string, idleTimeoutS: number, expiresAt: string}>}
 */
export function createProxyLink(id) {
  return post(`/port-forwards/${enc(id)}/proxy-links`);
}

/**
 * Open the forward's HTTP port through KubeVision in a new tab. The tab is opened at once (a popup opened after the
 * request would be blocked) and loses its opener before it is sent to the link.
 * @param {string} id
 */
export async function openThroughProxy(id) {
  const tab = window.open("about:blank", "_blank");
  try {
    const link = await createProxyLink(id);
    if (!tab) throw new Error("the browser blocked the new tab");
    tab.opener = null;
    tab.location.href = link.path;
  } catch (error) {
    tab?.close();
    throw error;
  }
}

/**
 * The address a browser opens for an HTTP forward: the bind address, or this page's host when the forward listens
 * on every address (0.0.0.0 / ::).
 * @param {{scheme: string|null, bindAddress: string, localPort: number}} forward
 * @returns {string|null}
 */
export function forwardUrl(forward) {
  if (!forward.scheme) return null;
  const unspecified = forward.bindAddress === "0.0.0.0" || forward.bindAddress === "::";
  const host = unspecified ? window.location.hostname : forward.bindAddress;
  const shown = host.includes(":") ? `[${host}]` : host;
  return `${forward.scheme}://${shown}:${forward.localPort}/`;
}
