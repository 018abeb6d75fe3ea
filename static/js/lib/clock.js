/**
 * One shared clock for relative times ("12s", "5m"). A single interval runs while at least one
 * component listens, so a table with 10k rows costs nothing extra: only mounted (visible) cells
 * subscribe, and each re-renders on its own without re-sorting or re-rendering the table.
 */
import { useEffect, useState } from "./ui.js";

const TICK_MS = 1000;
const listeners = new Set();
let timer = 0;

function tick() {
  const now = Date.now();
  for (const listener of [...listeners]) listener(now);
}

/**
 * Subscribe to the clock.
 * @param {(now: number) => void} listener
 * @returns {() => void} unsubscribe
 */
export function onTick(listener) {
  listeners.add(listener);
  if (!timer) timer = setInterval(tick, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = 0;
    }
  };
}

/**
 * The current time in ms, updated every second while the component is mounted.
 * @returns {number}
 */
export function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => onTick(setNow), []);
  return now;
}
