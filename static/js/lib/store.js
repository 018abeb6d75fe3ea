/**
 * A minimal observable store (get / set / subscribe) and the hook that re-renders a component
 * when the part of the store it reads changes. Enough for session, theme, preferences and toasts
 * without a state library.
 */
import { useEffect, useState } from "./ui.js";

/**
 * Create a store holding one value.
 * @template T
 * @param {T} initial
 * @returns {{get: () => T, set: (next: T | ((prev: T) => T)) => void,
 *            subscribe: (listener: (value: T) => void) => () => void}}
 */
export function createStore(initial) {
  let value = initial;
  const listeners = new Set();
  return {
    get: () => value,
    set(next) {
      const resolved = typeof next === "function" ? /** @type {(prev: T) => T} */ (next)(value) : next;
      if (Object.is(resolved, value)) return;
      value = resolved;
      for (const listener of [...listeners]) listener(value);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Read a store (or a slice of it) in a component; re-renders when that slice changes.
 * @template T, S
 * @param {{get: () => T, subscribe: Function}} store
 * @param {(value: T) => S} [select]
 * @returns {S}
 */
export function useStore(store, select = (v) => /** @type {S} */ (/** @type {unknown} */ (v))) {
  const [slice, setSlice] = useState(() => select(store.get()));
  useEffect(() => {
    const update = (value) => setSlice(() => select(value));
    update(store.get());
    return store.subscribe(update);
  }, [store]);
  return slice;
}
