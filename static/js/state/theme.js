/**
 * Light / dark / system theme. The preference is persisted in localStorage and mirrored to
 * `<html data-theme>`; app.css turns it into the root's `color-scheme` (for "system" the OS's),
 * which its `light-dark()` colours follow, so no listener is needed when the OS switches.
 */
import { createStore } from "../lib/store.js";

const STORAGE_KEY = "kubevision.theme";
/** The cycle order of the toggle button. */
export const THEMES = ["system", "light", "dark"];

function readStored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return THEMES.includes(value) ? value : "system";
  } catch {
    return "system"; // storage disabled
  }
}

export const theme = createStore(readStored());

/** Put the current preference on <html>; called once at start and after each change. */
export function applyTheme() {
  document.documentElement.dataset.theme = theme.get();
}

/**
 * Choose a theme and remember it (anything but "system", "light" or "dark" is ignored).
 * @param {string} value
 */
export function setTheme(value) {
  if (!THEMES.includes(value)) return;
  theme.set(value);
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
  applyTheme();
}

/** Next theme in the toggle cycle (system → light → dark → system). */
export function cycleTheme() {
  setTheme(THEMES[(THEMES.indexOf(theme.get()) + 1) % THEMES.length]);
}
