/** Navigate (replacing the history entry) as soon as this renders; shows nothing. */
import { useEffect } from "../lib/ui.js";
import { navigate } from "../router.js";

/** @param {{to: string}} props */
export function Redirect({ to }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
