/**
 * YAML for manifests, on top of the `yaml` package: object → text in the order people expect
 * (apiVersion, kind, metadata, spec…, status), text → object with line-numbered errors, and
 * locating a Kubernetes field path ("spec.containers[0].image") in the user's text.
 */
import YAML from "yaml";

const TOP_ORDER = ["apiVersion", "kind", "metadata", "spec", "type", "data", "stringData", "binaryData"];
const META_ORDER = ["name", "generateName", "namespace", "uid", "resourceVersion", "generation",
  "creationTimestamp", "deletionTimestamp", "labels", "annotations", "ownerReferences", "finalizers"];

function ordered(object, order, last = []) {
  const keys = Object.keys(object);
  const rank = (key) => (order.includes(key) ? order.indexOf(key) : last.includes(key) ? 1000 + last.indexOf(key) : 500);
  return Object.fromEntries(keys.sort((a, b) => rank(a) - rank(b)).map((k) => [k, object[k]]));
}

/**
 * A Kubernetes object as YAML, conventionally ordered.
 * @param {object} object
 * @returns {string}
 */
export function toYaml(object) {
  if (!object || typeof object !== "object") return "";
  const top = ordered(object, TOP_ORDER, ["status"]);
  if (top.metadata && typeof top.metadata === "object") top.metadata = ordered(top.metadata, META_ORDER);
  return YAML.stringify(top, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * The part of an object a person edits: without status (a subresource a PUT ignores).
 * @param {object} object
 * @returns {object}
 */
export function editable(object) {
  const { status, ...rest } = object ?? {};
  if (rest.metadata) {
    const { managedFields, ...meta } = rest.metadata;
    rest.metadata = meta;
  }
  return rest;
}

/** A YAML syntax error with its 1-based position. */
export class ManifestError extends Error {
  /** @param {string} message @param {number} line @param {number} column */
  constructor(message, line, column) {
    super(message);
    this.name = "ManifestError";
    this.line = line;
    this.column = column;
  }
}

/**
 * Parse one YAML document into an object.
 * @param {string} text
 * @returns {object}
 * @throws {ManifestError} on a syntax error, or when the document is not a mapping
 */
export function parseManifest(text) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
    throw new ManifestError(error.message.split("\n")[0], pos.line, pos.col);
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ManifestError("The manifest must be a YAML mapping (apiVersion, kind, metadata…)", 1, 1);
  }
  return value;
}

const SEGMENT_RE = /([^.[\]]+)|\[(\d+)\]|\[([^\]]*)\]/g;

/**
 * Split a Kubernetes field path: "spec.containers[0].image" → ["spec", "containers", 0, "image"],
 * "data[my.key]" → ["data", "my.key"].
 * @param {string} field
 * @returns {Array<string|number>}
 */
export function fieldSegments(field) {
  const segments = [];
  for (const match of String(field ?? "").matchAll(SEGMENT_RE)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[3]);
  }
  return segments;
}

/**
 * The 1-based line of the deepest part of `field` found in `text` (null when nothing matches).
 * @param {string} text YAML (first document only)
 * @param {string} field Kubernetes field path from a validation cause
 * @returns {number|null}
 */
export function locateField(text, field) {
  const segments = fieldSegments(field);
  if (!segments.length) return null;
  let doc;
  const lineCounter = new YAML.LineCounter();
  try {
    doc = YAML.parseDocument(text, { lineCounter });
  } catch {
    return null;
  }
  let node = doc.contents;
  let offset = null;
  for (const segment of segments) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (!pair) break;
      offset = pair.key?.range?.[0] ?? offset;
      node = pair.value;
    } else if (YAML.isSeq(node) && typeof segment === "number" && node.items[segment]) {
      node = node.items[segment];
      offset = node?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === null ? null : lineCounter.linePos(offset).line;
}
