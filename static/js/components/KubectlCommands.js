/** kubectl equivalents of what the page shows, each with a copy button. */
import { html } from "../lib/ui.js";
import { CopyButton } from "./CopyButton.js";

/**
 * The commands for one object.
 * @param {{type: string, name: string, namespace?: string, isPod?: boolean, containers?: string[],
 *          scalable?: boolean, replicas?: number, restartable?: boolean}} target
 *   `type` is the kubectl resource type (see lib/kinds.js kubectlType)
 * @returns {Array<{label: string, command: string}>}
 */
export function kubectlCommands({ type, name, namespace, isPod = false, containers = [], scalable = false, replicas = 1, restartable = false }) {
  const ns = namespace ? ` -n ${quote(namespace)}` : "";
  const target = `${type} ${quote(name)}`;
  const commands = [
    { label: "Get as YAML", command: `kubectl get ${target}${ns} -o yaml` },
    { label: "Describe", command: `kubectl describe ${target}${ns}` },
    { label: "Edit", command: `kubectl edit ${target}${ns}` },
  ];
  if (isPod) {
    const container = containers.length > 1 ? ` -c ${quote(containers[0])}` : "";
    commands.push({ label: "Logs", command: `kubectl logs ${quote(name)}${ns}${container} -f` });
    commands.push({ label: "Shell", command: `kubectl exec -it ${quote(name)}${ns}${container} -- sh` });
  }
  if (scalable) commands.push({ label: "Scale", command: `kubectl scale ${target}${ns} --replicas=${replicas}` });
  if (restartable) commands.push({ label: "Restart", command: `kubectl rollout restart ${target}${ns}` });
  commands.push({ label: "Delete", command: `kubectl delete ${target}${ns}` });
  return commands;
}

function quote(value) {
  return /^[A-Za-z0-9._:/@=-]+$/.test(value) ? value : `'${String(value).replaceAll("'", "'\\''")}'`;
}

/**
 * @param {{commands: Array<{label: string, command: string}>}} props
 */
export function KubectlCommands({ commands }) {
  return html`<ul class="kubectl-list" aria-label="kubectl commands">
    ${commands.map((c) => html`<li key=${c.label} class="kubectl-item">
      <div class="kubectl-text"><span class="kubectl-label">${c.label}</span><code class="kubectl-command">${c.command}</code></div>
      <${CopyButton} text=${c.command} label=${`Copy ${c.label.toLowerCase()} command`} />
    </li>`)}
  </ul>`;
}
