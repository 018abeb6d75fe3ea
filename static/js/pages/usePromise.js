/**
 * Page-level data loading: run an async loader when its dependencies change, abort the previous
 * run, and expose {data, error, loading, reload}. Errors are also reported as a toast once.
 */
import { useCallback, useEffect, useRef, useState } from "../lib/ui.js";
import { notifyError } from "../state/toasts.js";

/**
 * @template T
 * @param {(signal: AbortSignal) => Promise<T>} loader
 * @param {any[]} deps
 * @param {{errorTitle?: string, enabled?: boolean, initial?: T}} [options]
 * @returns {{data: T|undefined, error: any, loading: boolean, reload: () => void}}
 */
export function usePromise(loader, deps, { errorTitle = "Request failed", enabled = true, initial } = {}) {
  const [state, setState] = useState({ data: initial, error: null, loading: enabled });
  const [generation, setGeneration] = useState(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;

  useEffect(() => {
    if (!enabled) {
      setState({ data: initial, error: null, loading: false });
      return undefined;
    }
    const controller = new AbortController();
    setState((prev) => ({ ...prev, error: null, loading: true }));
    loaderRef.current(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, error: null, loading: false }),
      (error) => {
        if (controller.signal.aborted || error?.name === "AbortError") return;
        setState({ data: initial, error, loading: false });
        notifyError(errorTitle, error);
      },
    );
    return () => controller.abort();
  }, [...deps, enabled, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
