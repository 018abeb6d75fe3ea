/**
 * Load lib/manifest.js (and with it the `yaml` package, ~60 small ES modules) on first use instead
 * of at application start-up.
 */
import { useEffect, useState } from "./ui.js";

let loaded = null;
let loading = null;

/**
 * The manifest helpers, loading them once.
 * @returns {Promise<typeof import("./manifest.js")>}
 */
export function loadManifest() {
  loading ??= import("./manifest.js").then((module) => {
    loaded = module;
    return module;
  });
  return loading;
}

/**
 * The manifest helpers in a component: null until loaded (re-renders once when they arrive).
 * @returns {typeof import("./manifest.js") | null}
 */
export function useManifest() {
  const [module, setModule] = useState(loaded);
  useEffect(() => {
    if (!module) loadManifest().then(setModule, (error) => console.warn("YAML support failed to load", error));
  }, []);
  return module;
}
