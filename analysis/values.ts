// Manifests come from anyone's YAML, so nothing about their shape can be assumed. These readers
// turn whatever is there into the expected type or "absent", so checks never throw on odd input.

/** A plain object, or undefined for anything else (arrays, scalars, null). */
export function rec(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/** An array, or [] for anything else. */
export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The plain objects of an array; other elements are skipped. */
export function recs(value: unknown): Record<string, unknown>[] {
  return arr(value).map(rec).filter((r): r is Record<string, unknown> => r !== undefined);
}

/** A string, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The strings of an array (numbers are written as strings, as YAML authors often mean them). */
export function strs(value: unknown): string[] {
  return arr(value).flatMap((v) => typeof v === 'string' ? [v] : typeof v === 'number' ? [String(v)] : []);
}

/** A whole number (or a string of digits), or undefined. */
export function int(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * The value stored under `key` itself, never one inherited from `Object.prototype`: keys taken
 * from manifests or requests (header names, claim names, labels) can be `constructor` or
 * `__proto__`, which a plain `record[key]` would answer with a function or an object.
 */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * An empty map without a prototype, for maps keyed by manifest text: `__proto__` is then an
 * ordinary key, and no key reads anything inherited.
 */
export function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A label map: string (or scalar) values only; undefined when not a map. Has no prototype (see `emptyMap`). */
export function labelMap(value: unknown): Record<string, string> | undefined {
  const r = rec(value);
  if (!r) return undefined;
  const out = emptyMap<string>();
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
  }
  return out;
}

/** True when every label of `selector` is on `labels` with the same value. */
export function isSubset(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  // A loop rather than Object.entries(...).every: selection asks this for every workload and
  // policy of a namespace, and the arrays made per call were most of analysis's time at 100k objects.
  for (const k in selector) {
    if (!Object.hasOwn(selector, k)) continue;
    if (!Object.hasOwn(labels, k) || labels[k] !== selector[k]) return false;
  }
  return true;
}

/**
 * Adds `value` to the list under `key`, in place: copying the list on every addition
 * (`map.set(key, [...old, value])`) is quadratic in a large input.
 */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** `a, b and c` (or `a, b or c`) for messages. */
export function listing(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** The API group of an `apiVersion` (`networking.istio.io/v1` → `networking.istio.io`; `v1` → the core group, `''`). */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

/** `"a", "b"` for messages. */
export function quoted(items: readonly string[]): string {
  return items.map((i) => JSON.stringify(i)).join(', ');
}
