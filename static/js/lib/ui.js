/**
 * The one UI toolkit import for the app's own modules: `html` (htm bound to Preact's `h`),
 * Preact's render/Fragment and every hook. Components import from here, never from "preact"
 * directly, so swapping or upgrading the library touches one file.
 */
import { h, render, Fragment, createContext, createRef } from "preact";
import htm from "htm";

export {
  useState, useEffect, useLayoutEffect, useMemo, useCallback, useRef, useReducer, useContext, useId,
} from "preact/hooks";

/** Tagged template that produces Preact vnodes: html`<div class=${cls}>${children}</div>`. */
export const html = htm.bind(h);

export { h, render, Fragment, createContext, createRef };

/**
 * Join class names, skipping falsy values: cx("row", selected && "is-selected").
 * @param {...(string|false|null|undefined)} names
 * @returns {string}
 */
export function cx(...names) {
  return names.filter(Boolean).join(" ");
}
