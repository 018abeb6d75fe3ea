/**
 * How current a list is, beyond what the watch socket knows: the socket can stay open while the
 * server's cache has lost its own watch on the API server. This re-reads `meta.stale` and
 * `meta.confirmedAt` with a one-row request every FRESHNESS_POLL_MS, and reports "unreachable" when
 * a read straight from the API server fails because the cluster cannot be reached.
 */
import { useEffect, useState } from "../lib/ui.js";
import { listResourceTable } from "../api/clusters.js";
import { ApiError, Codes } from "../api/client.js";

// Re-check this often; a cached one-row answer costs the server next to nothing.
export const FRESHNESS_POLL_MS = 5000;
// 50200: the cluster is unreachable (SPEC §1).
const CLUSTER_UNREACHABLE = 50200;

/**
 * @param {{clusterId: string, resource: string, namespace: string, labelSelector?: string, meta: object}} target
 *   `meta` is the envelope meta of the page's own list request (the starting point)
 * @returns {{stale: boolean, confirmedAt: string|null, unreachable: boolean, source: string|undefined}}
 */
export function useCacheFreshness({ clusterId, resource, namespace, labelSelector, meta }) {
  const [polled, setPolled] = useState(null);
  useEffect(() => setPolled(null), [meta]);
  useEffect(() => {
    const controller = new AbortController();
    const check = async () => {
      try {
        const { meta: latest } = await listResourceTable(clusterId, resource, {
          namespace, labelSelector, page: 1, pageSize: 1, signal: controller.signal,
        });
        setPolled({ ...latest, unreachable: false });
      } catch (error) {
        if (controller.signal.aborted || error?.name === "AbortError") return;
        const unreachable = error instanceof ApiError && (error.code === CLUSTER_UNREACHABLE || error.code === Codes.NETWORK);
        setPolled((prev) => ({ ...(prev ?? {}), unreachable }));
      }
    };
    const timer = setInterval(check, FRESHNESS_POLL_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [clusterId, resource, namespace, labelSelector]);
  const current = polled ?? meta ?? {};
  return {
    stale: Boolean(current.stale),
    confirmedAt: current.confirmedAt ?? null,
    unreachable: Boolean(current.unreachable),
    source: current.source,
  };
}
